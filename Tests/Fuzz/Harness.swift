// libFuzzer entry point for the readers (built by `scripts/fuzz --libfuzzer`, not by SwiftPM): the reader is
// chosen by CITYTWIN_FUZZ_TARGET (see ReaderFuzzing.targets).
import CityImport

#if canImport(Glibc)
    import Glibc
#endif

let target = getenv("CITYTWIN_FUZZ_TARGET").map { String(cString: $0) } ?? "ascii-grid"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    ReaderFuzzing.feed(target, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

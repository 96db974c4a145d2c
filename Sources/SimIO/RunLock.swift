import Foundation
import SimCore

/// One run at a time per output: an exclusive advisory lock (`flock`) on `<output>/.<name>.lock`, held for the
/// whole run and released by the kernel when the process ends, however it ends. A second run of the same job
/// into the same folder — whatever its flags — is refused with a message naming the holder. The lock file is
/// never removed (removing it would let two runs lock two different files of one name).
public final class RunLock {
    public let path: String
    let fd: Int32

    /// Takes the lock or throws a RunError naming the process that holds it.
    public init(directory: String, name: String) throws {
        path = directory + "/." + name + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError(
                "cannot open the run lock '\(path)': \(String(cString: strerror(errno)))",
                hint: "the output folder must be writable, and the lock a regular file (not a symlink)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw RunError("the run lock '\(path)' is not a regular file", hint: "remove it, or choose --output DIR")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.holder(fd)
            close(fd)
            throw RunError(
                "another run of '\(name)' is writing to '\(directory)'\(holder.map { " (\($0))" } ?? "")",
                hint: "wait for it to finish, or pass --output DIR to run this one elsewhere")
        }
        self.fd = fd
        // who holds it, for the message a second run prints
        var info = "pid \(getpid())"
        var host = [CChar](repeating: 0, count: 256)
        if gethostname(&host, host.count - 1) == 0 {
            info += " on " + host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        info += ", started " + ISO8601DateFormatter().string(from: Date())
        let bytes = Array(info.utf8)
        ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }

    static func holder(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let s = String(decoding: buf[0..<n], as: UTF8.self)
        // only our own format ("pid N on HOST, started TIME") is shown
        guard s.hasPrefix("pid "), s.allSatisfy({ $0.isASCII && !$0.isNewline }) else { return nil }
        return s
    }
}

import Foundation
import SimCore
import SimIO
import Testing

@Suite struct HDF5Tests {
    @Test func roundTripsDatasetsAndAttributes() throws {
        let path = NSTemporaryDirectory() + "h5test-\(UUID().uuidString.prefix(6)).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let f = try H5File.create(path)
            let g = try f.root.createGroup("flood")
            try g.setAttribute("units", "m — UTF-8 ✓")
            try g.setAttribute("count", Int64(42))
            try g.setAttribute("pair", [1.5, 2.5])
            let big = (0..<10_000).map { Float($0) * 0.5 }
            try g.write("big", .float32(big), shape: [100, 100], compress: true)
            try g.write("ints", .int64([1, -2, 3]))
            let d = try g.createDataset("grow", type: .float64, shape: [0, 3], maxShape: [nil, 3], chunk: [4, 3])
            try d.write(.float64([1, 2, 3, 4, 5, 6]), start: [0, 0], count: [2, 3])
            try d.write(.float64([7, 8, 9]), start: [2, 0], count: [1, 3])
        }
        let f = try H5File.open(path)
        let g = try f.root.group("flood")
        #expect(try g.stringAttribute("units") == "m — UTF-8 ✓")
        #expect(try g.intAttribute("count") == 42)
        #expect(try g.attribute("pair") == .doubles([1.5, 2.5]))
        #expect(try g.attributeNames().sorted() == ["count", "pair", "units"])
        #expect(try g.dataset("big").shape == [100, 100])
        #expect(try g.dataset("big").read() == .float32((0..<10_000).map { Float($0) * 0.5 }))
        #expect(try g.dataset("ints").read() == .int64([1, -2, 3]))
        #expect(try g.dataset("grow").read() == .float64([1, 2, 3, 4, 5, 6, 7, 8, 9]))
        #expect(try g.memberNames() == ["big", "grow", "ints"])
    }

    @Test func libraryErrorsCarryTheErrorStack() throws {
        let path = NSTemporaryDirectory() + "not-hdf5-\(UUID().uuidString.prefix(6)).h5"
        try "plain text".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(!H5File.isHDF5(path))
        do {
            _ = try H5File.open(path)
            Issue.record("opened a text file")
        } catch let e as HDF5Error {
            #expect(e.operation == "H5Fopen" && e.path == path && e.stack.contains("H5Fopen"))
        }
        do {
            _ = try ResultInspector.describe(path: path)
            Issue.record("inspected a text file")
        } catch let e as RunError {
            #expect(e.message.contains("is not an HDF5 file"))
        }
    }

    /// Chunks compressed by `ChunkCodec` on worker threads and stored with H5Dwrite_chunk decode through
    /// libhdf5's own shuffle + deflate filters to the original values, and take the same space as chunks the
    /// library compresses itself (same filters, same level).
    @Test func precompressedChunksDecodeThroughTheLibraryFilters() throws {
        let path = NSTemporaryDirectory() + "h5chunks-\(UUID().uuidString.prefix(6)).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ny = 37
        let nx = 53
        let nt = 6
        let frames: [[Float]] = (0..<nt).map { t in
            (0..<(ny * nx)).map { k in Float(sin(Double(k) * 0.01 + Double(t))) * 2 + Float(t) }
        }
        do {
            let f = try H5File.create(path)
            let g = try f.root.createGroup("g")
            let d = try g.createDataset(
                "pre", type: .float32, shape: [0, ny, nx], maxShape: [nil, ny, nx], chunk: [1, ny, nx], compress: true)
            let chunks = ParallelExecutor(workers: 3).map(nt) { t in
                try! frames[t].withUnsafeBytes { try ChunkCodec.shuffleDeflate($0, elementSize: 4) }
            }
            for t in 0..<nt { try d.writeChunk(chunks[t], offset: [t, 0, 0], count: [1, ny, nx]) }
            let lib = try g.createDataset(
                "lib", type: .float32, shape: [0, ny, nx], maxShape: [nil, ny, nx], chunk: [1, ny, nx], compress: true)
            for t in 0..<nt { try lib.write(.float32(frames[t]), start: [t, 0, 0], count: [1, ny, nx]) }
            #expect(chunks.allSatisfy { $0.count < ny * nx * 4 }, "compression gained nothing")
        }
        let f = try H5File.open(path)
        let g = try f.root.group("g")
        #expect(try g.dataset("pre").shape == [nt, ny, nx])
        #expect(try g.dataset("pre").read() == .float32(frames.flatMap { $0 }))
        #expect(try g.dataset("pre").storageSize == g.dataset("lib").storageSize)
    }
}

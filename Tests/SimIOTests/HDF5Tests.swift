import Testing
import Foundation
import SimCore
import SimIO

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
        do { _ = try H5File.open(path); Issue.record("opened a text file") } catch let e as HDF5Error {
            #expect(e.operation == "H5Fopen" && e.path == path && e.stack.contains("H5Fopen"))
        }
        do { _ = try ResultInspector.describe(path: path); Issue.record("inspected a text file") } catch let e as RunError {
            #expect(e.message.contains("is not an HDF5 file"))
        }
    }
}

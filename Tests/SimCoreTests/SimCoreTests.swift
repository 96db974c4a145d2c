import Foundation
import SimCore
import Testing

@Suite struct PhiloxTests {
    // Reference blocks from numpy.random.Philox (numpy 2.x): numpy increments the counter before each block,
    // so `Philox(key=K, counter=C).random_raw(4)` is the block of counter C + 1.
    @Test func matchesNumpyReference() {
        let g = Philox4x64(key: (0x1234, 0x5678))
        let b1 = g.block((1, 0, 0, 0))
        let b2 = g.block((2, 0, 0, 0))
        #expect(
            [b1.0, b1.1, b1.2, b1.3] == [
                0x7af1ec3cbd0ad88a, 0x009cd89c3efe261f, 0x0b019d81fcae091c, 0x61331f09223ecda9,
            ])
        #expect(
            [b2.0, b2.1, b2.2, b2.3] == [
                0x39feb0d928c960ea, 0x74519b29bb9b52e4, 0x6513c785d40e31a1, 0xf1fa25da161dda48,
            ])
        let h = Philox4x64(seed: 42, stream: 7).block((6, 6, 7, 8))
        #expect(
            [h.0, h.1, h.2, h.3] == [0xa7a8dd11cc911e88, 0x27c76d9f95973e47, 0x1002e0be76a7e5eb, 0xce3a567f101f7292])
    }

    /// Live comparison with numpy when it is installed (scripts/test installs it).
    @Test func matchesLiveNumpy() throws {
        let script = """
            import numpy as np
            g = np.random.Philox(key=[987654321, 3], counter=[41, 123456789, 5, 0])
            print(' '.join(str(int(x)) for x in g.random_raw(8)))
            """
        guard let out = runPython(script) else { return }
        let numpy = out.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let g = Philox4x64(seed: 987654321, stream: 3)
        let a = g.block((42, 123456789, 5, 0))
        let b = g.block((43, 123456789, 5, 0))
        #expect(numpy == [a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3])
    }

    @Test func unitDoubleIsInRange() {
        #expect(Philox4x64.unitDouble(0) == 0)
        #expect(Philox4x64.unitDouble(UInt64.max) < 1)
    }
}

func runPython(_ script: String) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(data: data, encoding: .utf8)
}

@Suite struct TimeTests {
    @Test func parsesDurations() {
        #expect(SimDuration(parsing: "15min")?.milliseconds == 900_000)
        #expect(SimDuration(parsing: "6h")?.milliseconds == 21_600_000)
        #expect(SimDuration(parsing: "250ms")?.milliseconds == 250)
        #expect(SimDuration(parsing: "1.5s")?.milliseconds == 1500)
        #expect(SimDuration(parsing: "90")?.milliseconds == 90_000)
        #expect(SimDuration(parsing: "5 fortnights") == nil)
        #expect(SimDuration(parsing: "-3s") == nil)
        #expect(SimDuration(parsing: "0.0001s") == nil)
    }
    @Test func formats() {
        #expect(SimDuration(milliseconds: 3_723_250).clockString == "01:02:03.250")
        #expect(SimDuration.minutes(90).description == "90min")
    }
}

@Suite struct DidYouMeanTests {
    @Test func suggestsNearest() {
        #expect(DidYouMean.suggest("ouput_interval", from: ["output_interval", "duration"]) == "output_interval")
        #expect(DidYouMean.suggest("thetta", from: ["theta", "alpha"]) == "theta")
        #expect(DidYouMean.suggest("zzzzzz", from: ["theta", "alpha"]) == nil)
        #expect(DidYouMean.editDistance(Array("ab"), Array("ba")) == 1)
    }
}

@Suite struct GeoTests {
    @Test func knownUTMValues() {
        let p = UTMProjection(zone: 32)
        let a = p.forward(longitude: 9, latitude: 0)
        #expect(abs(a.x - 500_000) < 1e-6 && abs(a.y) < 1e-6)
        // Meridian arc to 45° on WGS 84 is 4,984,944.38 m; times k0 = 0.9996.
        let b = p.forward(longitude: 9, latitude: 45)
        #expect(abs(b.y - 4_982_950.40) < 0.05)
    }
    @Test func roundTrip() {
        let p = UTMProjection(longitude: 7.42, latitude: 43.73)
        #expect(p.epsg == 32632)
        for (lon, lat) in [(7.42, 43.73), (6.01, 43.2), (11.9, 47.5)] {
            let f = p.forward(longitude: lon, latitude: lat)
            let g = p.inverse(x: f.x, y: f.y)
            #expect(abs(g.longitude - lon) < 1e-8 && abs(g.latitude - lat) < 1e-8)  // 1e-8° ≈ 1 mm (third-order series)
        }
    }
}

@Suite struct GridTests {
    @Test func partitionsCoverRowsOnce() {
        for parts in [1, 3, 7, 64, 500] {
            let l = PartitionLayout(rows: 100, partitions: parts)
            var seen = [Int](repeating: 0, count: 100)
            for p in 0..<l.count { for r in l.rowRange(p) { seen[r] += 1 } }
            #expect(seen.allSatisfy { $0 == 1 })
        }
    }
    @Test func asciiGridRoundTripAndErrors() throws {
        let text = "ncols 3\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 5\nNODATA_value -9999\n1 2 3\n4 -9999 6\n"
        let r = try AsciiGrid.parse(Array(text.utf8), path: "t.asc")
        #expect(r.geometry.nx == 3 && r.geometry.ny == 2 && r[1, 1] == nil && r[2, 0] == 3)
        #expect(r.geometry.yCenter(0) == 27.5)
        #expect(throws: InputError.self) {
            try AsciiGrid.parse(Array("ncols 3\nnrows 2\ncellsize 1\n1 2 3\n4 5\n".utf8), path: "short.asc")
        }
        do {
            _ = try AsciiGrid.parse(Array("ncols 2\nnrows 1\ncelsize 1\n1 2\n".utf8), path: "typo.asc")
            Issue.record("no error")
        } catch let e as InputError { #expect(e.description.contains("did you mean 'cellsize'")) }
        do {
            _ = try AsciiGrid.parse(Array("ncols 2\nnrows 1\ncellsize 1\n1 nan\n".utf8), path: "nan.asc")
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.description.contains("nan.asc:4") && e.description.contains("not finite"))
        }
    }
    @Test func executorVisitsEveryPartitionOnce() {
        for w in [1, 2, 3, 8] {
            let hits = FieldBuffer<Int>(count: 37, repeating: 0)
            ParallelExecutor(workers: w).forEach(37) { p in hits[p] += 1 }
            #expect(hits.array.allSatisfy { $0 == 1 })
        }
    }
}

import CityImport
import Foundation
import Testing

/// Inputs libFuzzer kept (`scripts/fuzz --libfuzzer`, Tests/Fuzz/Regressions/<reader>/) are fed to their reader
/// again: each must be answered with an error or a result, never a trap. Valid model files are accepted and
/// broken ones refused by the same entry, so the replay exercises the real readers.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func keptInputsAreAnsweredWithoutATrap() throws {
        let dir = Self.root + "/Tests/Fuzz/Regressions"
        for target in ReaderFuzzing.targets {
            let sub = dir + "/" + target
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: sub)) ?? []).sorted()
            where !name.hasPrefix(".") {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sub + "/" + name)))
                ReaderFuzzing.feed(target, bytes)
            }
        }
        // the entry reaches the real readers: model files are accepted, their mutants refused
        let terrain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Data/monaco/terrain.asc")))
        #expect(ReaderFuzzing.feed("ascii-grid", terrain))
        #expect(!ReaderFuzzing.feed("ascii-grid", Array("ncols nan\nnrows 2\ncellsize 1\n1 2\n3 4\n".utf8)))
        let profile = [UInt8](
            try Data(
                contentsOf: URL(
                    fileURLWithPath: Self.root + "/../shared/data/energy/simbench_lv_urban6/profiles_load_relative.csv")
            ))
        #expect(ReaderFuzzing.feed("profiles", profile))
        #expect(!ReaderFuzzing.feed("profiles", Array("time,a\n0,inf\n".utf8)))
        #expect(ReaderFuzzing.feed("vehicles", Array("id,depart_s,route\nv1,0,in short out\nv2,5,in > out\n".utf8)))
        #expect(!ReaderFuzzing.feed("vehicles", Array("id,depart_s,route\nv1,1e20,in short out\n".utf8)))
        let grid = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: Self.root + "/../shared/data/energy/case33bw/network.json")))
        #expect(ReaderFuzzing.feed("grid-json", grid))
        #expect(!ReaderFuzzing.feed("grid-json", Array(grid.prefix(grid.count / 2))))
        #expect(ReaderFuzzing.feed("csv-table", Array("kind,name,x,y\nprimary,a,1,2\n".utf8)))
        #expect(!ReaderFuzzing.feed("csv-table", Array("kind,name,x,y\nprimary,a,nan,2\n".utf8)))
    }
}

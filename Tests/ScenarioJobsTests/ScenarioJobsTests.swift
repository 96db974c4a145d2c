import CityImport
import EnergyModel
import Foundation
import ScenarioJobs
import SimCore
import Testing

@Suite struct DesignStormTests {
    /// Alternating block (Chow et al. 1988 §14.4): the total depth equals the IDF depth for the full duration,
    /// the peak block sits at the requested position, and every centred window is the IDF depth of its duration.
    @Test func alternatingBlockHonoursTheIDFCurve() {
        let a = 2200.0
        let b = 12.0
        let c = 0.8
        let blocks = DesignStorm.alternatingBlock(a: a, b: b, c: c, duration: .hours(2), step: .minutes(5), peak: 0.5)
        #expect(blocks.count == 24)
        let depth = blocks.reduce(0) { $0 + $1 * 5 / 60 }
        let idf = a / pow(120 + b, c) * 120 / 60
        #expect(abs(depth - idf) < 1e-9 * idf)
        let peak = blocks.indices.max { blocks[$0] < blocks[$1] }!
        #expect(peak == 12)
        #expect(abs(blocks[peak] - a / pow(5 + b, c)) < 1e-9)
        let three = (blocks[11] + blocks[12] + blocks[13]) * 5 / 60
        #expect(abs(three - a / pow(15 + b, c) * 15 / 60) < 1e-9)
    }
}

@Suite struct CityModelTests {
    /// The shipped default city loads and is what PROVENANCE.md says: 10 m UTM 32N grid with a sea.
    @Test func shippedMonacoModel() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let m = try CityModel.load(directory: root + "/Data/monaco")
        let terrain = try #require(m.terrain)
        let landcover = try #require(m.landcover)
        #expect(m.epsg == 32632 && terrain.geometry.cellSize == 10)
        let sea = landcover.values.filter { $0 == 9 }.count
        #expect(sea > 1000 && sea < terrain.geometry.count / 2)
        // Monaco's Rocher is ~60 m and the hills behind reach several hundred metres
        #expect((terrain.values.max() ?? 0) > 300)
    }

    /// Re-importing from ../shared reproduces the shipped terrain exactly.
    @Test func importReproducesShippedData() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let shared = URL(fileURLWithPath: root).deletingLastPathComponent().path + "/shared/data/cities/monaco"
        let out = NSTemporaryDirectory() + "citytwin-import-\(UUID().uuidString.prefix(6))"
        let r = try TerrainImport(
            name: "monaco", hgtPath: shared + "/N43E007.hgt.zip", polyPath: shared + "/monaco.poly"
        ).run(outputDirectory: out)
        #expect(r.geometry.nx == 380 && r.geometry.ny == 374)
        #expect(
            FileManager.default.contents(atPath: out + "/terrain.asc")
                == FileManager.default.contents(atPath: root + "/Data/monaco/terrain.asc"), "terrain.asc differs")
        // land cover: the terrain import's sea/urban raster with the OSM roads, buildings, green and water on top
        let osm = try OSM.read(shared + "/monaco.osm.pbf")
        let lc = try AsciiGrid.read(path: out + "/landcover.asc", epsg: 32632)
        let codes = LandCoverRaster.rasterize(
            lc.geometry, base: lc.values.map { Int($0 ?? 0) }, areas: osm.areas, roads: osm.roadLines)
        let text = AsciiGrid.format(Raster(geometry: lc.geometry, values: codes.map(Double.init)), decimals: 0)
        #expect(
            text.data(using: .utf8) == FileManager.default.contents(atPath: root + "/Data/monaco/landcover.asc"),
            "landcover.asc differs")
        let count = { (c: Int) in codes.filter { $0 == c }.count }
        #expect(
            count(1) > 5000 && count(2) > 5000 && count(3) > 1000 && count(9) > 50_000,
            "road \(count(1)), building \(count(2)), green \(count(3)), sea \(count(9))")
        // model.yaml: the terrain import's text, then the traffic section that 'import osm' appends
        let made = try String(contentsOfFile: out + "/model.yaml", encoding: .utf8)
        let shipped = try String(contentsOfFile: root + "/Data/monaco/model.yaml", encoding: .utf8)
        #expect(
            shipped.hasPrefix(made.trimmingCharacters(in: .newlines)) && shipped.contains("\ntraffic:\n"),
            "model.yaml differs")
    }

    @Test func cellsAlongPolyline() {
        let g = GridGeometry(nx: 10, ny: 10, cellSize: 1)
        let cells = ScenarioBuilder.cellsAlong([(0.5, 5.5), (9.5, 5.5)], width: 1, geometry: g)
        #expect(cells == (0..<10).map { g.index($0, 4) })
        #expect(ScenarioBuilder.cellsAlong([(50, 50)], width: 1, geometry: g).isEmpty)
    }
}

@Suite struct JobParsingTests {
    @Test func locatesEveryProblem() throws {
        let text = """
            schema: 1
            name: t
            model: /nonexistent
            start: yesterday
            duration: 1h
            output_interval: 10min
            flood:
              thetaa: 0.8
            """
        do {
            _ = try Job.parse(text: text, file: "j.yaml")
            Issue.record("no error")
        } catch let e as InputError {
            let s = e.description
            #expect(s.contains("j.yaml:3:8") && s.contains("does not exist"))
            #expect(s.contains("j.yaml:4:8") && s.contains("not an ISO 8601 time"))
            #expect(s.contains("j.yaml:8:3") && s.contains("did you mean 'theta'?"))
            #expect(e.diagnostics.count == 3)
        }
    }
}

/// The energy section of a job: planning alternatives change the grid the way they say, mistakes are located with
/// suggestions, and the shipped grid is the one `citytwin import grid` makes from ../shared (byte for byte).
@Suite struct EnergyJobTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    func job(_ energy: String) -> String {
        "schema: 1\nname: e\nmodel: \(Self.root)/Data/monaco\nstart: 2026-01-12T00:00:00Z\nduration: 24h\noutput_interval: 1h\nenergy:\n"
            + energy
    }

    @Test func planningAlternativesChangeTheGrid() throws {
        let base = try ScenarioBuilder.energySetup(
            job: try Job.parse(text: job("  ev_share: 0.1\n"), file: "/tmp/e.yaml"),
            model: try CityModel.load(directory: Self.root + "/Data/monaco"))
        let text = job(
            """
              reinforce:
                - {asset: secondary substation 12, transformers: 2}
              add_cables:
                - {from: primary substation 0, to: secondary substation 40}
              hardening:
                - {asset: primary, raise: 1.5}

            """)
        let s = try ScenarioBuilder.energySetup(
            job: try Job.parse(text: text, file: "/tmp/e.yaml"),
            model: try CityModel.load(directory: Self.root + "/Data/monaco"))
        let a12 = s.assets.first { $0.name == "secondary substation 12" }!
        #expect(s.grid.trafos[a12.element].parallel == base.grid.trafos[a12.element].parallel + 2)
        #expect(s.grid.lines.count == base.grid.lines.count + 1 && s.grid.lines.last!.name.hasPrefix("added cable"))
        for (a, b) in zip(s.assets, base.assets) {
            #expect(a.criticalDepth == b.criticalDepth + (a.kind == .primary ? 1.5 : 0))
        }
        // the meshed grid still solves
        let (net, _) = try s.grid.busBranchModel()
        #expect(try PowerFlowProbe.solves(net))
    }

    @Test func mistakesAreLocated() throws {
        let model = try CityModel.load(directory: Self.root + "/Data/monaco")
        do {
            _ = try Job.parse(text: job("  ev_shar: 0.1\n"), file: "/tmp/e.yaml")
            Issue.record("accepted a typo")
        } catch let e as InputError {
            #expect(e.description.contains("did you mean 'ev_share'"), "\(e.description)")
        }
        let j = try Job.parse(
            text: job(
                "  outages:\n    - {asset: secondary substation 1200000, from: 1h, to: 2h}\n  reinforce:\n    - {asset: primary substation 0}\n"
            ), file: "/tmp/e.yaml")
        do {
            _ = try ScenarioBuilder.energySetup(job: j, model: model)
            Issue.record("accepted unknown assets")
        } catch let e as InputError {
            #expect(
                e.description.contains("E-JOB-067") && e.description.contains("did you mean 'secondary substation"),
                "\(e.description)")
            #expect(
                e.description.contains("E-JOB-071")
                    && e.description.contains("no secondary substation 'primary substation 0'"), "\(e.description)")
        }
        do {
            _ = try Job.parse(text: job("  step: 7min\n"), file: "/tmp/e.yaml")
            Issue.record("accepted a 7-min step")
        } catch let e as InputError {
            #expect(
                e.description.contains("energy.step") && e.description.contains("must divide an hour"),
                "\(e.description)")
        }
        // a weather series whose times go back
        let dir = NSTemporaryDirectory() + "w-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "time_s,temperature_c,irradiance_w_m2\n0,5,0\n3600,6,100\n1800,7,200\n".write(
            toFile: dir + "/w.csv", atomically: true, encoding: .utf8)
        let wj = try Job.parse(text: job("  weather: {file: w.csv}\n"), file: dir + "/e.yaml")
        do {
            _ = try ScenarioBuilder.energySetup(job: wj, model: model)
            Issue.record("accepted times that go back")
        } catch let e as InputError {
            #expect(e.description.contains("w.csv:4: error[E-JOB-069]"), "\(e.description)")
        }
    }

    @Test func shippedGridIsReproducible() throws {
        let shared =
            URL(fileURLWithPath: Self.root).deletingLastPathComponent().path
            + "/shared/data/cities/monaco/monaco.osm.pbf"
        let r = try OSM.read(shared)
        let g = try SyntheticGrid.build(network: r.network, buildings: r.buildings, power: r.power, name: "monaco")
        let out = NSTemporaryDirectory() + "grid-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        try SyntheticGrid.write(
            g, to: out,
            provenance:
                "synthetic grid on © OpenStreetMap contributors (ODbL 1.0) streets and buildings; CityTwin import grid")
        for f in ["network.json", "buildings.csv", "assets.csv"] {
            #expect(
                FileManager.default.contents(atPath: out + "/grid/" + f)
                    == FileManager.default.contents(atPath: Self.root + "/Data/monaco/grid/" + f), "\(f) differs")
        }
    }
}

enum PowerFlowProbe {
    static func solves(_ net: PowerNetwork) throws -> Bool {
        try PowerFlow(net).solve(pd: net.pd, qd: net.qd).converged
    }
}

import Foundation
import SimCore
import SimIO
import Testing

/// Results for analysts, checked with the readers analysts use: GDAL's own tools (gdalinfo, ogrinfo), rasterio,
/// geopandas and rioxarray open the HDF5 and what `citytwin export` wrote, and the values equal the HDF5's.
@Suite(.serialized) struct ExportTests {
    /// The coupled valley city (flood, traffic, energy), one hour; its result and folder.
    static func coupledResult(_ tag: String, workers: Int = 2, seed: Int? = nil) throws -> (dir: String, h5: String) {
        let dir = tempDir(tag)
        try CoupledCityTests.writeValleyCity(dir)
        var job = CoupledCityTests.job("city")
        if let seed { job = job.replacingOccurrences(of: "seed: 7", with: "seed: \(seed)") }
        try job.write(toFile: dir + "/city.yaml", atomically: true, encoding: .utf8)
        let r = try citytwin([
            "run", dir + "/city.yaml", "--output", dir + "/out", "--quiet", "--workers", "\(workers)",
        ])
        #expect(r.status == 0, "\(r.err)")
        return (dir, dir + "/out/city.h5")
    }

    static func tool(_ name: String, _ args: [String]) throws -> ProcResult { try runTool(name, args) }

    /// GDAL (netCDF driver) and rioxarray georeference the HDF5 itself; every per-entity variable names its
    /// CF-1.8 geometry, whose nodes are the model's link shapes and asset positions.
    @Test func resultIsGeoreferenced() throws {
        let (dir, h5) = try Self.coupledResult("georef")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let info = try Self.tool("gdalinfo", ["NETCDF:\"\(h5)\":/flood/max_depth"])
        #expect(info.status == 0, "\(info.err)")
        #expect(info.out.contains("ID[\"EPSG\",32632]]"), "\(info.out.prefix(400))")
        // the valley: 40 x 30 cells of 10 m from (1000, 2000): top-left corner (1000, 2300)
        #expect(info.out.contains("Origin = (1000.000000000000000,2300.000000000000000)"), "\(info.out.prefix(2000))")
        #expect(info.out.contains("Pixel Size = (10.000000000000000,-10.000000000000000)"))
        let py = try runPython(
            """
            import sys, xarray as xr, rioxarray, numpy as np
            f = sys.argv[1]
            ds = xr.open_dataset(f, group="flood", engine="h5netcdf")
            assert ds.rio.crs.to_epsg() == 32632, ds.rio.crs
            assert ds.max_depth.attrs["grid_mapping"] == "spatial_ref"
            t = ds.rio.transform()
            assert (t.a, t.e, t.c, t.f) == (10.0, -10.0, 1000.0, 2300.0), t
            tr = xr.open_dataset(f, group="traffic", engine="h5netcdf")
            assert tr.total_entries.attrs["geometry"] == "link_geometry"
            g = tr.link_geometry.attrs
            assert g["geometry_type"] == "line" and g["node_count"] == "link_node_count", g
            assert int(tr.link_node_count.sum()) == tr.link_node_x.size
            # without a shape table each link is its two end nodes
            assert np.array_equal(tr.link_node_x.values[0::2], tr.link_x_from.values)
            assert np.array_equal(tr.link_node_y.values[1::2], tr.link_y_to.values)
            en = xr.open_dataset(f, group="energy", engine="h5netcdf")
            assert en.building_unserved.rio.crs.to_epsg() == 32632
            assert "building_x" in en.building_unserved.coords
            assert not np.isnan(en.bus_x.values).any(), "every valley bus is placed"
            print("ok")
            """, [h5])
        #expect(py.status == 0 && py.out.contains("ok"), "\(py.err)")
    }

    /// Every format, read back by GDAL's tools and by rasterio / geopandas, equals the HDF5: the rasters' CRS,
    /// geotransform and values (COG layout), the hazard rating recomputed from FD2320's formula, the layers'
    /// feature counts, ids and attributes, GeoJSON in EPSG:4326, the CSV series with units in the header.
    @Test func exportEqualsTheHDF5() throws {
        let (dir, h5) = try Self.coupledResult("export")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let to = dir + "/export"
        let r = try citytwin(["export", h5, "--to", to, "--times", "30min,1h"])
        #expect(r.status == 0, "\(r.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: to).sorted()
        for f in [
            "max_depth.tif", "hazard_rating.tif", "arrival_time.tif", "depth_t1800s.tif", "depth_t3600s.tif",
            "city.gpkg", "links.geojson", "buses.geojson", "substations.geojson", "series-traffic.csv", "kpis.csv",
        ] {
            #expect(files.contains(f), "\(f) in \(files)")
        }
        #expect(!files.contains { $0.hasPrefix(".") }, "no staging folder left: \(files)")
        let info = try Self.tool("gdalinfo", [to + "/max_depth.tif"])
        #expect(info.out.contains("LAYOUT=COG") && info.out.contains("ID[\"EPSG\",32632]]"), "\(info.out)")
        let ogr = try Self.tool("ogrinfo", ["-so", "-al", to + "/city.gpkg"])
        #expect(ogr.out.contains("Layer name: links") && ogr.out.contains("Feature Count: 10"), "\(ogr.out)")
        let py = try runPython(
            """
            import sys, h5py, numpy as np, rasterio, geopandas as gpd, csv
            h5, to = sys.argv[1], sys.argv[2]
            f = h5py.File(h5, "r")
            fl, tr, en = f["flood"], f["traffic"], f["energy"]
            def same(a, b):
                return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
            with rasterio.open(to + "/max_depth.tif") as r:
                assert r.crs.to_epsg() == 32632 and r.transform.c == 1000 and r.transform.f == 2300
                assert same(r.read(1), fl["max_depth"][:]), "max depth"
                assert r.profile["tiled"] and r.profile["compress"] == "deflate"
            with rasterio.open(to + "/depth_t3600s.tif") as r:
                k = list(fl["time"][:]).index(3600.0)
                assert same(r.read(1), fl["depth"][k]), "depth at 1 h"
            with rasterio.open(to + "/arrival_time.tif") as r:
                assert same(r.read(1), fl["arrival_time"][:])
            d = fl["max_depth"][:].astype(np.float64)
            v = fl["max_speed"][:].astype(np.float64)
            df = np.where((d <= 0.25) & (v <= 2), 0.0, 1.0)
            hr = np.where(d > 0, d * (v + 0.5) + df, 0.0)
            with rasterio.open(to + "/hazard_rating.tif") as r:
                assert np.allclose(r.read(1), hr, rtol=1e-6, atol=1e-6), "HR = d (v + 0.5) + DF"
            links = gpd.read_file(to + "/city.gpkg", layer="links")
            assert links.crs.to_epsg() == 32632 and len(links) == tr["link_id"].shape[0]
            ids = [s.decode() for s in tr["link_id"][:]]
            assert list(links["id"]) == ids
            assert same(links["flow"].values, tr["total_entries"][:].astype(np.float64))
            assert same(links["length"].values, tr["link_length"][:])
            x0 = [g.coords[0][0] for g in links.geometry]
            assert same(x0, tr["link_x_from"][:])
            st = gpd.read_file(to + "/city.gpkg", layer="substations")
            assert same(st["trips"].values, en["asset_trips"][:].astype(np.float64))
            assert any("trip at" in e for e in st["events"]), list(st["events"])
            lines = gpd.read_file(to + "/city.gpkg", layer="lines")
            assert len(lines) == en["line_id"].shape[0] > 0
            assert same(lines["loading_max"].values, en["line_loading"][:].max(axis=0).astype(np.float64))
            gj = gpd.read_file(to + "/links.geojson")
            assert gj.crs.to_epsg() == 4326 and len(gj) == len(links)
            lon, lat = gj.geometry.iloc[0].coords[0]
            assert 4 < lon < 6 and 0 < lat < 1, (lon, lat)
            assert same(gj["flow"].values, links["flow"].values)
            rows = list(csv.reader(open(to + "/series-traffic.csv")))
            assert rows[0][0] == "time [s]" and "en_route [1]" in rows[0], rows[0]
            col = rows[0].index("en_route [1]")
            assert same([float(r[col]) for r in rows[1:]], tr["en_route"][:])
            kp = list(csv.DictReader(open(to + "/kpis.csv")))
            trips = [k for k in kp if k["kpi"] == "asset_trips"][0]
            assert float(trips["value"]) == en.attrs["kpi_asset_trips"], trips
            print("ok")
            """, [h5, to])
        #expect(py.status == 0 && py.out.contains("ok"), "\(py.err)")
        // the same export again is refused and leaves the files as they were; --overwrite replaces them
        let before = try Data(contentsOf: URL(fileURLWithPath: to + "/city.gpkg"))
        let again = try citytwin(["export", h5, "--to", to, "--format", "gpkg"])
        #expect(again.status == 1 && again.err.contains("--overwrite"), "\(again.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: to + "/city.gpkg")) == before)
        let over = try citytwin(["export", h5, "--to", to, "--format", "gpkg", "--overwrite"])
        #expect(over.status == 0, "\(over.err)")
    }

    /// Bad input: a clear error, nothing half-written.
    @Test func badInputIsRefusedAndNothingIsWritten() throws {
        let dir = tempDir("export-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CoupledCityTests.writeValleyCity(dir)
        // a traffic-only result asked for rasters
        let trafficOnly =
            CoupledCityTests.job("roads")
            .components(separatedBy: "flood:")[0]
            + "traffic: {}\n"
        try trafficOnly.write(toFile: dir + "/roads.yaml", atomically: true, encoding: .utf8)
        let run = try citytwin(["run", dir + "/roads.yaml", "--output", dir + "/out", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let roads = dir + "/out/roads.h5"
        func refused(_ args: [String], _ words: [String]) throws {
            let to = dir + "/x-\(UUID().uuidString.prefix(6))"
            let r = try citytwin(["export", roads, "--to", to] + args)
            #expect(r.status != 0, "\(args): \(r.out)")
            for w in words { #expect(r.err.contains(w), "\(args): '\(w)' in \(r.err)") }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: to)) ?? []
            #expect(left.isEmpty, "\(args) left \(left)")
        }
        try refused(["--format", "cog"], ["no flood grid", "--format gpkg"])
        try refused(["--vars", "linkz"], ["did you mean 'links'"])
        try refused(["--format", "gpkk"], ["did you mean 'gpkg'"])
        try refused(["--times", "1h"], ["no depth snapshots"])
        try refused(["--times", "soon"], ["not a time"])
        // an unwritable target: a folder below a file
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let r = try citytwin(["export", roads, "--to", dir + "/file/sub"])
        #expect(r.status == 1 && r.err.contains("cannot create the export folder"), "\(r.err)")
        let notH5 = try citytwin(["export", dir + "/roads.yaml", "--to", dir + "/y"])
        #expect(notH5.status == 1 && notH5.err.contains("not an HDF5 file"), "\(notH5.err)")
        // a report over an existing file needs --overwrite; the existing file stays
        try "keep".write(toFile: dir + "/r.html", atomically: true, encoding: .utf8)
        let rep = try citytwin(["report", roads, "-o", dir + "/r.html"])
        #expect(rep.status == 1, "\(rep.out)")
        #expect(try String(contentsOfFile: dir + "/r.html", encoding: .utf8) == "keep")
        // the depth time's did-you-mean needs a flood result
        let (cdir, h5) = try Self.coupledResult("export-times")
        defer { try? FileManager.default.removeItem(atPath: cdir) }
        let t = try citytwin(["export", h5, "--to", cdir + "/t", "--times", "33min"])
        #expect(t.status == 1 && t.err.contains("did you mean 0h35m00s"), "\(t.err)")
    }
}

import CHDF5
import Foundation
import SimCore

/// An error from libhdf5 with its error stack, and what we were doing.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var stack: String
    /// The operation and its innermost cause: the system's reason when the library hit an I/O error ("No space
    /// left on device"), else the deepest entry of the stack. `stack` keeps the whole stack.
    public var description: String { "HDF5 \(operation) failed for '\(path)': \(reason)" }

    public var reason: String {
        if let r = stack.range(of: "error message = '"), let e = stack[r.upperBound...].firstIndex(of: "'") {
            return String(stack[r.upperBound..<e])
        }
        return stack.components(separatedBy: "; ").last ?? stack
    }
}

/// Every libhdf5 call goes through `HDF5.call`: one lock (the Debian build is not thread-safe and serialises
/// nothing itself), error-stack capture into a thrown `HDF5Error`.
public enum HDF5 {
    static let lock = NSLock()
    nonisolated(unsafe) static var silenced = false

    @discardableResult
    static func call<T: BinaryInteger>(_ op: String, _ path: String, _ body: () -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if !silenced {
            ct_dont_atexit()
            ct_silence_errors()
            silenced = true
        }
        let r = body()
        if r < 0 {
            var buf = [CChar](repeating: 0, count: 1024)
            ct_error_message(&buf)
            let msg = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw HDF5Error(operation: op, path: path, stack: msg.isEmpty ? "(no error stack)" : msg)
        }
        return r
    }
    /// For calls whose failure is irrelevant (closing on an error path).
    static func quiet(_ body: () -> herr_t) {
        lock.lock()
        _ = body()
        lock.unlock()
    }

    static func nativeType(_ t: ElementType) -> hid_t {
        switch t {
        case .float32: ct_H5T_NATIVE_FLOAT()
        case .float64: ct_H5T_NATIVE_DOUBLE()
        case .int64: ct_H5T_NATIVE_INT64()
        case .int32: ct_H5T_NATIVE_INT32()
        case .uint8: ct_H5T_NATIVE_UINT8()
        }
    }
}

/// A handle that closes itself.
public class H5Object {
    public let id: hid_t
    public let path: String
    let closer: (hid_t) -> herr_t
    init(id: hid_t, path: String, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.path = path
        self.closer = closer
    }
    deinit {
        let c = closer
        let i = id
        HDF5.quiet { c(i) }
    }

    // MARK: attributes
    public func setAttribute(_ name: String, _ value: String) throws {
        try deleteAttributeIfPresent(name)
        let t = try HDF5.call("H5Tcopy", path) { H5Tcopy(ct_H5T_C_S1()) }
        defer { HDF5.quiet { H5Tclose(t) } }
        try HDF5.call("H5Tset_size", path) { H5Tset_size(t, ct_H5T_VARIABLE()) }
        try HDF5.call("H5Tset_cset", path) { H5Tset_cset(t, H5T_CSET_UTF8) }
        let s = try HDF5.call("H5Screate", path) { H5Screate(H5S_SCALAR) }
        defer { HDF5.quiet { H5Sclose(s) } }
        let a = try HDF5.call("H5Acreate2 \(name)", path) {
            H5Acreate2(id, name, t, s, ct_H5P_DEFAULT(), ct_H5P_DEFAULT())
        }
        defer { HDF5.quiet { H5Aclose(a) } }
        _ = try value.withCString { cs in
            var p: UnsafePointer<CChar>? = cs
            try HDF5.call("H5Awrite \(name)", path) { H5Awrite(a, t, &p) }
        }
    }
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, [value]) }
    public func setAttribute(_ name: String, _ value: Int64) throws {
        try deleteAttributeIfPresent(name)
        let s = try HDF5.call("H5Screate", path) { H5Screate(H5S_SCALAR) }
        defer { HDF5.quiet { H5Sclose(s) } }
        let a = try HDF5.call("H5Acreate2 \(name)", path) {
            H5Acreate2(id, name, ct_H5T_NATIVE_INT64(), s, ct_H5P_DEFAULT(), ct_H5P_DEFAULT())
        }
        defer { HDF5.quiet { H5Aclose(a) } }
        var v = value
        try HDF5.call("H5Awrite \(name)", path) { H5Awrite(a, ct_H5T_NATIVE_INT64(), &v) }
    }
    /// A double attribute; one value is written as a scalar.
    public func setAttribute(_ name: String, _ values: [Double]) throws {
        try deleteAttributeIfPresent(name)
        var dims = [hsize_t(values.count)]
        let s = try HDF5.call("H5Screate", path) {
            values.count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        }
        defer { HDF5.quiet { H5Sclose(s) } }
        let a = try HDF5.call("H5Acreate2 \(name)", path) {
            H5Acreate2(id, name, ct_H5T_NATIVE_DOUBLE(), s, ct_H5P_DEFAULT(), ct_H5P_DEFAULT())
        }
        defer { HDF5.quiet { H5Aclose(a) } }
        _ = try values.withUnsafeBufferPointer { b in
            try HDF5.call("H5Awrite \(name)", path) { H5Awrite(a, ct_H5T_NATIVE_DOUBLE(), b.baseAddress) }
        }
    }
    func deleteAttributeIfPresent(_ name: String) throws {
        if try HDF5.call("H5Aexists", path, { H5Aexists(id, name) }) > 0 {
            try HDF5.call("H5Adelete", path) { H5Adelete(id, name) }
        }
    }

    public func attributeNames() throws -> [String] {
        var info = H5O_info_t()
        try HDF5.call("H5Oget_info", path) { H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)) }
        var names: [String] = []
        for k in 0..<Int(info.num_attrs) {
            let len = try HDF5.call("H5Aget_name_by_idx", path) {
                H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), nil, 0, ct_H5P_DEFAULT())
            }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            try HDF5.call("H5Aget_name_by_idx", path) {
                H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), &buf, buf.count, ct_H5P_DEFAULT())
            }
            names.append(buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return names
    }

    public enum AttributeValue: Equatable, Sendable { case string(String), doubles([Double]), ints([Int64]) }

    public func attribute(_ name: String) throws -> AttributeValue? {
        if try HDF5.call("H5Aexists", path, { H5Aexists(id, name) }) <= 0 { return nil }
        let a = try HDF5.call("H5Aopen \(name)", path) { H5Aopen(id, name, ct_H5P_DEFAULT()) }
        defer { HDF5.quiet { H5Aclose(a) } }
        let t = try HDF5.call("H5Aget_type", path) { H5Aget_type(a) }
        defer { HDF5.quiet { H5Tclose(t) } }
        let s = try HDF5.call("H5Aget_space", path) { H5Aget_space(a) }
        defer { HDF5.quiet { H5Sclose(s) } }
        let n = Int(try HDF5.call("H5Sget_simple_extent_npoints", path) { H5Sget_simple_extent_npoints(s) })
        switch H5Tget_class(t) {
        case H5T_STRING:
            if H5Tis_variable_str(t) > 0 {
                let mt = try HDF5.call("H5Tcopy", path) { H5Tcopy(ct_H5T_C_S1()) }
                defer { HDF5.quiet { H5Tclose(mt) } }
                try HDF5.call("H5Tset_size", path) { H5Tset_size(mt, ct_H5T_VARIABLE()) }
                try HDF5.call("H5Tset_cset", path) { H5Tset_cset(mt, H5Tget_cset(t)) }
                var p: UnsafeMutablePointer<CChar>? = nil
                try HDF5.call("H5Aread \(name)", path) { H5Aread(a, mt, &p) }
                defer { if let p { HDF5.quiet { H5free_memory(p) } } }
                return .string(p.map { String(cString: $0) } ?? "")
            }
            let size = H5Tget_size(t)
            var buf = [CChar](repeating: 0, count: size * max(n, 1) + 1)
            try HDF5.call("H5Aread \(name)", path) { H5Aread(a, t, &buf) }
            return .string(buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        case H5T_INTEGER:
            var v = [Int64](repeating: 0, count: n)
            try HDF5.call("H5Aread \(name)", path) { H5Aread(a, ct_H5T_NATIVE_INT64(), &v) }
            return .ints(v)
        default:
            var v = [Double](repeating: 0, count: n)
            try HDF5.call("H5Aread \(name)", path) { H5Aread(a, ct_H5T_NATIVE_DOUBLE(), &v) }
            return .doubles(v)
        }
    }
    public func stringAttribute(_ name: String) throws -> String? {
        if case .string(let s)? = try attribute(name) { return s }
        return nil
    }
    public func doubleAttribute(_ name: String) throws -> Double? {
        switch try attribute(name) {
        case .doubles(let d)?: d.first
        case .ints(let i)?: i.first.map(Double.init)
        default: nil
        }
    }
    public func intAttribute(_ name: String) throws -> Int64? {
        switch try attribute(name) {
        case .ints(let i)?: i.first
        case .doubles(let d)?: d.first.map { Int64($0) }
        default: nil
        }
    }
}

public final class H5File: H5Object {
    /// Creates a new file. `overwrite: false` fails if it exists.
    public static func create(_ path: String, overwrite: Bool = true) throws -> H5File {
        let fapl = try HDF5.call("H5Pcreate", path) { H5Pcreate(ct_H5P_FILE_ACCESS()) }
        defer { HDF5.quiet { H5Pclose(fapl) } }
        // 1.8 format: readable by every libhdf5 that h5py/netCDF ship.
        try HDF5.call("H5Pset_libver_bounds", path) { H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) }
        let id = try HDF5.call("H5Fcreate", path) {
            H5Fcreate(path, overwrite ? ct_H5F_ACC_TRUNC() : ct_H5F_ACC_EXCL(), ct_H5P_DEFAULT(), fapl)
        }
        return H5File(id: id, path: path, closer: H5Fclose)
    }
    public static func open(_ path: String, writable: Bool = false) throws -> H5File {
        let id = try HDF5.call("H5Fopen", path) {
            H5Fopen(path, writable ? ct_H5F_ACC_RDWR() : ct_H5F_ACC_RDONLY(), ct_H5P_DEFAULT())
        }
        return H5File(id: id, path: path, closer: H5Fclose)
    }
    /// True if the file has an HDF5 signature.
    public static func isHDF5(_ path: String) -> Bool {
        (try? HDF5.call("H5Fis_hdf5", path) { H5Fis_hdf5(path) }) ?? 0 > 0
    }
    public func flush() throws { try HDF5.call("H5Fflush", path) { H5Fflush(id, H5F_SCOPE_GLOBAL) } }
    public var root: H5Group { get throws { try H5Group.open(self, "/") } }

    /// Writes a new file through `body` into a fresh, exclusively created temporary beside `path` and moves it to
    /// `path` only when everything is written: a failure removes the temporary and leaves an existing `path`
    /// untouched. Without `overwrite`, an existing `path` (even one that appeared meanwhile) is never replaced.
    public static func writeAtomically(_ path: String, overwrite: Bool = true, _ body: (H5File) throws -> Void) throws {
        if !overwrite && SafeFile.exists(path) {
            throw RunError("'\(path)' already exists", hint: "pass --overwrite to replace it, or --output DIR")
        }
        let tmp = SafeFile.temporaryPath(for: path)
        do {
            let f = try H5File.create(tmp, overwrite: false)
            try body(f)
            try f.flush()
        } catch {
            unlink(tmp)
            throw RunError("cannot write '\(path)': \(error)", hint: "is the disk full or the folder read-only?")
        }
        try SafeFile.commit(tmp, to: path, overwrite: overwrite)
    }
}

public final class H5Group: H5Object {
    static func open(_ parent: H5Object, _ name: String) throws -> H5Group {
        let p = parent.path == "/" || name == "/" ? parent.path + name : parent.path + "/" + name
        let id = try HDF5.call("H5Gopen2", p) { H5Gopen2(parent.id, name, ct_H5P_DEFAULT()) }
        return H5Group(id: id, path: p, closer: H5Gclose)
    }
    public func group(_ name: String) throws -> H5Group { try H5Group.open(self, name) }
    public func createGroup(_ name: String) throws -> H5Group {
        let id = try HDF5.call("H5Gcreate2 \(name)", path) {
            H5Gcreate2(self.id, name, ct_H5P_DEFAULT(), ct_H5P_DEFAULT(), ct_H5P_DEFAULT())
        }
        return H5Group(id: id, path: path + "/" + name, closer: H5Gclose)
    }
    public func exists(_ name: String) throws -> Bool {
        try HDF5.call("H5Lexists", path) { H5Lexists(id, name, ct_H5P_DEFAULT()) } > 0
    }
    public func memberNames() throws -> [String] {
        var info = H5G_info_t()
        try HDF5.call("H5Gget_info", path) { H5Gget_info(id, &info) }
        var out: [String] = []
        for k in 0..<Int(info.nlinks) {
            let len = try HDF5.call("H5Lget_name_by_idx", path) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), nil, 0, ct_H5P_DEFAULT())
            }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            try HDF5.call("H5Lget_name_by_idx", path) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), &buf, buf.count, ct_H5P_DEFAULT())
            }
            out.append(buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return out
    }
    public func isGroup(_ name: String) throws -> Bool {
        var info = H5O_info_t()
        try HDF5.call("H5Oget_info_by_name", path) {
            H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), ct_H5P_DEFAULT())
        }
        return info.type == H5O_TYPE_GROUP
    }

    /// Creates a dataset. `maxShape` nil entries are unlimited; `chunk` enables chunking (required for
    /// unlimited or compressed datasets); `compress` adds shuffle + deflate level 1.
    public func createDataset(
        _ name: String, type: ElementType, shape: [Int], maxShape: [Int?]? = nil,
        chunk: [Int]? = nil, compress: Bool = false, fillValue: Double? = nil
    ) throws -> H5Dataset {
        var dims = shape.map { hsize_t($0) }
        var maxd = (maxShape ?? shape.map { Optional($0) }).map { $0.map { hsize_t($0) } ?? ct_H5S_UNLIMITED() }
        let s = try HDF5.call("H5Screate_simple", path) { H5Screate_simple(Int32(dims.count), &dims, &maxd) }
        defer { HDF5.quiet { H5Sclose(s) } }
        let dcpl = try HDF5.call("H5Pcreate", path) { H5Pcreate(ct_H5P_DATASET_CREATE()) }
        defer { HDF5.quiet { H5Pclose(dcpl) } }
        if var c = chunk?.map({ hsize_t(max($0, 1)) }) {
            try HDF5.call("H5Pset_chunk", path) { H5Pset_chunk(dcpl, Int32(c.count), &c) }
            if compress {
                try HDF5.call("H5Pset_shuffle", path) { H5Pset_shuffle(dcpl) }
                try HDF5.call("H5Pset_deflate", path) { H5Pset_deflate(dcpl, 1) }
            }
        }
        if var f = fillValue {
            try HDF5.call("H5Pset_fill_value", path) { H5Pset_fill_value(dcpl, ct_H5T_NATIVE_DOUBLE(), &f) }
        }
        let id = try HDF5.call("H5Dcreate2 \(name)", path) {
            H5Dcreate2(self.id, name, HDF5.nativeType(type), s, ct_H5P_DEFAULT(), dcpl, ct_H5P_DEFAULT())
        }
        return H5Dataset(id: id, path: path + "/" + name, closer: H5Dclose)
    }
    /// A 1-D dataset of variable-length UTF-8 strings (ids), which h5py reads as bytes/str objects.
    @discardableResult
    public func writeStrings(_ name: String, _ values: [String]) throws -> H5Dataset {
        let t = try HDF5.call("H5Tcopy", path) { H5Tcopy(ct_H5T_C_S1()) }
        defer { HDF5.quiet { H5Tclose(t) } }
        try HDF5.call("H5Tset_size", path) { H5Tset_size(t, ct_H5T_VARIABLE()) }
        try HDF5.call("H5Tset_cset", path) { H5Tset_cset(t, H5T_CSET_UTF8) }
        var dims = [hsize_t(values.count)]
        let sp = try HDF5.call("H5Screate_simple", path) { H5Screate_simple(1, &dims, nil) }
        defer { HDF5.quiet { H5Sclose(sp) } }
        let full = path.hasSuffix("/") ? path + name : path + "/" + name
        let d = try HDF5.call("H5Dcreate2", full) {
            H5Dcreate2(id, name, t, sp, ct_H5P_DEFAULT(), ct_H5P_DEFAULT(), ct_H5P_DEFAULT())
        }
        let ds = H5Dataset(id: d, path: full, closer: H5Dclose)
        // keep the C strings alive during the write
        let cstrings = values.map { strdup($0) }
        defer { cstrings.forEach { free($0) } }
        var ptrs: [UnsafePointer<CChar>?] = cstrings.map { UnsafePointer($0) }
        _ = try ptrs.withUnsafeMutableBufferPointer { b in
            try HDF5.call("H5Dwrite", full) {
                H5Dwrite(d, t, ct_H5S_ALL(), ct_H5S_ALL(), ct_H5P_DEFAULT(), b.baseAddress)
            }
        }
        return ds
    }

    public func dataset(_ name: String) throws -> H5Dataset {
        let id = try HDF5.call("H5Dopen2 \(name)", path) { H5Dopen2(self.id, name, ct_H5P_DEFAULT()) }
        return H5Dataset(id: id, path: path + "/" + name, closer: H5Dclose)
    }
    /// Creates and fills a dataset in one go.
    @discardableResult
    public func write(_ name: String, _ data: ArrayData, shape: [Int]? = nil, compress: Bool = false) throws
        -> H5Dataset
    {
        let shp = shape ?? [data.count]
        let big = data.count > 4096
        let chunk: [Int]? = big ? chunkShape(shp) : nil
        let d = try createDataset(name, type: ElementType(data), shape: shp, chunk: chunk, compress: compress && big)
        try d.write(data)
        return d
    }
    func chunkShape(_ shape: [Int]) -> [Int] {
        // about 1 MiB of float32 per chunk, whole trailing rows
        var c = shape
        var total = c.reduce(1, *)
        var k = 0
        while total > 262_144, k < c.count {
            let shrink = max(1, c[k] / max(1, total / 262_144))
            total = total / c[k] * shrink
            c[k] = shrink
            k += 1
        }
        return c.map { max($0, 1) }
    }
}

extension ElementType {
    init(_ d: ArrayData) {
        switch d {
        case .float32: self = .float32
        case .float64: self = .float64
        case .int64: self = .int64
        case .int32: self = .int32
        case .uint8: self = .uint8
        }
    }
}

public final class H5Dataset: H5Object {
    /// Bytes the dataset's data take in the file (after filters).
    public var storageSize: Int {
        get throws { Int(try HDF5.call("H5Dget_storage_size", path) { H5Dget_storage_size(id) }) }
    }

    public var shape: [Int] {
        get throws {
            let s = try HDF5.call("H5Dget_space", path) { H5Dget_space(id) }
            defer { HDF5.quiet { H5Sclose(s) } }
            let r = Int(try HDF5.call("H5Sget_simple_extent_ndims", path) { H5Sget_simple_extent_ndims(s) })
            var d = [hsize_t](repeating: 0, count: r)
            try HDF5.call("H5Sget_simple_extent_dims", path) { H5Sget_simple_extent_dims(s, &d, nil) }
            return d.map { Int($0) }
        }
    }
    public var elementType: ElementType {
        get throws {
            let t = try HDF5.call("H5Dget_type", path) { H5Dget_type(id) }
            defer { HDF5.quiet { H5Tclose(t) } }
            let size = H5Tget_size(t)
            switch H5Tget_class(t) {
            case H5T_FLOAT: return size == 4 ? .float32 : .float64
            case H5T_INTEGER:
                if size == 1 { return .uint8 }
                return size == 4 ? .int32 : .int64
            default: throw HDF5Error(operation: "read", path: path, stack: "unsupported element type")
            }
        }
    }

    public func write(_ data: ArrayData) throws {
        try withBytes(data) { type, ptr in
            try HDF5.call("H5Dwrite", path) { H5Dwrite(id, type, ct_H5S_ALL(), ct_H5S_ALL(), ct_H5P_DEFAULT(), ptr) }
        }
    }

    /// Writes `data` into the block starting at `start` with extent `count`, growing the dataset if needed.
    public func write(_ data: ArrayData, start: [Int], count: [Int]) throws {
        let cur = try shape
        let need = zip(start, count).map { $0 + $1 }
        if zip(need, cur).contains(where: { $0 > $1 }) {
            var newDims = zip(need, cur).map { hsize_t(max($0, $1)) }
            try HDF5.call("H5Dset_extent", path) { H5Dset_extent(id, &newDims) }
        }
        let fs = try HDF5.call("H5Dget_space", path) { H5Dget_space(id) }
        defer { HDF5.quiet { H5Sclose(fs) } }
        var st = start.map { hsize_t($0) }
        var ct = count.map { hsize_t($0) }
        try HDF5.call("H5Sselect_hyperslab", path) { H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, nil, &ct, nil) }
        let ms = try HDF5.call("H5Screate_simple", path) { H5Screate_simple(Int32(ct.count), &ct, nil) }
        defer { HDF5.quiet { H5Sclose(ms) } }
        try withBytes(data) { type, ptr in
            try HDF5.call("H5Dwrite", path) { H5Dwrite(id, type, ms, fs, ct_H5P_DEFAULT(), ptr) }
        }
    }

    /// Stores one chunk that is already filtered (all of the dataset's filters applied, e.g. by `ChunkCodec`),
    /// bypassing libhdf5's pipeline; `offset` is the chunk's first element. Grows the dataset to hold it.
    public func writeChunk(_ bytes: [UInt8], offset: [Int], count: [Int]) throws {
        let cur = try shape
        let need = zip(offset, count).map { $0 + $1 }
        if zip(need, cur).contains(where: { $0 > $1 }) {
            var newDims = zip(need, cur).map { hsize_t(max($0, $1)) }
            try HDF5.call("H5Dset_extent", path) { H5Dset_extent(id, &newDims) }
        }
        var off = offset.map { hsize_t($0) }
        _ = try bytes.withUnsafeBytes { b in
            try HDF5.call("H5Dwrite_chunk", path) {
                H5Dwrite_chunk(id, ct_H5P_DEFAULT(), 0, &off, b.count, b.baseAddress)
            }
        }
    }

    func withBytes(_ data: ArrayData, _ body: (hid_t, UnsafeRawPointer?) throws -> Void) throws {
        switch data {
        case .float32(let a): try a.withUnsafeBytes { try body(ct_H5T_NATIVE_FLOAT(), $0.baseAddress) }
        case .float64(let a): try a.withUnsafeBytes { try body(ct_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
        case .int64(let a): try a.withUnsafeBytes { try body(ct_H5T_NATIVE_INT64(), $0.baseAddress) }
        case .int32(let a): try a.withUnsafeBytes { try body(ct_H5T_NATIVE_INT32(), $0.baseAddress) }
        case .uint8(let a): try a.withUnsafeBytes { try body(ct_H5T_NATIVE_UINT8(), $0.baseAddress) }
        }
    }

    /// Reads the whole dataset in its stored element type.
    public func read() throws -> ArrayData {
        let n = try shape.reduce(1, *)
        func values<T: BitwiseCopyable>(_ zero: T, _ memType: hid_t) throws -> [T] {
            var a = [T](repeating: zero, count: n)
            _ = try a.withUnsafeMutableBytes { b in
                try HDF5.call("H5Dread", path) {
                    H5Dread(id, memType, ct_H5S_ALL(), ct_H5S_ALL(), ct_H5P_DEFAULT(), b.baseAddress)
                }
            }
            return a
        }
        let type = try elementType
        let mem = HDF5.nativeType(type)
        switch type {
        case .float32: return .float32(try values(Float(0), mem))
        case .float64: return .float64(try values(Double(0), mem))
        case .int64: return .int64(try values(Int64(0), mem))
        case .int32: return .int32(try values(Int32(0), mem))
        case .uint8: return .uint8(try values(UInt8(0), mem))
        }
    }

    /// Reads the block at `start` with extent `count` as float32 (libhdf5 converts), e.g. one snapshot of a
    /// (time, y, x) variable without holding the others.
    public func readFloats(start: [Int], count: [Int]) throws -> [Float] {
        let fs = try HDF5.call("H5Dget_space", path) { H5Dget_space(id) }
        defer { HDF5.quiet { H5Sclose(fs) } }
        var st = start.map { hsize_t($0) }
        var ct = count.map { hsize_t($0) }
        try HDF5.call("H5Sselect_hyperslab", path) { H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, nil, &ct, nil) }
        let ms = try HDF5.call("H5Screate_simple", path) { H5Screate_simple(Int32(ct.count), &ct, nil) }
        defer { HDF5.quiet { H5Sclose(ms) } }
        var a = [Float](repeating: 0, count: count.reduce(1, *))
        _ = try a.withUnsafeMutableBytes { b in
            try HDF5.call("H5Dread", path) {
                H5Dread(id, ct_H5T_NATIVE_FLOAT(), ms, fs, ct_H5P_DEFAULT(), b.baseAddress)
            }
        }
        return a
    }

    /// Reads a 1-D dataset of variable-length strings (ids written by `writeStrings`).
    public func readStrings() throws -> [String] {
        let n = try shape.reduce(1, *)
        let t = try HDF5.call("H5Tcopy", path) { H5Tcopy(ct_H5T_C_S1()) }
        defer { HDF5.quiet { H5Tclose(t) } }
        try HDF5.call("H5Tset_size", path) { H5Tset_size(t, ct_H5T_VARIABLE()) }
        try HDF5.call("H5Tset_cset", path) { H5Tset_cset(t, H5T_CSET_UTF8) }
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        _ = try ptrs.withUnsafeMutableBytes { b in
            try HDF5.call("H5Dread", path) {
                H5Dread(id, t, ct_H5S_ALL(), ct_H5S_ALL(), ct_H5P_DEFAULT(), b.baseAddress)
            }
        }
        defer { for p in ptrs { if let p { H5free_memory(p) } } }
        return ptrs.map { $0.map { String(cString: $0) } ?? "" }
    }

    /// Marks this dataset as a dimension scale (netCDF-4 coordinate variable).
    public func makeScale(_ name: String) throws {
        try HDF5.call("H5DSset_scale", path) { H5DSset_scale(id, name) }
    }
    /// Attaches a dimension scale to dimension `dim` of this dataset.
    public func attach(scale: H5Dataset, dim: Int) throws {
        try HDF5.call("H5DSattach_scale", path) { H5DSattach_scale(id, scale.id, UInt32(dim)) }
    }
}

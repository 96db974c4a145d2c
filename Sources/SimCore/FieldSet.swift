/// A typed numeric array, as stored in results and checkpoints.
public enum ArrayData: Sendable, Equatable {
    case float32([Float])
    case float64([Double])
    case int64([Int64])
    case int32([Int32])
    case uint8([UInt8])

    public var count: Int {
        switch self {
        case .float32(let a): a.count
        case .float64(let a): a.count
        case .int64(let a): a.count
        case .int32(let a): a.count
        case .uint8(let a): a.count
        }
    }
    public var typeName: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .int32: "int32"
        case .uint8: "uint8"
        }
    }
    /// The values widened to Double (for summaries and tests).
    public var doubles: [Double] {
        switch self {
        case .float32(let a): a.map(Double.init)
        case .float64(let a): a
        case .int64(let a): a.map(Double.init)
        case .int32(let a): a.map(Double.init)
        case .uint8(let a): a.map(Double.init)
        }
    }
}

public enum ElementType: String, Sendable, Equatable { case float32, float64, int64, int32, uint8 }

/// A named array with its shape: one entry of a checkpoint.
public struct NamedArray: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var data: ArrayData
    public init(_ name: String, shape: [Int]? = nil, _ data: ArrayData) {
        self.name = name
        self.shape = shape ?? [data.count]
        self.data = data
    }
}

/// One output variable: name, units and dimension names (CF-style attributes go with it into HDF5).
public struct Variable: Sendable, Equatable {
    public var name: String
    public var units: String
    public var longName: String
    public var dims: [String]
    public var type: ElementType
    /// Value meaning "no data" (written as `_FillValue`), if any.
    public var fillValue: Double?
    public init(
        _ name: String, units: String, longName: String, dims: [String], type: ElementType = .float32,
        fillValue: Double? = nil
    ) {
        self.name = name
        self.units = units
        self.longName = longName
        self.dims = dims
        self.type = type
        self.fillValue = fillValue
    }
}

/// A coordinate axis, stored as an HDF5 dimension scale.
public struct Coordinate: Sendable, Equatable {
    public var name: String
    public var units: String
    public var longName: String
    public var values: [Double]
    public var attributes: [String: String]
    /// Names of the entries (e.g. link ids), written beside the coordinate as `<name>_id` strings.
    public var labels: [String]?
    public init(
        _ name: String, units: String, longName: String, values: [Double], attributes: [String: String] = [:],
        labels: [String]? = nil
    ) {
        self.name = name
        self.units = units
        self.longName = longName
        self.values = values
        self.attributes = attributes
        self.labels = labels
    }
}

/// Where the entities along one dimension are on the map, as a CF-1.8 simple geometry (CF conventions §7.5): points
/// (one `x`/`y` each, along the dimension) or lines (`nodeCount` nodes each, `x`/`y` along `<dimension>_node`).
/// The coordinate arrays are finals of the same schema (model CRS); the result file gets a geometry container
/// `<dimension>_geometry`, and every variable along the dimension a `geometry` attribute naming it.
public struct Geometry: Sendable, Equatable {
    public enum Kind: String, Sendable { case point, line }
    public var dimension: String
    public var kind: Kind
    public var x: String
    public var y: String
    public var nodeCount: String?
    public var name: String { dimension + "_geometry" }
    public init(_ dimension: String, kind: Kind, x: String, y: String, nodeCount: String? = nil) {
        self.dimension = dimension
        self.kind = kind
        self.x = x
        self.y = y
        self.nodeCount = nodeCount
    }
    /// Points at `<dimension>_x`, `<dimension>_y`.
    public static func points(_ dimension: String) -> Geometry {
        Geometry(dimension, kind: .point, x: dimension + "_x", y: dimension + "_y")
    }
}

/// What a domain writes: fixed coordinates, snapshot variables (gain a leading `time` dimension), end-of-run
/// variables, and per-tick diagnostics (one value each per tick, along a `step` dimension).
public struct OutputSchema: Sendable, Equatable {
    public var group: String
    public var coordinates: [Coordinate]
    public var snapshots: [Variable]
    public var finals: [Variable]
    public var diagnostics: [Variable]
    public var attributes: [String: String]
    public var geometries: [Geometry]
    public init(
        group: String, coordinates: [Coordinate], snapshots: [Variable], finals: [Variable],
        diagnostics: [Variable], attributes: [String: String] = [:], geometries: [Geometry] = []
    ) {
        self.geometries = geometries
        self.group = group
        self.coordinates = coordinates
        self.snapshots = snapshots
        self.finals = finals
        self.diagnostics = diagnostics
        self.attributes = attributes
    }
    public func shape(of v: Variable) -> [Int] {
        v.dims.map { d in coordinates.first { $0.name == d }?.values.count ?? 0 }
    }
}

extension Array where Element == NamedArray {
    /// The checkpoint array `name` of a domain's state, with `count` values; a clear refusal otherwise.
    public func checkpointArray(_ name: String, count: Int, domain: String, mismatch: String) throws -> ArrayData {
        guard let a = first(where: { $0.name == name }) else {
            throw RunError(
                "checkpoint has no \(domain) state '\(name)'",
                hint: "the checkpoint was written by another model or version; start the run afresh")
        }
        guard a.data.count == count else {
            throw RunError(
                "checkpoint \(domain) state '\(name)' has \(a.data.count) values, this model needs \(count)",
                hint: "the checkpoint belongs to \(mismatch); start the run afresh")
        }
        return a.data
    }
}

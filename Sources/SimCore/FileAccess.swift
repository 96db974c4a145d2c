#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the files a job or a model names may be. A model's files resolve inside the model's folder; a job's
/// files inside the job's folder or its model's folder; `--allow-path DIR` (repeatable) opens more folders.
/// Paths are resolved with symlinks and `..` before the check, so neither leads out of an allowed folder.
public struct FileAccess: Sendable, Equatable {
    /// Canonical folders opened with `--allow-path`.
    public private(set) var allowed: [String] = []

    public init() {}

    /// Opens `directory` (and everything below it) to jobs and models. Throws if it does not exist.
    public mutating func allow(_ directory: String) throws {
        guard let c = Self.canonical(directory) else {
            throw RunError(
                "--allow-path '\(directory)' does not exist", hint: "name an existing folder, or drop the option")
        }
        if !allowed.contains(c) { allowed.append(c) }
    }

    /// How a named path resolved.
    public enum Resolution: Equatable, Sendable {
        /// Inside an allowed folder: the path to open (as the user wrote it, joined to its base).
        case inside(String)
        /// Does not exist (the joined path, for the message).
        case missing(String)
        /// Exists, but resolves outside every allowed folder (to this canonical path).
        case outside(String)
    }

    /// Resolves `path` (relative paths against `base`) and checks it lies in one of `roots` or an allowed folder.
    public func resolve(_ path: String, base: String, roots: [String]) -> Resolution {
        let joined = path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path
        guard let c = Self.canonical(joined) else { return .missing(joined) }
        for r in roots.compactMap(Self.canonical) + allowed where Self.contains(r, c) { return .inside(joined) }
        return .outside(c)
    }

    /// The hint for a path that resolved outside.
    public static let outsideHint =
        "a model's files must be inside the model folder, a job's inside the job's or the model's folder; "
        + "pass --allow-path DIR to read from another folder"

    static func contains(_ root: String, _ path: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// The absolute path with symlinks, `.` and `..` resolved; nil if it does not exist.
    public static func canonical(_ path: String) -> String? {
        guard let p = realpath(path.isEmpty ? "." : path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}

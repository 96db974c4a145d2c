#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writing files so that no other file is ever touched: temporary files get unpredictable names and are created
/// exclusively (an existing file or a planted symlink makes the create fail instead of being followed), then
/// renamed into place. Without `overwrite`, the final step is a hard link, which fails if the name exists, so
/// even a file that appears during the run is not replaced.
public enum SafeFile {
    /// A new, unused-looking temporary name beside `path`: `<dir>/.<name>.<16 hex digits>.tmp`.
    public static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var rng = SystemRandomNumberGenerator()
        let r = String(rng.next() as UInt64, radix: 16)
        return dir + "." + base + "." + String(repeating: "0", count: 16 - r.count) + r + ".tmp"
    }

    /// True for names `temporaryPath` makes (so a run can clean up its own leftovers and nothing else).
    public static func isTemporaryName(_ name: String, for base: String) -> Bool {
        name.hasPrefix("." + base + ".") && name.hasSuffix(".tmp") && name.count == base.count + 22
    }

    /// Writes `bytes` to `path` through an exclusive temporary file.
    public static func write(_ path: String, _ bytes: [UInt8], overwrite: Bool) throws {
        if !overwrite, exists(path) {
            throw RunError("'\(path)' already exists", hint: "pass --overwrite to replace it, or --output DIR")
        }
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError("cannot create a temporary file beside '\(path)': \(systemError())")
        }
        var done = 0
        var failed: String?
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failed = systemError()
                break
            }
            done += n
        }
        if close(fd) != 0 && failed == nil { failed = systemError() }
        if let failed {
            unlink(tmp)
            throw RunError("cannot write '\(path)': \(failed)", hint: "is the disk full or the folder read-only?")
        }
        try commit(tmp, to: path, overwrite: overwrite)
    }

    /// Moves the finished temporary file `tmp` to `path` (removing `tmp` if that fails).
    public static func commit(_ tmp: String, to path: String, overwrite: Bool) throws {
        if overwrite {
            guard rename(tmp, path) == 0 else {
                let e = systemError()
                unlink(tmp)
                throw RunError("cannot rename '\(tmp)' to '\(path)': \(e)")
            }
            return
        }
        guard link(tmp, path) == 0 else {
            let code = errno
            let e = systemError()
            unlink(tmp)
            if code == EEXIST {
                throw RunError("'\(path)' already exists", hint: "pass --overwrite to replace it, or --output DIR")
            }
            throw RunError("cannot move '\(tmp)' to '\(path)': \(e)")
        }
        unlink(tmp)
    }

    /// True if something (a file, folder or symlink, even a dangling one) has this name.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func systemError() -> String { String(cString: strerror(errno)) }
}

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

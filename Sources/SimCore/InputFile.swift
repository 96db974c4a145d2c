#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way input files are opened: regular files only (a device, FIFO, socket or folder is refused before
/// anything is read, so `/dev/zero` cannot be read without bound and a FIFO cannot hang the engine), and the size
/// is checked against the reader's bound before a byte is allocated.
public enum InputFile {
    /// Files larger than this are refused by readers that know no tighter bound (tables, JSON, job files).
    public static let defaultLimit = 4 << 30

    /// The bytes of a regular file of at most `limit` bytes. `what` names the file in messages ("the terrain").
    public static func read(_ path: String, limit: Int = defaultLimit, what: String = "the file") throws -> [UInt8] {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure(path, what, "cannot read it: \(systemError())") }
        let size = Int(st.st_size)
        guard size <= limit else {
            throw InputError(
                SourceLocation(file: path), code: "E-FILE-004",
                message: "\(what) is \(megabytes(size)), more than the \(megabytes(limit)) it may have",
                hint: "check that the path names the right file")
        }
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path, what, "cannot read it: \(systemError())") }
            if n == 0 { break }  // shrank while we read
            done += n
        }
        if done < size { out.removeSubrange(done...) }
        return out
    }

    /// The UTF-8 text of a regular file of at most `limit` bytes.
    public static func text(_ path: String, limit: Int = defaultLimit, what: String = "the file") throws -> String {
        let bytes = try read(path, limit: limit, what: what)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw InputError(
                SourceLocation(file: path), code: "E-FILE-005", message: "\(what) is not UTF-8 text",
                hint: "check that the path names the right file")
        }
        return s
    }

    /// The first `count` bytes of a regular file (or all of it, if shorter): for headers that bound the rest.
    public static func prefix(_ path: String, count: Int, what: String = "the file") throws -> (
        bytes: [UInt8], size: Int
    ) {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure(path, what, "cannot read it: \(systemError())") }
        let size = Int(st.st_size)
        var out = [UInt8](repeating: 0, count: min(count, size))
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw failure(path, what, "cannot read it: \(systemError())") }
        if n < out.count { out.removeSubrange(n...) }
        return (out, size)
    }

    /// Calls `body` with consecutive blocks (64 KiB) of a regular file: for counts over large tables without
    /// reading them into memory.
    public static func scan(_ path: String, what: String = "the file", _ body: ([UInt8]) throws -> Void) throws {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path, what, "cannot read it: \(systemError())") }
            if n == 0 { break }
            try body(n == buf.count ? buf : Array(buf[0..<n]))
        }
    }

    /// The FNV-1a (64-bit) digest of a regular file's content, read in blocks (no whole-file allocation).
    public static func digest(_ path: String) throws -> String {
        let fd = try openRegular(path, what: "the file")
        defer { close(fd) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path, "the file", "cannot read it: \(systemError())") }
            if n == 0 { break }
            for k in 0..<n {
                h ^= UInt64(buf[k])
                h = h &* 0x100_0000_01b3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// True if `path` names a regular file (following symlinks), without opening it.
    /// True for a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Opens for reading without blocking (a FIFO with no writer would block `open`) and refuses anything but a
    /// regular file.
    static func openRegular(_ path: String, what: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw InputError(
                SourceLocation(file: path), code: e == ENOENT ? "E-FILE-001" : "E-FILE-002",
                message: "cannot open \(what): \(String(cString: strerror(e)))",
                hint: e == ENOENT
                    ? "check the path (relative paths are resolved against the job or model folder)"
                    : "check its permissions")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw failure(path, what, "cannot read it: \(systemError())")
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            let name: String
            switch kind {
            case S_IFDIR: name = "a folder"
            case S_IFIFO: name = "a FIFO (named pipe)"
            case S_IFSOCK: name = "a socket"
            case S_IFCHR, S_IFBLK: name = "a device"
            default: name = "not a regular file"
            }
            throw InputError(
                SourceLocation(file: path), code: "E-FILE-003",
                message: "\(what) is \(name), not a regular file", hint: "name a file of the model or job")
        }
        return fd
    }

    static func failure(_ path: String, _ what: String, _ message: String) -> InputError {
        InputError(SourceLocation(file: path), code: "E-FILE-002", message: "\(what): \(message)")
    }

    static func systemError() -> String { String(cString: strerror(errno)) }

    public static func megabytes(_ bytes: Int) -> String {
        if bytes < 1 << 20 { return "\(bytes) bytes" }
        let mb = Double(bytes) / Double(1 << 20)
        return mb < 10 ? "\(Double(Int(mb * 10)) / 10) MiB" : "\(Int(mb)) MiB"
    }
}

/// Quoting what an input file says, safely: a short token of the characters our formats use is shown as is;
/// anything else is described, never echoed (an error about a file that is not ours must not print its content).
public enum InputToken {
    public static let maxLength = 32

    /// `'tok'` when `s` is short and made of letters, digits and `._+-:>` (ids, numbers, keys), else a
    /// description such as "a 57-character value".
    public static func quote<S: StringProtocol>(_ s: S) -> String {
        if isPlain(s) { return "'\(s)'" }
        if s.isEmpty { return "an empty value" }
        return "a \(s.count)-character value that is not shown"
    }

    /// True for tokens safe to show and to offer as a "did you mean".
    public static func isPlain<S: StringProtocol>(_ s: S) -> Bool {
        guard !s.isEmpty, s.count <= maxLength else { return false }
        return s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || "._+-:> ".unicodeScalars
                    .contains(c)
        }
    }
}

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

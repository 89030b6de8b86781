#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls the index needs, throwing ``IndexError/Code/io``.
enum Posix {
    static func message() -> String { String(cString: strerror(errno)) }

    static func ioError(_ what: String, _ path: String) -> IndexError {
        IndexError(.io, path: path, "\(what) failed: \(message())")
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            done += n
        }
    }

    static func fsyncPath(_ path: String, directory: Bool) throws {
        let fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard fd >= 0 else { throw ioError("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync", path) }
    }

    static func fileExists(_ path: String) -> (exists: Bool, isDirectory: Bool) {
        var st = stat()
        guard stat(path, &st) == 0 else { return (false, false) }
        return (true, (st.st_mode & S_IFMT) == S_IFDIR)
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw ioError("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Gives the file at `existing` a second name, `path` (a hard link: no byte is copied).
    static func hardLink(_ existing: String, _ path: String) throws {
        guard link(existing, path) == 0 else { throw ioError("link to \(existing)", path) }
    }

    /// Creates `path` and any missing parents (`mkdir -p`).
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw ioError("mkdir", path) }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        guard !parent.isEmpty, parent != path else { throw ioError("mkdir", path) }
        try makeDirectory(parent)
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw ioError("mkdir", path) }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw errno == ENOENT ? IndexError(.notFound, path: path, "no such file") : ioError("open", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes `bytes` to `path` through a temporary file, fsync and rename, so readers see the old
    /// or the new content, never a mix.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], directory: String) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ioError("open", temp) }
        do {
            try bytes.withUnsafeBytes { (b) throws in try writeAll(fd, b, path: temp) }
            guard fsync(fd) == 0 else { throw ioError("fsync", temp) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw ioError("rename", path) }
        try fsyncPath(directory, directory: true)
    }
}

extension Posix {
    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}


/// Scheduling priority of the calling thread, for background work that should yield the CPU to
/// searches (a collection's writes, merges).
public enum ThreadPriority {
    /// Lowers the calling thread's priority to `nice` (0 to 19). On Linux `setpriority` with
    /// `who` 0 applies to the calling thread only, not to the whole process; elsewhere this does
    /// nothing.
    public static func lowerCurrentThread(to nice: Int32) {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
        #endif
    }
}

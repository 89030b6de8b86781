import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The repository root, found from this source file's location.
public let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
}()

/// The `sparrow` executable SwiftPM built beside the test bundle (tests that run it as a child
/// process: crash tests, the server).
public var sparrowExecutable: String {
    let bundle = CommandLine.arguments[0]
    let dir = String(bundle[..<(bundle.lastIndex(of: "/") ?? bundle.startIndex)])
    for candidate in [dir + "/sparrow", dir + "/../sparrow", repositoryRoot + "/.build/debug/sparrow"]
    where access(candidate, X_OK) == 0 {
        return candidate
    }
    return repositoryRoot + "/.build/debug/sparrow"
}

/// A path under `../shared/data` (beside the repository). Tests that need it call
/// ``requireSharedData(_:)`` to fail with a clear message when it is missing.
public func sharedDataPath(_ relative: String) -> String {
    repositoryRoot + "/../shared/data/" + relative
}

public struct MissingSharedData: Error, CustomStringConvertible {
    public let path: String
    public var description: String {
        "test data \(path) is missing: these tests read ../shared/data beside the repository (see README)"
    }
}

/// Returns the path under `../shared/data`, throwing a clear error if it does not exist.
public func requireSharedData(_ relative: String) throws -> String {
    let p = sharedDataPath(relative)
    guard access(p, R_OK) == 0 else { throw MissingSharedData(path: p) }
    return p
}

/// A fresh empty directory under the system temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "sparrow-test") -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
}

/// Removes a directory tree (test clean-up).
public func removeTree(_ path: String) {
    var top = stat()
    if lstat(path, &top) == 0 && (top.st_mode & S_IFMT) != S_IFDIR {
        unlink(path)
        return
    }
    for name in listDirectory(path) {
        let child = path + "/" + name
        var st = stat()
        if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
    }
    rmdir(path)
}

public func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    bytes.withUnsafeBytes { b in precondition(write(fd, b.baseAddress, b.count) == b.count) }
    close(fd)
}

public func writeFile(_ path: String, _ text: String) { writeFile(path, Array(text.utf8)) }

public func readFileBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

/// Writes `text` gzip-compressed to `path`.
public func writeGzip(_ path: String, _ text: String) {
    guard let f = gzopen(path, "wb") else { preconditionFailure("gzopen \(path)") }
    var bytes = Array(text.utf8)
    if !bytes.isEmpty { precondition(gzwrite(f, &bytes, UInt32(bytes.count)) == Int32(bytes.count)) }
    gzclose(f)
}

/// The names of the files in a directory.
public func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let e = readdir(dir) {
        let name = withUnsafePointer(to: e.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The bytes of the segment and deletion files of the index at `dir`, by name from its first dot
/// on (`.postings`, `.clusters`, `.1.del`, …), so that indexes whose segments have other names
/// compare file by file.
public func segmentFiles(_ dir: String) -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    for name in listDirectory(dir) where name.hasPrefix("seg-") {
        out[String(name.drop { $0 != "." })] = readFileBytes(dir + "/" + name)
    }
    return out
}

/// Copies the files of directory `source` into the existing directory `destination` (a fixture,
/// copied before a test writes to it).
public func copyFiles(from source: String, to destination: String) {
    for name in listDirectory(source) { writeFile(destination + "/" + name, readFileBytes(source + "/" + name)) }
}

/// A `.safetensors` file: the 8-byte little-endian length of `header` (its JSON), the header,
/// then the raw tensor bytes.
public func safetensorsFile(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    return (0..<8).map { UInt8((UInt64(json.count) >> (8 * $0)) & 0xFF) } + json + data
}

/// The CRC-32 (zlib's) of `bytes`, to re-seal files a test edits on purpose.
public func crc32Bytes(_ bytes: [UInt8]) -> UInt32 {
    UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
}

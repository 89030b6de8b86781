import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line, transparently decompressing gzip (by content, not by name).
///
/// Lines are handed out as byte buffers without the line terminator (`\n` or `\r\n`). A gzip stream that
/// ends early, or fails its CRC, is an ``InputError`` naming the line where reading stopped.
public struct LineReader {
    public let path: String

    /// Prepares to read `path`; the file is opened when ``forEachLine(_:)`` runs.
    public init(path: String) {
        self.path = path
    }

    /// Calls `body` with each line's bytes and its 1-based line number.
    ///
    /// `progress`, if given, is called after each chunk read with the fraction of the file (its
    /// bytes on disk, compressed or not) consumed so far.
    public func forEachLine(
        progress: ((Double) -> Void)? = nil,
        _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        guard let file = gzopen(path, "rb") else {
            throw InputError(path: path, line: 0, problem: "cannot open file (\(systemErrorMessage()))")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 18)
        var st = stat()
        let fileSize = stat(path, &st) == 0 ? Double(st.st_size) : 0

        var capacity = 1 << 20
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var start = 0      // first byte of the unfinished line
        var end = 0        // bytes held
        var lineNumber = 0
        var atEOF = false

        while !atEOF {
            // Keep the unfinished line, grow when one line fills the buffer.
            if start > 0 {
                if end > start { buffer.update(from: buffer + start, count: end - start) }
                end -= start
                start = 0
            }
            if end == capacity {
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                bigger.update(from: buffer, count: end)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let got = gzread(file, buffer + end, UInt32(capacity - end))
            if got < 0 || (got == 0 && gzeofFailed(file)) {
                throw InputError(path: path, line: lineNumber + 1, problem: gzipProblem(file))
            }
            if got == 0 { atEOF = true }
            if let progress, fileSize > 0 { progress(min(1, Double(gzoffset(file)) / fileSize)) }
            var scan = end
            end += Int(got)

            while let nl = memchrIndex(buffer, from: scan, to: end) {
                lineNumber += 1
                var lineEnd = nl
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                try body(UnsafeBufferPointer(start: buffer + start, count: lineEnd - start), lineNumber)
                start = nl + 1
                scan = start
            }
            if atEOF && end > start {
                lineNumber += 1
                var lineEnd = end
                if buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                try body(UnsafeBufferPointer(start: buffer + start, count: lineEnd - start), lineNumber)
            }
        }
    }
}

@inline(__always)
private func memchrIndex(_ base: UnsafeMutablePointer<UInt8>, from: Int, to: Int) -> Int? {
    guard from < to, let hit = memchr(base + from, 10, to - from) else { return nil }
    return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
}

/// True when zlib reports that the stream ended before the gzip trailer.
private func gzeofFailed(_ file: gzFile) -> Bool {
    var code: Int32 = 0
    _ = gzerror(file, &code)
    return code != Z_OK
}

private func gzipProblem(_ file: gzFile) -> String {
    var code: Int32 = 0
    let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
    switch code {
    case Z_BUF_ERROR: return "gzip file is truncated (\(message)); the lines before this one were read"
    case Z_DATA_ERROR: return "gzip data is corrupt (\(message))"
    case Z_ERRNO: return "read failed (\(systemErrorMessage()))"
    default: return "cannot decompress (\(message))"
    }
}

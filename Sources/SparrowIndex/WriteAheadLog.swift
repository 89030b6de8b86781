#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import SparrowCore

/// A document ready for a segment: tokens and weights, and for a text collection the term
/// frequencies and the length its BM25 weights are computed from.
public struct PreparedDocument: Sendable, Equatable {
    public var id: String
    public var tokens: [String]
    public var weights: [Float]
    /// Per token, its occurrences (text collections only).
    public var frequencies: [UInt32]?
    /// The number of terms after analysis (text collections only).
    public var length: Int?
    /// The stored display text.
    public var text: String?

    public init(id: String, tokens: [String], weights: [Float], frequencies: [UInt32]? = nil, length: Int? = nil,
                text: String? = nil) {
        self.id = id
        self.tokens = tokens
        self.weights = weights
        self.frequencies = frequencies
        self.length = length
        self.text = text
    }
}

/// One logged write. An insert is logged as an upsert: it was checked against the collection
/// before it was logged, so replaying it over the same state does the same thing.
public enum LogOperation: Sendable, Equatable {
    case upsert([PreparedDocument])
    case delete([String])
}

/// How often the write-ahead log is forced to stable storage.
public enum FsyncPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Before every acknowledgement: an acknowledged write survives a power failure.
    case always
    /// At most this many milliseconds apart (checked when a write arrives, and at every commit and
    /// close): a process crash loses nothing (the operating system holds the bytes), a power failure
    /// may lose the writes of the last interval.
    case interval(milliseconds: Int)
    /// Never, except at commits and close: fastest; a power failure may lose everything since the
    /// last commit.
    case none

    /// Parses `always`, `none` or `interval:MS`.
    public init?(_ text: String) {
        switch text {
        case "always": self = .always
        case "none": self = .none
        default:
            guard text.hasPrefix("interval:"), let ms = Int(text.dropFirst("interval:".count)), ms >= 1 else { return nil }
            self = .interval(milliseconds: ms)
        }
    }

    public var description: String {
        switch self {
        case .always: return "always"
        case .none: return "none"
        case .interval(let ms): return "interval:\(ms)"
        }
    }
}

/// The write-ahead log of a live collection: `wal.log` in the index directory.
///
/// The file is an 8-byte magic followed by records, each `length (u32) · crc32 (u32) · opstamp
/// (u64) · payload (length bytes)`, little-endian; the CRC-32 covers the opstamp and the payload.
/// Opstamps increase by one per operation. A commit records the last opstamp it contains in
/// `meta.json` and then empties the log; opening replays the records past that stamp. A record that
/// is cut short or fails its checksum ends the valid log: it and everything after it are the torn
/// tail of a write that was never acknowledged, reported and cut off, never applied.
public final class WriteAheadLog: @unchecked Sendable {
    public static let fileName = "wal.log"
    static let magic: [UInt8] = Array("SPRWAL01".utf8)
    static let recordHeader = 16
    /// The largest payload a record may have (a batch is refused above it).
    public static let maxPayload = 1 << 30

    /// The log file.
    public let path: String
    private let fd: Int32
    public let policy: FsyncPolicy
    private var lastSync = ContinuousClock.now
    private var dirty = false
    /// The log's size in bytes.
    public private(set) var size: Int

    /// What a scan of a log file found.
    public struct Scan: Sendable {
        /// The valid records, in order.
        public var records: [(opstamp: UInt64, operation: LogOperation)]
        /// The length of the valid prefix.
        public var validLength: Int
        /// A description of the torn tail, naming its byte offset, or nil when the file ends cleanly.
        public var tornTail: String?

        public init(records: [(opstamp: UInt64, operation: LogOperation)], validLength: Int, tornTail: String?) {
            self.records = records
            self.validLength = validLength
            self.tornTail = tornTail
        }
    }

    /// Reads every valid record of the log at `path`.
    public static func scan(path: String) throws -> Scan {
        let bytes = try Posix.readFile(path)
        if bytes.isEmpty { return Scan(records: [], validLength: 0, tornTail: nil) }
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw IndexError.corrupt(path: path, "is not a Sparrow write-ahead log (bad magic)")
        }
        var records: [(UInt64, LogOperation)] = []
        var at = magic.count
        var torn: String?
        var previous: UInt64?
        return bytes.withUnsafeBytes { raw in
            while at < bytes.count {
                guard bytes.count - at >= recordHeader else {
                    torn = "torn tail at byte offset \(at): \(bytes.count - at) bytes, shorter than a record header"
                    break
                }
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self))
                guard length <= maxPayload, bytes.count - at - recordHeader >= length else {
                    torn = "torn tail at byte offset \(at): a record of \(length) bytes runs past the end of the file"
                    break
                }
                let body = UnsafeRawBufferPointer(rebasing: raw[(at + 8)..<(at + recordHeader + length)])
                guard MappedFile.checksum(body, count: body.count) == stored else {
                    torn = "torn tail at byte offset \(at): record checksum mismatch"
                    break
                }
                let opstamp = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
                var reader = LogReader(bytes: UnsafeRawBufferPointer(rebasing: raw[(at + recordHeader)..<(at + recordHeader + length)]))
                guard let operation = reader.operation(), reader.atEnd, previous.map({ opstamp == $0 + 1 }) ?? true else {
                    torn = "torn tail at byte offset \(at): record does not decode"
                    break
                }
                previous = opstamp
                records.append((opstamp, operation))
                at += recordHeader + length
            }
            return Scan(records: records, validLength: at, tornTail: torn)
        }
    }

    /// Opens (creating when absent) the log at `path` for appending, after cutting it to
    /// `validLength` (from ``scan(path:)``).
    public init(path: String, validLength: Int, policy: FsyncPolicy) throws {
        self.path = path
        self.policy = policy
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw Posix.ioError("open", path) }
        self.fd = fd
        var length = validLength
        if length < Self.magic.count {
            guard ftruncate(fd, 0) == 0 else { throw Posix.ioError("truncate", path) }
            try Self.magic.withUnsafeBytes { try Posix.writeAllAt(fd, $0, offset: 0, path: path) }
            length = Self.magic.count
        } else {
            guard ftruncate(fd, off_t(length)) == 0 else { throw Posix.ioError("truncate", path) }
        }
        guard fsync(fd) == 0 else { throw Posix.ioError("fsync", path) }
        size = length
        try Posix.fsyncPath(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]).isEmpty ? "." : String(path[..<path.lastIndex(of: "/")!]), directory: true)
    }

    deinit { close(fd) }

    /// Appends one operation and makes it as durable as the policy says; on return it may be
    /// acknowledged. A failed write is cut off again, so the log never keeps half a record.
    public func append(_ operation: LogOperation, opstamp: UInt64) throws {
        var writer = LogWriter()
        writer.u32(0)
        writer.u32(0)
        writer.u64(opstamp)
        writer.operation(operation)
        let length = writer.bytes.count - Self.recordHeader
        guard length <= Self.maxPayload else {
            throw IndexError(.invalidArgument, path: path, "a batch of \(length) bytes is larger than a log record may be (1 GiB); send smaller batches")
        }
        writer.bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 0, as: UInt32.self)
            let crc = MappedFile.checksum(UnsafeRawBufferPointer(rebasing: raw[8...]), count: raw.count - 8)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        do {
            try writer.bytes.withUnsafeBytes { try Posix.writeAllAt(fd, $0, offset: size, path: path) }
            dirty = true
            switch policy {
            case .always: try sync()
            case .interval(let ms): if ContinuousClock.now - lastSync >= .milliseconds(ms) { try sync() }
            case .none: break
            }
        } catch {
            _ = ftruncate(fd, off_t(size))
            throw error
        }
        size += writer.bytes.count
    }

    /// Whether the log holds no record.
    public var isEmpty: Bool { size <= Self.magic.count }

    /// Forces what was appended to stable storage.
    public func sync() throws {
        guard dirty else { return }
        guard fsync(fd) == 0 else { throw Posix.ioError("fsync", path) }
        dirty = false
        lastSync = .now
    }

    /// Empties the log (after a commit made its records redundant).
    public func reset() throws {
        guard ftruncate(fd, off_t(Self.magic.count)) == 0 else { throw Posix.ioError("truncate", path) }
        guard fsync(fd) == 0 else { throw Posix.ioError("fsync", path) }
        size = Self.magic.count
        dirty = false
    }
}

/// Little-endian encoding of log payloads.
struct LogWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func operation(_ op: LogOperation) {
        switch op {
        case .upsert(let docs):
            u8(1)
            u32(UInt32(docs.count))
            var pacer = YieldPacer()
            for d in docs {
                pacer.point()
                string(d.id)
                u8((d.text != nil ? 1 : 0) | (d.frequencies != nil ? 2 : 0))
                if let t = d.text { string(t) }
                u32(UInt32(d.tokens.count))
                for (t, w) in zip(d.tokens, d.weights) {
                    string(t)
                    u32(w.bitPattern)
                }
                if let f = d.frequencies {
                    for x in f { u32(x) }
                    u64(UInt64(d.length ?? 0))
                }
            }
        case .delete(let ids):
            u8(2)
            u32(UInt32(ids.count))
            for id in ids { string(id) }
        }
    }
}

/// Decoding of log payloads; every read is checked against the record's end.
struct LogReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { at == bytes.count }

    mutating func u8() -> UInt8? {
        guard bytes.count - at >= 1 else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u32() -> UInt32? {
        guard bytes.count - at >= 4 else { return nil }
        defer { at += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func u64() -> UInt64? {
        guard bytes.count - at >= 8 else { return nil }
        defer { at += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    mutating func string() -> String? {
        guard let n = u32().map(Int.init), bytes.count - at >= n else { return nil }
        defer { at += n }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
    }

    /// A count of items that each take at least `minimum` bytes, refused when the rest cannot hold them.
    mutating func count(minimum: Int) -> Int? {
        guard let n = u32().map(Int.init), n * minimum <= bytes.count - at else { return nil }
        return n
    }

    mutating func operation() -> LogOperation? {
        switch u8() {
        case 1:
            guard let n = count(minimum: 9) else { return nil }
            var docs: [PreparedDocument] = []
            docs.reserveCapacity(n)
            for _ in 0..<n {
                guard let id = string(), let flags = u8(), flags & ~3 == 0 else { return nil }
                var text: String?
                if flags & 1 != 0 {
                    guard let t = string() else { return nil }
                    text = t
                }
                guard let m = count(minimum: 8) else { return nil }
                var tokens: [String] = []
                var weights: [Float] = []
                tokens.reserveCapacity(m)
                weights.reserveCapacity(m)
                for _ in 0..<m {
                    guard let t = string(), let w = u32() else { return nil }
                    tokens.append(t)
                    weights.append(Float(bitPattern: w))
                }
                var frequencies: [UInt32]?
                var length: Int?
                if flags & 2 != 0 {
                    var f: [UInt32] = []
                    f.reserveCapacity(m)
                    for _ in 0..<m {
                        guard let x = u32() else { return nil }
                        f.append(x)
                    }
                    guard let l = u64(), l <= UInt64(Int32.max) else { return nil }
                    frequencies = f
                    length = Int(l)
                }
                docs.append(PreparedDocument(id: id, tokens: tokens, weights: weights, frequencies: frequencies,
                                             length: length, text: text))
            }
            return .upsert(docs)
        case 2:
            guard let n = count(minimum: 4) else { return nil }
            var ids: [String] = []
            ids.reserveCapacity(n)
            for _ in 0..<n {
                guard let id = string() else { return nil }
                ids.append(id)
            }
            return .delete(ids)
        default:
            return nil
        }
    }
}

/// The writer's lock on an index directory: `write.lock`, held with `flock` for as long as the
/// writer is open. The kernel drops the lock when its process dies, so a lock file left by a
/// crashed writer does not block the next one.
public final class DirectoryLock: @unchecked Sendable {
    public static let fileName = "write.lock"
    private var fd: Int32

    /// Takes the lock of the index directory `directory`, or throws naming the process holding it.
    public init(directory: String) throws {
        let path = directory + "/" + Self.fileName
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw Posix.ioError("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? Posix.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            close(fd)
            let who = holder.isEmpty ? "another writer" : "another writer (process \(holder.filter(\.isNumber)))"
            throw IndexError(.locked, path: directory,
                "is open for writing by \(who); one writer at a time may change an index (readers need no lock)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        var text = pid
        text.withUTF8 { _ = pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock now (a closed writer lets another open the directory while it is still
    /// referenced). Call it at most once, from the lock's owner; `deinit` releases it otherwise.
    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

extension Posix {
    /// Writes all of `bytes` at `offset`, retrying short writes.
    static func writeAllAt(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            done += n
        }
    }
}

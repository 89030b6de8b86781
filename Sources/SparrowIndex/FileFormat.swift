import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The layout shared by every file of a segment.
///
/// ```
/// header   64 bytes   magic "SPARROW\0", kind (4 ASCII bytes), format version u32,
///                     section count u32, zero padding
/// table    32 bytes per section: tag (4 ASCII bytes), element size u32, offset u64, length u64,
///                     zero u64
/// sections each starting at a multiple of 64, little-endian, zero padding between them
/// footer   32 bytes   magic "SPRWFOOT", file length u64, CRC-32 u32 of every byte before the
///                     footer, zero u32, magic "SPRWEND\0"
/// ```
/// Readers check the magic, kind, version, the table against the file size, the footer and (by
/// default) the checksum before handing out a single section.
public enum FileFormat {
    /// The version written by this build.
    public static let version: UInt32 = 2
    static let magic: [UInt8] = Array("SPARROW\0".utf8)
    static let footerMagic: [UInt8] = Array("SPRWFOOT".utf8)
    static let endMagic: [UInt8] = Array("SPRWEND\0".utf8)
    static let headerSize = 64
    static let tableEntrySize = 32
    static let footerSize = 32
    static let alignment = 64
    static let maxSections = 64

    static func alignUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}

/// A 4-character ASCII tag naming a file kind or a section.
public struct FourCC: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(_ text: StaticString) {
        precondition(text.utf8CodeUnitCount == 4, "a tag has four ASCII characters")
        let p = text.utf8Start
        rawValue = UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    init(rawValue: UInt32) { self.rawValue = rawValue }

    public var description: String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: bytes, as: UTF8.self) }
        return "0x" + String(rawValue, radix: 16)
    }
}

/// One section to write: a tag and a buffer of trivial elements.
struct SectionSource {
    let tag: FourCC
    let elementSize: Int
    let bytes: UnsafeRawBufferPointer

    init<T: BitwiseCopyable>(_ tag: FourCC, _ buffer: UnsafeBufferPointer<T>) {
        self.tag = tag
        self.elementSize = MemoryLayout<T>.stride
        self.bytes = UnsafeRawBufferPointer(buffer)
    }
}

/// Writes one file of the segment format, with a running CRC, then fsyncs it.
enum SegmentFileWriter {
    static func write(path: String, kind: FourCC, sections: [SectionSource]) throws {
        precondition(sections.count <= FileFormat.maxSections)
        var header = ByteWriter()
        header.append(FileFormat.magic)
        header.append(kind.rawValue)
        header.append(FileFormat.version)
        header.append(UInt32(sections.count))
        header.pad(to: FileFormat.headerSize)
        var offset = FileFormat.alignUp(FileFormat.headerSize + sections.count * FileFormat.tableEntrySize)
        var offsets: [Int] = []
        for s in sections {
            header.append(s.tag.rawValue)
            header.append(UInt32(s.elementSize))
            header.append(UInt64(offset))
            header.append(UInt64(s.bytes.count))
            header.append(UInt64(0))
            offsets.append(offset)
            offset = FileFormat.alignUp(offset + s.bytes.count)
        }
        let fileLength = offset + FileFormat.footerSize

        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Posix.ioError("open", path) }
        defer { close(fd) }
        var crc: UInt = crc32(0, nil, 0)
        var written = 0
        func emit(_ raw: UnsafeRawBufferPointer) throws {
            guard raw.count > 0 else { return }
            try Posix.writeAll(fd, raw, path: path)
            // zlib's crc32 takes a 32-bit length; feed it in chunks.
            var at = 0
            while at < raw.count {
                let n = min(raw.count - at, 1 << 30)
                crc = crc32(crc, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, UInt32(n))
                at += n
            }
            written += raw.count
        }
        let zeros = [UInt8](repeating: 0, count: FileFormat.alignment)
        func padTo(_ target: Int) throws {
            if target > written {
                try zeros.withUnsafeBytes { (z) throws in
                    try emit(UnsafeRawBufferPointer(rebasing: z[0..<(target - written)]))
                }
            }
        }
        try header.bytes.withUnsafeBytes { (h) throws in try emit(h) }
        for (s, at) in zip(sections, offsets) {
            try padTo(at)
            try emit(s.bytes)
        }
        try padTo(fileLength - FileFormat.footerSize)
        var footer = ByteWriter()
        footer.append(FileFormat.footerMagic)
        footer.append(UInt64(fileLength))
        footer.append(UInt32(truncatingIfNeeded: crc))
        footer.append(UInt32(0))
        footer.append(FileFormat.endMagic)
        try footer.bytes.withUnsafeBytes { (f) throws in try Posix.writeAll(fd, f, path: path) }
        guard fsync(fd) == 0 else { throw Posix.ioError("fsync", path) }
    }
}

/// Little-endian byte assembly for headers.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func pad(to size: Int) {
        if bytes.count < size { bytes.append(contentsOf: repeatElement(0, count: size - bytes.count)) }
    }
}

/// A segment file mapped read-only into memory, validated on open.
final class MappedFile: @unchecked Sendable {
    let path: String
    let kind: FourCC
    let version: UInt32
    private let base: UnsafeRawPointer?
    private let length: Int
    private var sections: [FourCC: (elementSize: Int, bytes: UnsafeRawBufferPointer)] = [:]
    /// The checksum stored in the footer.
    let storedChecksum: UInt32

    /// Maps `path` and checks its structure; with `verifyChecksum`, also reads every byte once to
    /// compare the CRC-32.
    init(path: String, expectedKind: FourCC, verifyChecksum: Bool) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw IndexError(.corrupt, path: path, "file is missing") }
            throw Posix.ioError("open", path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Posix.ioError("fstat", path) }
        length = Int(st.st_size)
        guard length >= FileFormat.headerSize + FileFormat.footerSize else {
            throw IndexError.corrupt(path: path, "file is \(length) bytes, too short for a Sparrow index file")
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw Posix.ioError("mmap", path)
        }
        base = UnsafeRawPointer(mapped)
        let raw = UnsafeRawBufferPointer(start: base, count: length)

        // From here on a failure throws; deinit unmaps.
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        kind = FourCC(rawValue: u32(8))
        version = u32(12)
        let footerAt = length - FileFormat.footerSize
        storedChecksum = u32(footerAt + 16)
        do {
            guard raw[0..<8].elementsEqual(FileFormat.magic) else {
                throw IndexError.corrupt(path: path, "not a Sparrow index file (bad magic number)")
            }
            guard raw[footerAt..<(footerAt + 8)].elementsEqual(FileFormat.footerMagic),
                raw[(length - 8)..<length].elementsEqual(FileFormat.endMagic)
            else { throw IndexError.corrupt(path: path, "footer is missing or damaged (file truncated or overwritten?)") }
            guard u64(footerAt + 8) == UInt64(length) else {
                throw IndexError.corrupt(path: path, "footer records \(u64(footerAt + 8)) bytes but the file has \(length)")
            }
            if verifyChecksum {
                let actual = Self.checksum(raw, count: footerAt)
                guard actual == storedChecksum else {
                    throw IndexError.corrupt(path: path, "checksum mismatch (stored \(hex(storedChecksum)), computed \(hex(actual)))")
                }
            }
            guard kind == expectedKind else {
                throw IndexError.corrupt(path: path, "file kind is \(kind), expected \(expectedKind)")
            }
            guard version >= 1 && version <= FileFormat.version else {
                throw IndexError(.unsupportedVersion, path: path,
                    "file format version \(version); this build reads versions 1 to \(FileFormat.version)")
            }
            let count = Int(u32(16))
            guard count <= FileFormat.maxSections,
                FileFormat.headerSize + count * FileFormat.tableEntrySize <= footerAt
            else { throw IndexError.corrupt(path: path, "section table claims \(count) sections") }
            for i in 0..<count {
                let entry = FileFormat.headerSize + i * FileFormat.tableEntrySize
                let tag = FourCC(rawValue: u32(entry))
                let elementSize = Int(u32(entry + 4))
                let offset = u64(entry + 8)
                let size = u64(entry + 16)
                guard offset % UInt64(FileFormat.alignment) == 0,
                    offset >= UInt64(FileFormat.headerSize + count * FileFormat.tableEntrySize),
                    size <= UInt64(footerAt), offset <= UInt64(footerAt) - size
                else { throw IndexError.corrupt(path: path, "section \(tag) lies outside the file (offset \(offset), \(size) bytes)") }
                guard elementSize > 0, size % UInt64(elementSize) == 0 else {
                    throw IndexError.corrupt(path: path, "section \(tag) length \(size) is not a multiple of its element size \(elementSize)")
                }
                guard sections[tag] == nil else { throw IndexError.corrupt(path: path, "section \(tag) appears twice") }
                sections[tag] = (elementSize, UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<Int(offset + size)]))
            }
        } catch {
            // Every stored property is set, so Swift runs deinit for this throwing init and that
            // unmaps the file. Unmapping here as well would unmap twice: by then another thread
            // may have been given the same addresses, and its mapping would vanish.
            throw error
        }
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }

    /// The CRC-32 of the first `count` bytes.
    static func checksum(_ raw: UnsafeRawBufferPointer, count: Int) -> UInt32 {
        var crc: UInt = crc32(0, nil, 0)
        var at = 0
        while at < count {
            let n = min(count - at, 1 << 30)
            crc = crc32(crc, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, UInt32(n))
            at += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Recomputes the checksum and compares it with the footer's.
    func verifyChecksum() throws {
        let raw = UnsafeRawBufferPointer(start: base, count: length)
        let actual = Self.checksum(raw, count: length - FileFormat.footerSize)
        guard actual == storedChecksum else {
            throw IndexError.corrupt(path: path, "checksum mismatch (stored \(hex(storedChecksum)), computed \(hex(actual)))")
        }
    }

    /// The section `tag` as a typed buffer; its element size must match `T`.
    func section<T: BitwiseCopyable>(_ tag: FourCC, as type: T.Type) throws -> UnsafeBufferPointer<T> {
        guard let s = sections[tag] else { throw IndexError.corrupt(path: path, "section \(tag) is missing") }
        guard s.elementSize == MemoryLayout<T>.stride else {
            throw IndexError.corrupt(path: path, "section \(tag) has \(s.elementSize)-byte elements, expected \(MemoryLayout<T>.stride)")
        }
        if s.bytes.isEmpty { return UnsafeBufferPointer(start: nil, count: 0) }
        return s.bytes.bindMemory(to: T.self)
    }

    /// Whether the file has section `tag` (sections added by later format versions may be absent).
    func hasSection(_ tag: FourCC) -> Bool { sections[tag] != nil }

    /// The size of the file in bytes.
    var byteCount: Int { length }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

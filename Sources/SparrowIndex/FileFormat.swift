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

/// One section to write from memory: a tag and a buffer of trivial elements.
struct SectionSource {
    let tag: FourCC
    let elementSize: Int
    let bytes: UnsafeRawBufferPointer

    init<T: BitwiseCopyable>(_ tag: FourCC, _ buffer: UnsafeBufferPointer<T>) {
        self.tag = tag
        self.elementSize = MemoryLayout<T>.stride
        self.bytes = UnsafeRawBufferPointer(buffer)
    }

    var layout: SectionLayout { SectionLayout(tag, elementSize: elementSize, byteCount: bytes.count) }
}

/// A section whose size is known before its bytes are produced.
struct SectionLayout {
    let tag: FourCC
    let elementSize: Int
    let byteCount: Int

    init(_ tag: FourCC, elementSize: Int, byteCount: Int) {
        self.tag = tag
        self.elementSize = elementSize
        self.byteCount = byteCount
    }

    init<T: BitwiseCopyable>(_ tag: FourCC, _ type: T.Type, count: Int) {
        self.init(tag, elementSize: MemoryLayout<T>.stride, byteCount: count * MemoryLayout<T>.stride)
    }
}

/// Finds a section of a file being produced by its tag: a scan of the few tags (at most
/// ``FileFormat/maxSections``), cheaper than hashing, for a lookup a merge makes per term.
struct SectionSlots {
    private let tags: [UInt32]

    init(_ sections: [SectionLayout]) { tags = sections.map(\.tag.rawValue) }

    @inline(__always)
    func index(of tag: FourCC) -> Int? { tags.firstIndex(of: tag.rawValue) }
}

/// Where the sections of a segment go as they are produced, a piece at a time and in any
/// interleaving of sections: a file (``SectionFileWriter``) or memory (``HeapSections``). Each
/// section receives exactly the bytes its layout declared.
protocol SectionOutput: AnyObject {
    func append(_ tag: FourCC, _ bytes: UnsafeRawBufferPointer) throws
}

extension SectionOutput {
    func append<T: BitwiseCopyable>(_ tag: FourCC, _ values: UnsafeBufferPointer<T>) throws {
        try append(tag, UnsafeRawBufferPointer(values))
    }

    func append<T: BitwiseCopyable>(_ tag: FourCC, _ values: [T]) throws {
        try values.withUnsafeBytes { try append(tag, $0) }
    }

    func append<T: BitwiseCopyable>(_ tag: FourCC, value: T) throws {
        try withUnsafeBytes(of: value) { try append(tag, $0) }
    }
}

/// Writes one file of the segment format whose section sizes are declared up front, so that
/// sections can be produced piece by piece, interleaved, without holding any of them in memory.
///
/// Each section is written at its own offset through a small buffer, with its own running CRC;
/// `finish()` writes the header and footer, combining the pieces' CRCs in file order (zlib's
/// `crc32_combine`) into the one checksum the format stores, and fsyncs the file.
final class SectionFileWriter: SectionOutput {
    private let path: String
    private let kind: FourCC
    private let layouts: [SectionLayout]
    private let fd: Int32
    private let slots: SectionSlots
    private var offsets: [Int] = []
    private var written: [Int]
    private var crcs: [UInt]
    private var buffers: [[UInt8]]
    private var finished = false
    private let fileLength: Int
    /// Bytes buffered per section before they are written.
    private let bufferSize: Int

    init(path: String, kind: FourCC, sections: [SectionLayout], bufferSize: Int = 1 << 20) throws {
        self.bufferSize = bufferSize
        precondition(sections.count <= FileFormat.maxSections)
        self.path = path
        self.kind = kind
        self.layouts = sections
        var offset = FileFormat.alignUp(FileFormat.headerSize + sections.count * FileFormat.tableEntrySize)
        slots = SectionSlots(sections)
        for s in sections {
            offsets.append(offset)
            offset = FileFormat.alignUp(offset + s.byteCount)
        }
        fileLength = offset + FileFormat.footerSize
        written = Array(repeating: 0, count: sections.count)
        crcs = Array(repeating: crc32(0, nil, 0), count: sections.count)
        buffers = Array(repeating: [], count: sections.count)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Posix.ioError("open", path) }
    }

    deinit { close(fd) }

    func append(_ tag: FourCC, _ bytes: UnsafeRawBufferPointer) throws {
        guard let i = slots.index(of: tag), written[i] + bytes.count <= layouts[i].byteCount else {
            throw IndexError(.io, path: path, "internal error: section \(tag) overflows its declared size")
        }
        guard bytes.count > 0 else { return }
        crcs[i] = Self.crc(crcs[i], bytes)
        if buffers[i].count + bytes.count > bufferSize { try flush(i) }
        if bytes.count >= bufferSize {
            try Posix.writeAllAt(fd, bytes, offset: offsets[i] + written[i], path: path)
        } else {
            if buffers[i].capacity == 0 { buffers[i].reserveCapacity(bufferSize) }
            buffers[i].append(contentsOf: bytes)
        }
        written[i] += bytes.count
    }

    /// Writes section `i`'s buffer, whose bytes are the last counted in `written[i]`.
    private func flush(_ i: Int) throws {
        guard !buffers[i].isEmpty else { return }
        let pending = buffers[i].count
        try buffers[i].withUnsafeBytes { try Posix.writeAllAt(fd, $0, offset: offsets[i] + written[i] - pending, path: path) }
        buffers[i].removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, the header and the footer, and fsyncs the file. Every section must
    /// have received exactly its declared bytes.
    func finish() throws {
        precondition(!finished)
        finished = true
        for i in layouts.indices {
            try flush(i)
            buffers[i] = []
            guard written[i] == layouts[i].byteCount else {
                throw IndexError(.io, path: path, "internal error: section \(layouts[i].tag) got \(written[i]) of \(layouts[i].byteCount) bytes")
            }
        }
        var header = ByteWriter()
        header.append(FileFormat.magic)
        header.append(kind.rawValue)
        header.append(FileFormat.version)
        header.append(UInt32(layouts.count))
        header.pad(to: FileFormat.headerSize)
        for (s, at) in zip(layouts, offsets) {
            header.append(s.tag.rawValue)
            header.append(UInt32(s.elementSize))
            header.append(UInt64(at))
            header.append(UInt64(s.byteCount))
            header.append(UInt64(0))
        }
        let bodyEnd = fileLength - FileFormat.footerSize
        header.pad(to: offsets.first ?? bodyEnd)
        // The checksum of every byte before the footer: header, sections, and the zero padding
        // between them (holes in the file, which read as zeros).
        var crc = header.bytes.withUnsafeBytes { Self.crc(crc32(0, nil, 0), $0) }
        var at = header.bytes.count
        for i in layouts.indices {
            crc = Self.zeros(crc, count: offsets[i] - at)
            crc = crc32_combine(crc, crcs[i], .init(layouts[i].byteCount))
            at = offsets[i] + layouts[i].byteCount
        }
        crc = Self.zeros(crc, count: bodyEnd - at)
        try header.bytes.withUnsafeBytes { try Posix.writeAllAt(fd, $0, offset: 0, path: path) }
        var footer = ByteWriter()
        footer.append(FileFormat.footerMagic)
        footer.append(UInt64(fileLength))
        footer.append(UInt32(truncatingIfNeeded: crc))
        footer.append(UInt32(0))
        footer.append(FileFormat.endMagic)
        try footer.bytes.withUnsafeBytes { try Posix.writeAllAt(fd, $0, offset: bodyEnd, path: path) }
        guard fsync(fd) == 0 else { throw Posix.ioError("fsync", path) }
    }

    private static func crc(_ crc: UInt, _ raw: UnsafeRawBufferPointer) -> UInt {
        // zlib's crc32 takes a 32-bit length; feed it in chunks.
        var crc = crc
        var at = 0
        while at < raw.count {
            let n = min(raw.count - at, 1 << 30)
            crc = crc32(crc, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, UInt32(n))
            at += n
        }
        return crc
    }

    private static let zeroBytes = [UInt8](repeating: 0, count: FileFormat.alignment)

    private static func zeros(_ crc: UInt, count: Int) -> UInt {
        precondition(count >= 0 && count <= FileFormat.alignment)
        return zeroBytes.withUnsafeBytes { Self.crc(crc, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Writes a file whose sections are all in memory.
    static func write(path: String, kind: FourCC, sections: [SectionSource]) throws {
        let writer = try SectionFileWriter(path: path, kind: kind, sections: sections.map(\.layout))
        for s in sections { try writer.append(s.tag, s.bytes) }
        try writer.finish()
    }
}

/// Compares sections, as they are produced, with stored ones, holding no copy: `check` verifies a
/// derived table by producing it again into one of these.
final class SectionComparison: SectionOutput {
    private var stored: [FourCC: (bytes: UnsafeRawBufferPointer, compared: Int)] = [:]
    private var differs = false
    private let skippingAbsent: Bool

    /// With `skippingAbsent`, sections produced that are not stored are passed over (optional
    /// sections that files of earlier releases lack); else they are a difference.
    init(_ sections: [SectionSource], skippingAbsent: Bool = false) {
        for s in sections { stored[s.tag] = (s.bytes, 0) }
        self.skippingAbsent = skippingAbsent
    }

    func append(_ tag: FourCC, _ bytes: UnsafeRawBufferPointer) throws {
        if skippingAbsent && stored[tag] == nil { return }
        guard let s = stored[tag], s.compared + bytes.count <= s.bytes.count else {
            differs = true
            return
        }
        if bytes.count > 0 && memcmp(s.bytes.baseAddress! + s.compared, bytes.baseAddress!, bytes.count) != 0 { differs = true }
        stored[tag]!.compared += bytes.count
    }

    /// Whether every stored section was produced again, byte for byte.
    var matches: Bool { !differs && stored.values.allSatisfy { $0.compared == $0.bytes.count } }
}

/// Sections produced piece by piece into memory: the in-memory counterpart of
/// ``SectionFileWriter``, so that one producer serves both.
final class HeapSections: SectionOutput {
    private let slots: SectionSlots
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var used: [Int]

    init(_ sections: [SectionLayout], storage: HeapStorage) {
        slots = SectionSlots(sections)
        buffers = sections.map { UnsafeMutableRawBufferPointer(storage.allocate(UInt8.self, count: $0.byteCount)) }
        used = Array(repeating: 0, count: sections.count)
    }

    func append(_ tag: FourCC, _ bytes: UnsafeRawBufferPointer) throws {
        guard let i = slots.index(of: tag), used[i] + bytes.count <= buffers[i].count else {
            throw IndexError(.io, path: "", "internal error: section \(tag) overflows its declared size")
        }
        if bytes.count > 0 { (buffers[i].baseAddress! + used[i]).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        used[i] += bytes.count
    }

    /// The section `tag`, which must be complete.
    func section<T: BitwiseCopyable>(_ tag: FourCC, as type: T.Type) -> UnsafeBufferPointer<T> {
        let i = slots.index(of: tag)!
        precondition(used[i] == buffers[i].count, "section \(tag) is incomplete")
        if buffers[i].isEmpty { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(buffers[i].bindMemory(to: T.self))
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
                // Reading every byte made the whole file resident; searches read a small part.
                releasePages()
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

    /// Drops the file's pages from this process's resident set (see ``Segment/releaseMappedPages()``).
    func releasePages() {
        if let base { madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_DONTNEED) }
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

    /// The element size of section `tag`, or nil when the file has no such section.
    func elementSize(of tag: FourCC) -> Int? { sections[tag]?.elementSize }

    /// Whether the file has section `tag` (sections added by later format versions may be absent).
    func hasSection(_ tag: FourCC) -> Bool { sections[tag] != nil }

    /// The size of the file in bytes.
    var byteCount: Int { length }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

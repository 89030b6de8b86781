import SparrowCore

/// The deleted documents of one segment: one bit per document, set when the document is deleted.
///
/// A published bitmap never changes: a search may be reading it. A delete makes a new bitmap
/// (``deleting(_:)``), and a commit writes it as a new generation of the segment's deletion file
/// (`NAME.GEN.del`), never overwriting an older one.
public final class Deletions: @unchecked Sendable {
    /// The number of documents in the segment.
    public let documentCount: Int
    /// The number of deleted documents.
    public let count: Int
    /// `ceil(documentCount / 64)` words; bit `d & 63` of word `d >> 6` is document `d`.
    public let words: UnsafeBufferPointer<UInt64>
    private let owner: AnyObject?

    /// A bitmap with the given words (the caller guarantees `words` covers `documentCount` bits and
    /// that no bit past `documentCount` is set).
    init(documentCount: Int, words: UnsafeBufferPointer<UInt64>, owner: AnyObject?) {
        self.documentCount = documentCount
        self.words = words
        self.owner = owner
        self.count = words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// The number of 64-bit words that hold `documents` bits.
    static func wordCount(_ documents: Int) -> Int { (documents + 63) / 64 }

    /// Whether document `doc` is deleted.
    @inlinable
    public func contains(_ doc: Int) -> Bool {
        words[doc >> 6] & (1 << UInt64(doc & 63)) != 0
    }

    /// The number of documents that are not deleted.
    public var liveCount: Int { documentCount - count }

    /// A new bitmap with `docs` deleted too (numbers out of range are ignored); nil when all of
    /// them were already deleted.
    public func deleting(_ docs: some Sequence<Int>) -> Deletions? {
        Self.make(documentCount: documentCount, base: self, adding: docs)
    }

    /// A bitmap of a segment of `documentCount` documents with `docs` deleted; nil when `docs` is
    /// empty.
    public static func of(documentCount: Int, deleting docs: some Sequence<Int>) -> Deletions? {
        make(documentCount: documentCount, base: nil, adding: docs)
    }

    private static func make(documentCount: Int, base: Deletions?, adding docs: some Sequence<Int>) -> Deletions? {
        let n = wordCount(documentCount)
        let storage = HeapStorage()
        let words = storage.allocate(UInt64.self, count: n)
        if let base { _ = words.initialize(from: base.words) } else { words.initialize(repeating: 0) }
        var changed = false
        for d in docs where d >= 0 && d < documentCount {
            let bit: UInt64 = 1 << UInt64(d & 63)
            if words[d >> 6] & bit == 0 {
                words[d >> 6] |= bit
                changed = true
            }
        }
        return changed ? Deletions(documentCount: documentCount, words: UnsafeBufferPointer(words), owner: storage) : nil
    }

    /// The pointer ``TopK/enter(base:deletions:)`` takes.
    public var pointer: UnsafePointer<UInt64>? { words.baseAddress }

    // MARK: Files

    static let kind = FourCC("DELS")
    static let bitsTag = FourCC("DBIT")

    /// The file name of generation `generation` of segment `segment`'s deletions.
    public static func fileName(segment: String, generation: Int) -> String {
        "\(segment).\(generation).del"
    }

    func write(to path: String) throws {
        try SectionFileWriter.write(path: path, kind: Self.kind, sections: [SectionSource(Self.bitsTag, words)])
    }

    /// Maps a deletion file and checks it against its segment's size and the count in `meta.json`.
    static func open(path: String, documentCount: Int, expectedCount: Int, verifyChecksum: Bool) throws -> Deletions {
        let file = try MappedFile(path: path, expectedKind: kind, verifyChecksum: verifyChecksum)
        let words = try file.section(bitsTag, as: UInt64.self)
        try IndexDirectory.expect(words.count == wordCount(documentCount), path,
                                  "holds \(words.count * 64) bits for a segment of \(documentCount) documents")
        if documentCount % 64 != 0, let last = words.last {
            try IndexDirectory.expect(last >> UInt64(documentCount % 64) == 0, path, "marks documents past the segment's end")
        }
        let deletions = Deletions(documentCount: documentCount, words: words, owner: file)
        try IndexDirectory.expect(deletions.count == expectedCount, path,
                                  "marks \(deletions.count) documents deleted, meta.json says \(expectedCount)")
        return deletions
    }
}

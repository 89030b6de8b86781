import SparrowCore
import Synchronization

/// Read-only views over the arrays of one segment: posting lists, vocabulary and documents.
///
/// A segment's bytes live either in memory (a fresh build) or in memory-mapped files (an opened
/// index); the views are the same plain pointers in both cases, so every algorithm and test runs
/// unchanged on either. The owning ``Segment`` keeps the storage alive.
public struct PostingLists: @unchecked Sendable {
    /// `offsets[t] ..< offsets[t + 1]` are the postings of term `t`; `terms + 1` entries.
    public let offsets: UnsafeBufferPointer<UInt64>
    /// Document numbers, increasing within each list.
    public let docs: UnsafeBufferPointer<UInt32>
    /// The weight of each posting.
    public let weights: UnsafeBufferPointer<Float>
    /// The largest weight in each list (0 for an empty list).
    public let maxWeights: UnsafeBufferPointer<Float>

    /// The number of terms.
    @inlinable public var termCount: Int { maxWeights.count }

    /// The postings of `term` as a range into ``docs`` and ``weights``.
    @inlinable @inline(__always)
    public func range(of term: TermID) -> Range<Int> {
        Int(offsets[Int(term)])..<Int(offsets[Int(term) + 1])
    }
}

/// A sorted table of byte strings: `bytes[offsets[i] ..< offsets[i + 1]]` is string `i`.
public struct StringTable: @unchecked Sendable {
    public let offsets: UnsafeBufferPointer<UInt64>
    public let bytes: UnsafeBufferPointer<UInt8>

    /// The number of strings.
    public var count: Int { max(0, offsets.count - 1) }

    /// The bytes of string `i`.
    @inlinable
    public func bytes(at i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(offsets[i])..<Int(offsets[i + 1])])
    }

    /// String `i` (invalid UTF-8 is replaced; `check` reports it).
    public func string(at i: Int) -> String {
        String(decoding: bytes(at: i), as: UTF8.self)
    }
}

/// Byte-wise three-way comparison.
@inlinable
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] {
        return a[i] < b[i] ? -1 : 1
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

/// One immutable segment: postings, vocabulary and document table, with the storage behind them.
///
/// What holds for the whole collection (block size, range size, text weighting, encoder) is in
/// ``IndexSettings``, not here.
public final class Segment: @unchecked Sendable {
    public let postings: PostingLists
    /// Block maxima of every posting list.
    public let blockMax: BlockMaxTable
    /// The BMP range index, when the index was built with one.
    public let ranges: RangeIndex?
    /// The clustered layout for approximate search, when the collection has one and the segment
    /// is large enough (``ClusterSettings/minDocuments``).
    public let clusters: ClusteredIndex?
    /// For a segment of a text collection, the term frequencies and document lengths.
    public let frequencies: TermFrequencies?
    /// Tokens, sorted by bytes; a token's position is its ``TermID``.
    public let vocabulary: StringTable
    /// External document ids, by internal document number.
    public let documentIDs: StringTable
    /// Stored display text, by internal document number (empty when none was given).
    public let documentTexts: StringTable
    /// Document numbers in the byte order of their ids (nil in files written before format 3,
    /// whose order is computed on first use).
    let storedIDOrder: UnsafeBufferPointer<UInt32>?
    private let computedIDOrder = Mutex<[UInt32]?>(nil)
    /// Token → term number.
    private let terms: TermLookup
    let owner: AnyObject
    /// The files the segment is mapped from (none for a segment in memory).
    private let mappedFiles: [MappedFile]

    init(postings: PostingLists, blockMax: BlockMaxTable, ranges: RangeIndex?, vocabulary: StringTable,
         documentIDs: StringTable, documentTexts: StringTable, frequencies: TermFrequencies? = nil,
         clusters: ClusteredIndex? = nil, idOrder: UnsafeBufferPointer<UInt32>?, owner: AnyObject) {
        self.postings = postings
        self.clusters = clusters
        self.frequencies = frequencies
        self.blockMax = blockMax
        self.ranges = ranges
        self.vocabulary = vocabulary
        self.documentIDs = documentIDs
        self.documentTexts = documentTexts
        self.storedIDOrder = idOrder
        let lookupStorage = HeapStorage()
        self.terms = TermLookup(vocabulary, storage: lookupStorage)
        self.mappedFiles = (owner as? MappedFileSet)?.files ?? []
        self.owner = [owner, lookupStorage] as [AnyObject] as AnyObject
    }

    /// The number of documents.
    public var documentCount: Int { documentIDs.count }
    /// The number of distinct terms.
    public var termCount: Int { postings.termCount }
    /// The number of postings (non-zero entries over all documents).
    public var postingCount: Int { postings.docs.count }

    /// The term number of `token`, if the vocabulary has it.
    public func termID(of token: String) -> TermID? { termID(of: TokenKey(token)) }

    /// The external id of an internal document number.
    public func externalID(of doc: DocID) -> String { documentIDs.string(at: Int(doc.rawValue)) }

    /// The stored text of a document, or nil when none was stored.
    public func text(of doc: DocID) -> String? {
        let bytes = documentTexts.bytes(at: Int(doc.rawValue))
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// The internal number of the document with external id `id`, by binary search over the ids
    /// in byte order.
    public func document(withID id: String) -> DocID? {
        withIDOrder { order in
            var key = id
            return key.withUTF8 { k -> DocID? in
                var lo = 0
                var hi = order.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let d = Int(order[mid])
                    let c = compareBytes(documentIDs.bytes(at: d), k)
                    if c == 0 { return DocID(UInt32(d)) }
                    if c < 0 { lo = mid + 1 } else { hi = mid }
                }
                return nil
            }
        }
    }

    /// Lets go of the pages of the segment's files that this process has read, so a pass over a
    /// large segment does not keep it all resident (they stay in the page cache and come back on
    /// the next read). Nothing happens for a segment in memory.
    func releaseMappedPages() {
        for file in mappedFiles { file.releasePages() }
    }

    func withIDOrder<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        if let storedIDOrder { return try body(storedIDOrder) }
        let order = computedIDOrder.withLock { cached -> [UInt32] in
            if let cached { return cached }
            let made = Self.idOrder(documentIDs)
            cached = made
            return made
        }
        return try order.withUnsafeBufferPointer(body)
    }

    /// Document numbers sorted by the bytes of their ids.
    static func idOrder(_ ids: StringTable) -> [UInt32] {
        (0..<UInt32(ids.count)).sorted { compareBytes(ids.bytes(at: Int($0)), ids.bytes(at: Int($1))) < 0 }
    }

    /// The term number of a prepared token, if the vocabulary has it.
    public func termID(of key: TokenKey) -> TermID? {
        key.bytes.withUnsafeBufferPointer { terms.find($0, hash: key.hash) }.map { TermID($0) }
    }

    /// The query over this segment of prepared tokens (tokens it lacks are left out).
    public func resolve(keys: [TokenKey], weights: [Float]) -> SparseVector {
        var ids: [TermID] = []
        var ws: [Float] = []
        ids.reserveCapacity(keys.count)
        ws.reserveCapacity(keys.count)
        for (key, w) in zip(keys, weights) {
            if let t = termID(of: key) {
                ids.append(t)
                ws.append(w)
            }
        }
        return SparseVector(terms: ids, weights: ws)
    }
}

/// Where a build puts the large arrays it fills and reads while it runs: the heap
/// (``HeapStorage``, which cannot fail) or files on disk (``SpillStorage``).
/// Both are safe to use from several threads at once.
protocol ScratchStorage: AnyObject, Sendable {
    associatedtype Failure: Error
    /// Uninitialised room for `count` values of `T`, valid while the storage lives or until it is
    /// released.
    func allocate<T>(_ type: T.Type, count: Int) throws(Failure) -> UnsafeMutableBufferPointer<T>
    /// Gives back, before the storage goes, the room `allocate` returned at `start`.
    func release(_ start: UnsafeMutableRawPointer)
}

/// Heap storage for a segment built in memory; freed with the segment.
final class HeapStorage: ScratchStorage, @unchecked Sendable {
    typealias Failure = Never
    /// The blocks' addresses.
    private let blocks = Mutex<[UInt]>([])

    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutableBufferPointer<T> {
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
        let start = UInt(bitPattern: p.baseAddress!)
        blocks.withLock { $0.append(start) }
        return UnsafeMutableBufferPointer(rebasing: p[0..<count])
    }

    func release(_ start: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: start)
        let found = blocks.withLock { blocks in blocks.lastIndex(of: address).map { blocks.remove(at: $0) } }
        if found != nil { start.deallocate() }
    }

    deinit {
        for b in blocks.withLock({ $0 }) { UnsafeMutableRawPointer(bitPattern: b)?.deallocate() }
    }
}

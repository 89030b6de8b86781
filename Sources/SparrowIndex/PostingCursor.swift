import SparrowCore

/// A cursor over one uncompressed posting list, scoring with a fixed query weight.
///
/// A value type holding raw pointers into the segment; `next()` and `score()` are a load each.
@frozen
public struct RawPostingCursor: MaxScoreCursor {
    @usableFromInline let docs: UnsafePointer<UInt32>
    @usableFromInline let weights: UnsafePointer<Float>
    @usableFromInline let end: Int
    @usableFromInline var position: Int
    /// The query weight of this cursor's term.
    public let queryWeight: Float
    public let maxScore: Float
    @usableFromInline var _doc: DocID
    /// The current document, or ``DocID/terminated``.
    @inlinable public var doc: DocID { _doc }

    /// Opens a cursor on `term`'s postings; scores are `queryWeight × weight`.
    @inlinable
    public init(_ postings: PostingLists, term: TermID, queryWeight: Float) {
        let r = postings.range(of: term)
        docs = postings.docs.pointer(at: r.lowerBound)
        weights = postings.weights.pointer(at: r.lowerBound)
        end = r.count
        position = 0
        self.queryWeight = queryWeight
        maxScore = queryWeight * postings.maxWeights[Int(term)]
        _doc = end > 0 ? DocID(docs[0]) : .terminated
    }

    @inlinable @inline(__always)
    public mutating func next() {
        position &+= 1
        _doc = position < end ? DocID(docs[position]) : .terminated
    }

    @inlinable
    public mutating func advance(toAtLeast target: DocID) {
        guard doc < target else { return }
        let lo = gallop(toFirstAtLeast: target.rawValue, in: docs, from: position, to: end)
        position = lo
        _doc = position < end ? DocID(docs[position]) : .terminated
    }

    @inlinable @inline(__always)
    public func score() -> Float { queryWeight * weights[position] }

    /// The number of postings in the list.
    @inlinable public var count: Int { end }
}

/// Adds block maxima from a ``BlockMaxTable`` to any max-score cursor, so every posting codec gets
/// the block-max algorithms.
///
/// The block pointer moves independently of the postings: ``advanceBlock(toAtLeast:)`` reads only
/// the table's last-document column.
@frozen
public struct BlockMaxPostingCursor<Base: MaxScoreCursor>: BlockMaxCursor {
    @usableFromInline var base: Base
    @usableFromInline let lastDocs: UnsafePointer<UInt32>
    @usableFromInline let blockMaxima: UnsafePointer<Float>
    @usableFromInline let blockCount: Int
    @usableFromInline var block: Int
    @usableFromInline let queryWeight: Float

    /// Wraps `base`, the cursor of `term`, whose scores are `queryWeight × weight`.
    @inlinable
    public init(_ base: Base, table: BlockMaxTable, term: TermID, queryWeight: Float) {
        self.base = base
        let r = table.range(of: term)
        lastDocs = table.lastDocs.pointer(at: r.lowerBound)
        blockMaxima = table.maxWeights.pointer(at: r.lowerBound)
        blockCount = r.count
        block = 0
        self.queryWeight = queryWeight
    }

    @inlinable public var doc: DocID { base.doc }
    @inlinable public var maxScore: Float { base.maxScore }
    @inlinable @inline(__always) public mutating func next() { base.next() }
    @inlinable @inline(__always) public mutating func advance(toAtLeast target: DocID) { base.advance(toAtLeast: target) }
    @inlinable @inline(__always) public func score() -> Float { base.score() }

    @inlinable public var blockLastDoc: DocID {
        block < blockCount ? DocID(lastDocs[block]) : .terminated
    }

    @inlinable public var blockMaxScore: Float {
        block < blockCount ? queryWeight * blockMaxima[block] : 0
    }

    @inlinable
    public mutating func advanceBlock(toAtLeast target: DocID) {
        while block < blockCount && lastDocs[block] < target.rawValue { block &+= 1 }
    }
}

extension UnsafeBufferPointer {
    /// A pointer to element `i`. An empty buffer may have a nil base address; it then yields a
    /// dummy pointer, which cursors never read (their range is empty).
    @inlinable @inline(__always)
    func pointer(at i: Int) -> UnsafePointer<Element> {
        (baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Element>.alignment)!) + i
    }
}

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
        // Empty buffers may have nil base addresses; point at a dummy then (never read: end == 0).
        docs = (postings.docs.baseAddress ?? UnsafePointer(bitPattern: 8)!) + r.lowerBound
        weights = (postings.weights.baseAddress ?? UnsafePointer(bitPattern: 8)!) + r.lowerBound
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
        // Gallop then binary search.
        var step = 1
        var lo = position
        var hi = position &+ 1
        while hi < end && docs[hi] < target.rawValue {
            lo = hi
            hi = hi &+ step
            step &<<= 1
        }
        if hi > end { hi = end }
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if docs[mid] < target.rawValue { lo = mid &+ 1 } else { hi = mid }
        }
        position = lo
        _doc = position < end ? DocID(docs[position]) : .terminated
    }

    @inlinable @inline(__always)
    public func score() -> Float { queryWeight * weights[position] }

    /// The number of postings in the list.
    @inlinable public var count: Int { end }
}

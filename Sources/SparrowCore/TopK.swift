/// The best `k` documents seen so far, kept in a binary min-heap whose root is the worst of them.
///
/// Every query algorithm offers its candidates here. ``threshold`` is the score a new candidate
/// must beat once the heap is full, and ``wouldEnter(_:)`` is the test pruning algorithms use to
/// skip documents that cannot make it. Order is total: higher score first, then lower document
/// number, so results are deterministic whatever order candidates arrive in.
///
/// One collector can gather the results of several segments: before each, ``enter(base:deletions:)``
/// says what number the segment's first document has in the combined numbering and which of its
/// documents are deleted. Documents then arrive with segment-local numbers; deleted ones are
/// refused, the others are held under `base + local`. Segments are visited in increasing `base`,
/// so the held threshold is a valid starting bar for the next segment's pruning.
public struct TopK: @unchecked Sendable {
    /// The number of results wanted.
    public let k: Int
    @usableFromInline var heap: ContiguousArray<ScoredDoc>
    /// Added to every pushed document number (the current segment's first number).
    public internal(set) var base: UInt32 = 0
    /// Deleted documents of the current segment, one bit each (bit `d & 63` of word `d >> 6`), or nil.
    public internal(set) var deletions: UnsafePointer<UInt64>? = nil

    /// Creates an empty collector for the best `k` documents; `k` below 1 is taken as 1 (the
    /// public search APIs refuse it before getting here).
    public init(k: Int) {
        let k = Swift.max(k, 1)
        self.k = k
        self.heap = []
        heap.reserveCapacity(Swift.min(k, 1 << 16))
    }

    /// The number of documents held (at most `k`).
    @inlinable public var count: Int { heap.count }

    /// True once `k` documents are held.
    @inlinable public var isFull: Bool { heap.count >= k }

    /// The score to beat: the worst held score when full, otherwise `-infinity`.
    @inlinable public var threshold: Float {
        isFull ? heap[0].score : -.infinity
    }

    /// Whether a document with this score could enter when documents arrive in increasing
    /// document-number order (a later document must score strictly higher to displace an equal).
    @inlinable @inline(__always)
    public func wouldEnter(_ score: Float) -> Bool {
        heap.count < k || score > heap[0].score
    }

    /// Whether a document scoring at most `bound` could still enter when documents arrive in any
    /// order: an equal score may displace a held document with a higher number. Algorithms that
    /// visit documents out of order (BMP's ranges) prune with this instead of ``wouldEnter(_:)``.
    @inlinable @inline(__always)
    public func mightEnter(bound: Float) -> Bool {
        heap.count < k || bound >= heap[0].score
    }

    /// The score a candidate must exceed to be worth offering in document order: the held minimum
    /// once full, else 0 (only positive scores are results).
    @inlinable @inline(__always)
    public var entryBar: Float { heap.count < k ? 0 : heap[0].score }

    /// Starts collecting from a segment whose first document is `base` in the combined numbering,
    /// with `deletions` (one bit per document, set when deleted; nil when none is).
    public mutating func enter(base: UInt32, deletions: UnsafePointer<UInt64>?) {
        // (not @inlinable: called once per segment)
        self.base = base
        self.deletions = deletions
    }

    /// Offers a candidate (a number local to the current segment); it is kept if it is not deleted
    /// and ranks before the worst held document or the heap has room.
    @inlinable
    public mutating func push(_ doc: DocID, _ score: Float) {
        if let deletions {
            let d = doc.rawValue
            if deletions[Int(d >> 6)] & (1 << UInt64(d & 63)) != 0 { return }
        }
        let candidate = ScoredDoc(doc: DocID(doc.rawValue &+ base), score: score)
        if heap.count < k {
            heap.append(candidate)
            siftUp(heap.count - 1)
        } else if candidate.ranksBefore(heap[0]) {
            heap[0] = candidate
            siftDown(0)
        }
    }

    /// The held documents, best first.
    public func sorted() -> [ScoredDoc] {
        heap.sorted { $0.ranksBefore($1) }
    }

    // The heap keeps the worst-ranked element at the root: a parent never ranks before its child.
    @inlinable
    mutating func siftUp(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { h in
            var i = start
            let item = h[i]
            while i > 0 {
                let parent = (i &- 1) >> 1
                guard h[parent].ranksBefore(item) else { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = item
        }
    }

    @inlinable
    mutating func siftDown(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var i = start
            let item = h[i]
            while true {
                var child = 2 &* i &+ 1
                if child >= n { break }
                if child &+ 1 < n && h[child].ranksBefore(h[child &+ 1]) { child &+= 1 }
                guard item.ranksBefore(h[child]) else { break }
                h[i] = h[child]
                i = child
            }
            h[i] = item
        }
    }
}

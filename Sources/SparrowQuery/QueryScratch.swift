import SparrowCore
import SparrowIndex

/// Work counters of one query, for `sparrow bench` and for tests of pruning.
public struct QueryStats: Sendable, Equatable {
    /// Postings whose score was computed.
    public var postingsScored = 0
    /// BMP ranges, or blocks of the clustered layout, scored through a forward index.
    public var rangesScored = 0

    public init() {}
}

/// Reusable per-thread working memory for queries: a score accumulator and range bounds,
/// allocated once and kept zeroed between queries.
///
/// Not thread-safe: give each thread its own (``SearchIndex`` keeps a pool and hands each search
/// one scratch exclusively, which is why it may cross threads).
public final class QueryScratch: @unchecked Sendable {
    @usableFromInline var accumulator = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    @usableFromInline var bounds = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    @usableFromInline var denseQuery = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    @usableFromInline var visited = UnsafeMutableBufferPointer<UInt64>(start: nil, count: 0)
    @usableFromInline var places = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    @usableFromInline var blockKeys = UnsafeMutableBufferPointer<UInt64>(start: nil, count: 0)
    @usableFromInline var queuedBlocks = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    /// Counters of the last query run with this scratch.
    public var stats = QueryStats()

    public init() {}

    deinit {
        accumulator.deallocate()
        bounds.deallocate()
        denseQuery.deallocate()
        visited.deallocate()
        places.deallocate()
        blockKeys.deallocate()
        queuedBlocks.deallocate()
    }

    /// A zeroed buffer of at least `count` elements; callers must leave it zeroed.
    @usableFromInline
    static func zeroed<T: Numeric & BitwiseCopyable>(_ buffer: inout UnsafeMutableBufferPointer<T>, _ count: Int) -> UnsafeMutablePointer<T> {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: Swift.max(count, 16))
            buffer.initialize(repeating: 0)
        }
        return buffer.baseAddress!
    }

    /// The score accumulator for `count` documents, all zero.
    @inlinable func accumulator(_ count: Int) -> UnsafeMutablePointer<Float> { Self.zeroed(&accumulator, count) }
    /// The range-bound buffer for `count` ranges, all zero.
    @inlinable func bounds(_ count: Int) -> UnsafeMutablePointer<Float> { Self.zeroed(&bounds, count) }
    /// A dense query vector over `count` terms, all zero.
    @inlinable func denseQuery(_ count: Int) -> UnsafeMutablePointer<Float> { Self.zeroed(&denseQuery, count) }
    /// A bitmap of `count` documents (one bit each), all clear.
    @inlinable func visited(_ count: Int) -> UnsafeMutablePointer<UInt64> { Self.zeroed(&visited, (count + 63) / 64) }
    /// Working positions for a clustered search's directory lookups (three per query term). Unlike
    /// the other buffers it is not kept zeroed: each search writes it before reading it.
    @inlinable func places(_ count: Int) -> UnsafeMutablePointer<Int> { Self.zeroed(&places, count) }
    /// Room for the keys of `count` blocks (a clustered search's queue of blocks); not kept
    /// zeroed either.
    @inlinable func blockKeys(_ count: Int) -> UnsafeMutablePointer<UInt64> { Self.zeroed(&blockKeys, count) }
    /// Room for the numbers of the `count` blocks of a clustered search's queue, beside their
    /// keys; not kept zeroed either.
    @inlinable func queuedBlocks(_ count: Int) -> UnsafeMutablePointer<Int> { Self.zeroed(&queuedBlocks, count) }
}

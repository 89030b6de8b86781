import SparrowCore
import SparrowIndex

/// Work counters of one query, for `sparrow bench` and for tests of pruning.
public struct QueryStats: Sendable, Equatable {
    /// Postings whose score was computed.
    public var postingsScored = 0
    /// BMP ranges scored through the forward index.
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
    /// Counters of the last query run with this scratch.
    public var stats = QueryStats()

    public init() {}

    deinit {
        accumulator.deallocate()
        bounds.deallocate()
    }

    /// A zeroed buffer of at least `count` floats; callers must leave it zeroed.
    @usableFromInline
    static func zeroed(_ buffer: inout UnsafeMutableBufferPointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
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
}

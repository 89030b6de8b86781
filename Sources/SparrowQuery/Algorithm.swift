import SparrowCore
import SparrowIndex

/// The query algorithms a search can run. Every one returns the exact top-k by dot product (ties
/// to the lower document number); they differ only in speed.
public enum Algorithm: String, CaseIterable, Sendable {
    /// Term-at-a-time over a flat score accumulator, then a SIMD top-k scan.
    case exhaustiveTAAT = "exhaustive-taat"
    /// Document-at-a-time over posting cursors, scoring every matching document.
    case exhaustiveDAAT = "exhaustive-daat"
    /// MaxScore: documents drawn only from the lists that could still matter.
    case maxScore = "maxscore"
    /// WAND: pivoting on summed list maxima.
    case wand = "wand"
    /// Block-Max WAND: WAND with per-block maxima.
    case blockMaxWAND = "block-max-wand"
    /// Block-Max MaxScore: MaxScore with per-block maxima on the non-essential lists.
    case blockMaxMaxScore = "block-max-maxscore"
    /// Block-Max Pruning over document ranges and a range-level forward index (needs a range index).
    case bmp = "bmp"
    /// BMP's range bounds choose the ranges that can reach the k-th score; term-at-a-time scores
    /// only those (needs a range index).
    case rangeTAAT = "range-taat"

    /// The algorithm used when none is named, chosen from the measurements in BENCHMARKS.md:
    /// exhaustive term-at-a-time. On learned sparse vectors (SPLADE, 1M MS MARCO passages) its
    /// sequential scan of ~2M postings per query beat every pruning algorithm here, with or
    /// without document reordering, at k = 10 and k = 1000.
    public static func auto(for segment: Segment) -> Algorithm {
        .exhaustiveTAAT
    }

    /// Whether `segment` has what this algorithm needs.
    public func isAvailable(on segment: Segment) -> Bool {
        (self != .bmp && self != .rangeTAAT) || segment.ranges != nil
    }
}

extension SparseVector {
    /// The same query with terms in increasing order, repeated terms merged and zero weights
    /// dropped: the order in which every algorithm sums a document's score.
    public func canonical() -> SparseVector {
        let order = terms.indices.sorted { terms[$0] < terms[$1] }
        var t: [TermID] = []
        var w: [Float] = []
        t.reserveCapacity(order.count)
        w.reserveCapacity(order.count)
        for i in order {
            if let last = t.last, last == terms[i] {
                w[w.count - 1] += weights[i]
            } else {
                t.append(terms[i])
                w.append(weights[i])
            }
        }
        var keep = 0
        for i in t.indices where w[i] != 0 {
            t[keep] = t[i]
            w[keep] = w[i]
            keep += 1
        }
        return SparseVector(terms: Array(t[..<keep]), weights: Array(w[..<keep]))
    }
}

extension Segment {
    /// The exact top-`k` documents for `query` by dot product, using `algorithm` (the segment's
    /// ``Algorithm/auto(for:)`` choice when nil).
    ///
    /// Only documents with a positive score are returned (a document that shares no term with the
    /// query, or only zero weights, is not an answer). `k` must be at least 1, query weights
    /// non-negative, and `algorithm` available on this segment (``Algorithm/isAvailable(on:)``).
    /// ``QueryScratch/stats`` holds the work counters afterwards.
    public func search(_ query: SparseVector, k: Int, algorithm: Algorithm? = nil,
                       scratch: QueryScratch = QueryScratch()) -> [ScoredDoc] {
        let algorithm = algorithm ?? .auto(for: self)
        precondition(algorithm.isAvailable(on: self), "\(algorithm.rawValue) needs an index built with a range index")
        precondition(query.weights.allSatisfy { $0 >= 0 }, "query weights must be non-negative")
        let query = query.canonical()
        scratch.stats = QueryStats()
        switch algorithm {
        case .exhaustiveTAAT:
            return exhaustiveTAAT(postings, query: query, documentCount: documentCount, k: k, scratch: scratch)
        case .exhaustiveDAAT:
            var cursors = rawCursors(query)
            return exhaustiveDAAT(&cursors, k: k, stats: &scratch.stats)
        case .maxScore:
            var cursors = rawCursors(query)
            return SparrowQuery.maxScore(&cursors, k: k, stats: &scratch.stats)
        case .wand:
            var cursors = rawCursors(query)
            return SparrowQuery.wand(&cursors, k: k, stats: &scratch.stats)
        case .blockMaxWAND:
            var cursors = blockMaxCursors(query)
            return SparrowQuery.blockMaxWAND(&cursors, k: k, stats: &scratch.stats)
        case .blockMaxMaxScore:
            var cursors = blockMaxCursors(query)
            return SparrowQuery.blockMaxMaxScore(&cursors, k: k, stats: &scratch.stats)
        case .rangeTAAT:
            return SparrowQuery.rangeTAAT(postings, ranges!, query: query, documentCount: documentCount, k: k,
                                          scratch: scratch)
        case .bmp:
            return SparrowQuery.bmp(ranges!, query: query, documentCount: documentCount, k: k, scratch: scratch)
        }
    }

    func rawCursors(_ query: SparseVector) -> [RawPostingCursor] {
        query.terms.indices.map { RawPostingCursor(postings, term: query.terms[$0], queryWeight: query.weights[$0]) }
    }

    func blockMaxCursors(_ query: SparseVector) -> [BlockMaxPostingCursor<RawPostingCursor>] {
        query.terms.indices.map {
            let (t, w) = (query.terms[$0], query.weights[$0])
            return BlockMaxPostingCursor(RawPostingCursor(postings, term: t, queryWeight: w),
                                         table: blockMax, term: t, queryWeight: w)
        }
    }
}

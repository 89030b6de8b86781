import SparrowCore
import SparrowIndex

/// The query algorithms a search can run. Every one returns the exact top-k by dot product (ties
/// to the lower document number) unless an ``Approximation`` says otherwise; they differ in speed.
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
    /// Seismic-style search over the clustered layout (``clusteredSearch(_:query:termCount:documentCount:approximation:into:scratch:)``):
    /// approximate with the default layout and any ``Approximation``; exact with a lossless layout
    /// and ``Approximation/exact``. Segments without the layout (smaller than its
    /// ``ClusterSettings/minDocuments``, or of an index built without it) are searched exactly
    /// with the default algorithm.
    case clustered = "clustered"

    /// The algorithm used when none is named, chosen from the measurements in BENCHMARKS.md:
    /// exhaustive term-at-a-time, whatever the segment's size. On learned sparse vectors (SPLADE
    /// vectors of MS MARCO passages) its sequential scan beat every pruning algorithm here at 30k,
    /// 1M and 10M documents (2M and 20M postings per query at the last two), with or without
    /// document reordering, at k = 10 (and at k = 1000, measured at 1M).
    public static func auto(for segment: Segment) -> Algorithm {
        .exhaustiveTAAT
    }

    /// Whether `segment` has what this algorithm needs.
    public func isAvailable(on segment: Segment) -> Bool {
        switch self {
        case .bmp, .rangeTAAT: segment.ranges != nil
        case .clustered: true   // falls back to exact search on a segment without the layout
        default: true
        }
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
    /// Offers the documents of this segment that score best for `query` by dot product to `top`,
    /// using `algorithm` (the segment's ``Algorithm/auto(for:)`` choice when nil).
    ///
    /// `query` must be canonical (``SparseVector/canonical()``: terms increasing, weights positive
    /// and finite) and `algorithm` available (``Algorithm/isAvailable(on:)``); the public search
    /// APIs check both and throw before getting here. `top` may already hold results of earlier
    /// segments (its threshold then prunes this one) and says which documents are deleted
    /// (``TopK/enter(base:deletions:)``). Only documents with a positive score are offered.
    /// ``QueryScratch/stats`` accumulates the work counters.
    public func search(_ query: SparseVector, into top: inout TopK, algorithm: Algorithm? = nil,
                       approximation: Approximation = .exact, scratch: QueryScratch) {
        var algorithm = algorithm ?? .auto(for: self)
        if algorithm == .clustered && (clusters == nil || approximation.searchesExactly(documents: documentCount)) {
            algorithm = .auto(for: self)
        }
        guard !query.isEmpty, algorithm.isAvailable(on: self) else { return }
        switch algorithm {
        case .exhaustiveTAAT:
            exhaustiveTAAT(postings, query: query, documentCount: documentCount, into: &top, scratch: scratch)
        case .exhaustiveDAAT:
            var cursors = rawCursors(query)
            exhaustiveDAAT(&cursors, into: &top, stats: &scratch.stats)
        case .maxScore:
            var cursors = rawCursors(query)
            SparrowQuery.maxScore(&cursors, into: &top, stats: &scratch.stats)
        case .wand:
            var cursors = rawCursors(query)
            SparrowQuery.wand(&cursors, into: &top, stats: &scratch.stats)
        case .blockMaxWAND:
            var cursors = blockMaxCursors(query)
            SparrowQuery.blockMaxWAND(&cursors, into: &top, stats: &scratch.stats)
        case .blockMaxMaxScore:
            var cursors = blockMaxCursors(query)
            SparrowQuery.blockMaxMaxScore(&cursors, into: &top, stats: &scratch.stats)
        case .rangeTAAT:
            SparrowQuery.rangeTAAT(postings, ranges!, query: query, documentCount: documentCount, into: &top,
                                   scratch: scratch)
        case .bmp:
            SparrowQuery.bmp(ranges!, query: query.keepingHeaviest(share: approximation.beta), documentCount: documentCount,
                             into: &top, scratch: scratch, alpha: approximation.alpha)
        case .clustered:
            clusteredSearch(clusters!, query: query, termCount: termCount, documentCount: documentCount,
                            approximation: approximation.forSegment(documents: documentCount), into: &top, scratch: scratch)
        }
    }

    /// The exact top `k` of this segment alone (see ``search(_:into:algorithm:scratch:)``).
    public func search(_ query: SparseVector, k: Int, algorithm: Algorithm? = nil, approximation: Approximation = .exact,
                       scratch: QueryScratch = QueryScratch()) -> [ScoredDoc] {
        var top = TopK(k: k)
        scratch.stats = QueryStats()
        search(query.canonical(), into: &top, algorithm: algorithm, approximation: approximation, scratch: scratch)
        return top.sorted()
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

/// Exact search over the segments of a collection.
///
/// Segments are searched in order with one collector: each is numbered after the ones before it
/// (``SegmentSearch/bases``), so the k-th score found so far is the starting bar of the next
/// segment, deleted documents are never collected, and one top-k comes back whose documents are
/// numbered in the combined numbering.
public struct SegmentSearch: @unchecked Sendable {
    public let views: [SegmentView]
    /// The combined number of each segment's first document (one more entry: the total).
    public let bases: [UInt32]

    public init(_ views: [SegmentView]) {
        self.views = views
        var bases: [UInt32] = [0]
        for v in views { bases.append(bases.last! &+ UInt32(v.segment.documentCount)) }
        self.bases = bases
    }

    /// The segment holding combined number `doc`, and the number within it.
    public func locate(_ doc: DocID) -> (segment: Int, doc: DocID) {
        var lo = 0
        var hi = views.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if bases[mid] <= doc.rawValue { lo = mid } else { hi = mid - 1 }
        }
        return (lo, DocID(doc.rawValue - bases[lo]))
    }

    /// The top `k` for a query given as tokens and weights (each resolved against every segment's
    /// vocabulary). Weights must be finite and non-negative, `k` at least 1 and `algorithm`
    /// available on every segment: the façade checks.
    public func search(tokens: [String], weights: [Float], k: Int, algorithm: Algorithm?,
                       approximation: Approximation = .exact, scratch: QueryScratch) -> [ScoredDoc] {
        var top = TopK(k: k)
        scratch.stats = QueryStats()
        let keys = tokens.map(TokenKey.init)
        for (i, view) in views.enumerated() where view.liveCount > 0 {
            let query = view.segment.resolve(keys: keys, weights: weights).canonical()
            top.enter(base: bases[i], deletions: view.deletions?.pointer)
            view.segment.search(query, into: &top, algorithm: algorithm, approximation: approximation, scratch: scratch)
        }
        return top.sorted()
    }
}

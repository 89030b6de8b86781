import SparrowCore
import SparrowIndex

/// Query-time knobs of approximate search. ``exact`` (the default everywhere) changes nothing:
/// every algorithm then returns the exact top-k.
///
/// - ``queryCut`` and ``heapFactor`` drive the `clustered` algorithm (Seismic's knobs of the same
///   names): only the blocks of the `queryCut` heaviest query terms are visited, and a block is
///   skipped when its summary's dot product with the query is below `heapFactor` × the current
///   k-th score. Below 1, `heapFactor` visits more blocks; above 1, fewer.
/// - ``alpha`` and ``beta`` drive `bmp` (the BMP paper's knobs): ranges are visited while `alpha` ×
///   their bound can still reach the k-th score, and only the ⌈`beta` × |q|⌉ heaviest query terms
///   are used.
///
/// Or pick a recall floor and let the measured presets choose: ``preset(recall:)``.
public struct Approximation: Sendable, Equatable, Codable {
    /// The heaviest query terms whose blocks a clustered search visits; nil visits every term's.
    public var queryCut: Int?
    public var heapFactor: Float
    public var alpha: Float
    public var beta: Float
    /// A `clustered` search is exact (the segment's default algorithm) on segments of more
    /// documents than this (nil: none). The recall presets set it to the largest segment they
    /// were measured on, since a clustered layout's static pruning loses more of a larger
    /// segment's lists.
    public var exactAbove: Int?
    /// On segments of more than ``LargerSegments/above`` documents, a clustered search takes the
    /// ``LargerSegments/queryCut`` heaviest query terms instead of ``queryCut`` (nil: ``queryCut``
    /// everywhere). The 0.95 preset sets it: a larger segment's layout keeps a smaller share of
    /// each list, so the same recall needs more of the query's terms.
    public var largerSegments: LargerSegments?

    /// The query cut of segments above a size (``Approximation/largerSegments``).
    public struct LargerSegments: Sendable, Equatable, Codable {
        public var above: Int
        public var queryCut: Int

        public init(above: Int, queryCut: Int) {
            self.above = above
            self.queryCut = queryCut
        }
    }

    public init(queryCut: Int? = nil, heapFactor: Float = 1, alpha: Float = 1, beta: Float = 1, exactAbove: Int? = nil,
                largerSegments: LargerSegments? = nil) {
        self.queryCut = queryCut
        self.heapFactor = heapFactor
        self.alpha = alpha
        self.beta = beta
        self.exactAbove = exactAbove
        self.largerSegments = largerSegments
    }

    /// The knobs a segment of `documents` documents is searched with: these, with the query cut
    /// of ``largerSegments`` when the segment is larger than its bound.
    public func forSegment(documents: Int) -> Approximation {
        guard let larger = largerSegments, documents > larger.above else { return self }
        var knobs = self
        knobs.queryCut = larger.queryCut
        return knobs
    }

    /// Whether a segment of `documents` documents is searched exactly (``exactAbove``).
    public func searchesExactly(documents: Int) -> Bool {
        documents > (exactAbove ?? .max)
    }

    /// No approximation.
    public static let exact = Approximation()

    /// Whether these knobs leave every algorithm exact (on a lossless layout, for `clustered`).
    public var isExact: Bool { self == .exact }

    /// Whether a clustered search with these knobs, for a query of `termCount` terms, is exact on
    /// a lossless layout: every term's blocks, skipped only when their bound is below the k-th
    /// score (a query cut of at least `termCount`, heap factor 1). It then scores its candidates
    /// exactly, as with ``exact``, rather than from the compact records.
    public func keepsClusteredExact(termCount: Int) -> Bool {
        heapFactor == 1 && (queryCut ?? termCount) >= termCount
    }

    /// The recall floors with a measured preset.
    public static let presetRecalls: [Double] = [0.90, 0.95, 0.99]

    /// The largest segment the presets' knobs were measured to hold their floors on (the 10M
    /// scale-up); larger segments are searched exactly under a preset.
    public static let presetMaxDocuments = 10_000_000

    /// The algorithm and knobs that held recall@10 of at least `recall` against exhaustive search
    /// on the default layout (``ClusterSettings`` defaults) in the measurements of BENCHMARKS.md
    /// ("Approximate retrieval": the 30k MS MARCO passages and their 1M scale-up with the dev
    /// queries, and the tests' seeded random corpora); nil for a recall without a preset (see
    /// ``presetRecalls``).
    ///
    /// 0.99 is exact search: at 1M documents the clustered search reached recall 0.989 only at
    /// the exact default's own latency (its static pruning keeps 2 500 postings per term), so
    /// exhaustive term-at-a-time is the faster way to hold that floor.
    ///
    /// On the 10M scale-up, with the layout's default 12 000 postings per term, a query cut of 4
    /// gave recall@10 0.924 (0.917 on 2 000 other dev queries), 5 gave 0.944, 6 gave 0.956 (but
    /// 0.951 on the other queries) and 7 gave 0.965 (0.958), so the 0.95 preset takes 7 query
    /// terms on segments of more than 1M documents, for 2 % more time than 6 (BENCHMARKS.md,
    /// "Tenth run"). Segments of more than
    /// ``presetMaxDocuments`` documents are searched exactly. The floors hold on the default
    /// layout: with fewer postings per term (the 7 000 of layouts built before
    /// ``ClusterSettings/postingsRule`` 2, say) no knobs reached 0.95 at 10M.
    public static func preset(recall: Double) -> (algorithm: Algorithm, approximation: Approximation)? {
        switch recall {
        case 0.90: return (.clustered, Approximation(queryCut: 4, heapFactor: 1, exactAbove: presetMaxDocuments))
        case 0.95: return (.clustered, Approximation(queryCut: 5, heapFactor: 1, exactAbove: presetMaxDocuments,
                                                     largerSegments: LargerSegments(above: 1_000_000, queryCut: 7)))
        case 0.99: return (.exhaustiveTAAT, .exact)
        default: return nil
        }
    }

    /// A sentence naming the first invalid knob, or nil when all are valid.
    public var problem: String? {
        if let c = queryCut, c < 1 { return "query cut must be at least 1, not \(c)" }
        if let n = exactAbove, n < 0 { return "the largest approximately searched segment cannot be negative, not \(n)" }
        if let larger = largerSegments {
            if larger.above < 0 { return "the size above which segments take another query cut cannot be negative, not \(larger.above)" }
            if larger.queryCut < 1 { return "the query cut of larger segments must be at least 1, not \(larger.queryCut)" }
        }
        if !(heapFactor.isFinite && heapFactor > 0) { return "heap factor must be a positive number, not \(heapFactor)" }
        if !(alpha > 0 && alpha <= 1) { return "alpha must be in (0, 1], not \(alpha)" }
        if !(beta > 0 && beta <= 1) { return "beta must be in (0, 1], not \(beta)" }
        return nil
    }
}

extension SparseVector {
    /// The positions of the `count` heaviest terms (ties: the lower term), in decreasing weight.
    func heaviest(_ count: Int) -> [Int] {
        let order = terms.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : terms[$0] < terms[$1] }
        return Array(order.prefix(count))
    }

    /// The query restricted to its ⌈`beta` × count⌉ heaviest terms, still in term order.
    func keepingHeaviest(share beta: Float) -> SparseVector {
        guard beta < 1 else { return self }
        let keep = Set(heaviest(max(1, Int((beta * Float(terms.count)).rounded(.up)))))
        let positions = terms.indices.filter(keep.contains)
        return SparseVector(terms: positions.map { terms[$0] }, weights: positions.map { weights[$0] })
    }
}

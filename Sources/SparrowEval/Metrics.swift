import SparrowFormats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An effectiveness measure, defined as `trec_eval` (and `ir_measures`, which runs it) defines it.
///
/// Names: `ndcg@10` (or `ndcg_cut_10`), `ndcg`; `mrr@10` (or `rr@10`), `mrr`; `recall@100`
/// (or `r@100`, `recall_100`); `p@10` (or `P_10`); `map`, `map@1000` (or `ap`, `map_cut_1000`).
public struct Metric: Hashable, Sendable, CustomStringConvertible {
    /// The measure, without its cutoff.
    public enum Kind: String, Sendable {
        /// Normalised discounted cumulative gain: gain = grade (linear), discount log2(rank + 1),
        /// normalised by the ideal ordering of every judged document.
        case ndcg
        /// Reciprocal rank of the first relevant document.
        case rr
        /// Relevant documents retrieved over all relevant documents.
        case recall
        /// Relevant documents retrieved over the cutoff.
        case precision
        /// Average precision (MAP when averaged over queries).
        case ap
    }

    /// Which measure.
    public var kind: Kind
    /// Only the first `cutoff` documents count; nil for the whole ranking.
    public var cutoff: Int?

    /// A measure with an optional cutoff (`Metric(.ndcg, cutoff: 10)` is nDCG@10).
    public init(_ kind: Kind, cutoff: Int? = nil) {
        self.kind = kind
        self.cutoff = cutoff
    }

    /// Parses a metric name; nil when it is not one.
    public init?(_ name: String) {
        let lower = name.lowercased()
        var base = lower
        var cutoff: Int?
        if let at = lower.lastIndex(where: { $0 == "@" || $0 == "_" }),
           let k = Int(lower[lower.index(after: at)...]) {
            guard k >= 1 else { return nil }
            base = String(lower[..<at])
            cutoff = k
        }
        switch base {
        case "ndcg", "ndcg_cut": kind = .ndcg
        case "mrr", "rr", "recip_rank": kind = .rr
        case "recall", "r": kind = .recall
        case "p", "precision": kind = .precision
        case "map", "ap", "map_cut": kind = .ap
        default: return nil
        }
        if (kind == .recall || kind == .precision) && cutoff == nil { return nil }
        self.cutoff = cutoff
    }

    /// The canonical name (`ndcg@10`, `mrr@10`, `recall@100`, `p@10`, `map`).
    public var description: String {
        let base: String
        switch kind {
        case .ndcg: base = "ndcg"
        case .rr: base = "mrr"
        case .recall: base = "recall"
        case .precision: base = "p"
        case .ap: base = "map"
        }
        return cutoff.map { "\(base)@\($0)" } ?? base
    }

    /// The metrics `sparrow eval` reports when none are named.
    public static let defaults: [Metric] = ["ndcg@10", "mrr@10", "recall@100", "recall@1000", "map"].map { Metric($0)! }
}

/// Per-query and mean values of some metrics for a run.
public struct Evaluation: Sendable {
    /// The metrics, in the order of each row of ``values``.
    public var metrics: [Metric]
    /// The evaluated queries, in run order.
    public var queryIDs: [String]
    /// `values[q][m]`: metric `m` of query `queryIDs[q]`.
    public var values: [[Double]]

    /// The mean of each metric over the evaluated queries (0 when there are none).
    public var means: [Double] {
        metrics.indices.map { m in
            values.isEmpty ? 0 : values.reduce(0) { $0 + $1[m] } / Double(values.count)
        }
    }
}

/// Scores runs against relevance judgments with `trec_eval`'s conventions:
/// - a document is relevant when its grade is at least `relevanceLevel` (1); unjudged documents
///   are not relevant; nDCG uses the grades themselves as gains (negative grades count as 0);
/// - each query's documents are ordered by score, highest first, and equal scores by document id
///   in *descending* byte order, whatever the run's rank column says;
/// - the queries evaluated are those of the run that have judgments (a query whose judgments are
///   all non-relevant scores 0) and, with `includeUnretrieved` (the default; trec_eval `-c`, and
///   what `ir_measures` and Anserini's regressions report), judged queries missing from the run,
///   which score 0. A search engine leaves a query out of a run file when it retrieves nothing,
///   so without `-c` such queries would silently raise the mean.
public enum Evaluator {
    /// Evaluates `run` against `qrels` (see the type's conventions): one row per evaluated query.
    ///
    /// ```swift
    /// let e = Evaluator.evaluate(run: try Run.read(path: "run.trec"), qrels: try Qrels.read(path: "qrels.tsv"),
    ///                            metrics: [Metric("ndcg@10")!])
    /// print(e.means[0])
    /// ```
    public static func evaluate(run: Run, qrels: Qrels, metrics: [Metric], relevanceLevel: Int = 1,
                                includeUnretrieved: Bool = true) -> Evaluation {
        var queries = run.queryIDs.filter { qrels.judgments[$0] != nil }
        if includeUnretrieved {
            let present = Set(queries)
            queries += qrels.judgments.keys.filter { !present.contains($0) }.sorted()
        }
        let values = queries.map { q -> [Double] in
            let judged = qrels.judgments[q] ?? [:]
            let ranked = order(run.results[q] ?? []).map { judged[$0] }
            return metrics.map { value(of: $0, ranked: ranked, judged: judged, relevanceLevel: relevanceLevel) }
        }
        return Evaluation(metrics: metrics, queryIDs: queries, values: values)
    }

    /// Document ids by descending score, ties by descending id bytes (trec_eval's order).
    static func order(_ results: [(doc: String, score: Double)]) -> [String] {
        results.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            return b.doc.utf8.lexicographicallyPrecedes(a.doc.utf8)
        }.map(\.doc)
    }

    /// One metric of one query; `ranked` holds the grade of each retrieved document (nil = unjudged).
    static func value(of metric: Metric, ranked: [Int?], judged: [String: Int], relevanceLevel: Int) -> Double {
        let depth = min(ranked.count, metric.cutoff ?? ranked.count)
        let top = ranked.prefix(depth)
        let relevantCount = judged.values.reduce(0) { $0 + ($1 >= relevanceLevel ? 1 : 0) }
        func isRelevant(_ g: Int?) -> Bool { (g ?? 0) >= relevanceLevel && g != nil }
        switch metric.kind {
        case .ndcg:
            var dcg = 0.0
            for (i, g) in top.enumerated() where (g ?? 0) > 0 { dcg += Double(g!) / log2(Double(i + 2)) }
            let ideal = judged.values.filter { $0 > 0 }.sorted(by: >).prefix(metric.cutoff ?? Int.max)
            var idcg = 0.0
            for (i, g) in ideal.enumerated() { idcg += Double(g) / log2(Double(i + 2)) }
            return idcg > 0 ? dcg / idcg : 0
        case .rr:
            guard let first = top.firstIndex(where: isRelevant) else { return 0 }
            return 1 / Double(first + 1)
        case .recall:
            guard relevantCount > 0 else { return 0 }
            return Double(top.filter(isRelevant).count) / Double(relevantCount)
        case .precision:
            return Double(top.filter(isRelevant).count) / Double(metric.cutoff!)
        case .ap:
            guard relevantCount > 0 else { return 0 }
            var found = 0
            var sum = 0.0
            for (i, g) in top.enumerated() where isRelevant(g) {
                found += 1
                sum += Double(found) / Double(i + 1)
            }
            return sum / Double(relevantCount)
        }
    }
}

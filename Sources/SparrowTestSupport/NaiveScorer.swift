import Sparrow

/// The simplest possible exact scorer: a dictionary per document, every document scored.
///
/// Each score sums `queryWeight × documentWeight` in query-token order in `Float`, the order the
/// engine documents for its algorithms, so results can be compared exactly.
public struct NaiveScorer: Sendable {
    let documents: [(id: String, vector: [String: Float])]

    public init(_ records: [VectorRecord]) {
        documents = records.map { r in
            (r.id, Dictionary(uniqueKeysWithValues: zip(r.tokens, r.weights)))
        }
    }

    /// The top `k` (external id, score) pairs: positive scores only, higher first, ties to the
    /// earlier document.
    public func search(_ query: VectorRecord, k: Int) -> [(id: String, score: Float)] {
        var scored: [(doc: Int, score: Float)] = []
        for (d, doc) in documents.enumerated() {
            var s: Float = 0
            var matched = false
            for (t, w) in zip(query.tokens, query.weights) {
                if let dw = doc.vector[t] {
                    s += w * dw
                    matched = true
                }
            }
            if matched && s > 0 { scored.append((d, s)) }
        }
        scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.doc < $1.doc) }
        return scored.prefix(k).map { (documents[$0.doc].id, $0.score) }
    }
}

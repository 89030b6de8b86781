import Sparrow

/// The simplest possible exact scorer: a dictionary per document, every document scored.
///
/// Each score sums `queryWeight × documentWeight` in `Float`, over the query's tokens in byte
/// order: the order of term numbers in an index (its vocabulary is sorted by bytes), which is the
/// order in which the engine's exhaustive and BMP algorithms add, so those compare bit for bit.
public struct NaiveScorer: Sendable {
    let documents: [(id: String, vector: [String: Float])]
    let position: [String: Int]

    public init(_ records: [VectorRecord]) {
        documents = records.map { r in
            (r.id, Dictionary(uniqueKeysWithValues: zip(r.tokens, r.weights)))
        }
        position = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.id, $0) })
    }

    /// The score of document `id` for `query` (0 when it shares no token).
    public func score(of id: String, _ query: VectorRecord) -> Float {
        guard let d = position[id] else { return 0 }
        return score(documents[d].vector, query)
    }

    private func score(_ vector: [String: Float], _ query: VectorRecord) -> Float {
        var s: Float = 0
        for i in query.tokens.indices.sorted(by: { ExactString(query.tokens[$0]) < ExactString(query.tokens[$1]) }) {
            if let dw = vector[query.tokens[i]] { s += query.weights[i] * dw }
        }
        return s
    }

    /// The top `k` (external id, score) pairs: positive scores only, higher first, ties to the
    /// earlier document.
    public func search(_ query: VectorRecord, k: Int) -> [(id: String, score: Float)] {
        var scored: [(doc: Int, score: Float)] = []
        for (d, doc) in documents.enumerated() {
            let s = score(doc.vector, query)
            if s > 0 { scored.append((d, s)) }
        }
        scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.doc < $1.doc) }
        return scored.prefix(k).map { (documents[$0.doc].id, $0.score) }
    }
}

import Sparrow

/// How random weights are drawn.
public enum WeightDistribution: String, CaseIterable, Sendable {
    /// Uniform in (0, 3].
    case flat
    /// Heavy-tailed: most weights small, a few large (like learned sparse weights).
    case skewed
    /// Small integers 1...5, so many scores tie exactly.
    case integers
}

/// A seeded random collection of sparse vectors with queries.
public struct RandomCorpus: Sendable {
    public var documents: [VectorRecord]
    public var queries: [VectorRecord]

    /// Draws `documentCount` documents over `vocabularySize` tokens; token popularity is Zipf-like
    /// so some lists are long and most are short.
    public init(seed: UInt64, documentCount: Int, vocabularySize: Int, termsPerDocument: ClosedRange<Int>,
                queryCount: Int, termsPerQuery: ClosedRange<Int>, weights: WeightDistribution) {
        var rng = SeededRandom(seed: seed)
        func token(_ rng: inout SeededRandom) -> String {
            // Zipf-ish: square a uniform variate to favour low ranks.
            let u = Double.random(in: 0..<1, using: &rng)
            return "t\(Int(u * u * Double(vocabularySize)))"
        }
        func weight(_ rng: inout SeededRandom) -> Float {
            switch weights {
            case .flat: return Float.random(in: 0.001...3, using: &rng)
            case .skewed:
                let u = Float.random(in: 0.0001...1, using: &rng)
                return min(50, 0.05 / (u * u))
            case .integers: return Float(Int.random(in: 1...5, using: &rng))
            }
        }
        func vector(_ count: ClosedRange<Int>, _ rng: inout SeededRandom) -> ([String], [Float]) {
            var seen = Set<String>()
            var tokens: [String] = []
            var ws: [Float] = []
            let n = Int.random(in: count, using: &rng)
            for _ in 0..<n {
                let t = token(&rng)
                if seen.insert(t).inserted {
                    tokens.append(t)
                    ws.append(weight(&rng))
                }
            }
            return (tokens, ws)
        }
        documents = (0..<documentCount).map { i in
            let (t, w) = vector(termsPerDocument, &rng)
            return VectorRecord(id: "doc\(i)", tokens: t, weights: w, text: i % 3 == 0 ? "text of doc \(i)" : nil)
        }
        queries = (0..<queryCount).map { i in
            var (t, w) = vector(termsPerQuery, &rng)
            if i % 4 == 0 {  // some queries carry a token no document has
                t.append("unseen\(i)")
                w.append(1)
            }
            return VectorRecord(id: "q\(i)", tokens: t, weights: w)
        }
    }

    /// A corpus with cluster structure, grown as the 1M scale-up of the benchmarks grows real
    /// passages (`../shared/tools/scale/scale_up.py`): `topics` random base documents; each
    /// document keeps 90 % of a base document's tokens and a quarter of another's (at 0.8 of
    /// their weight), every weight jittered by up to ±30 %; each query is half of a base
    /// document's tokens, jittered the same way.
    public static func topical(seed: UInt64, documentCount: Int, topics: Int, vocabularySize: Int,
                               termsPerTopic: ClosedRange<Int>, queryCount: Int) -> RandomCorpus {
        var rng = SeededRandom(seed: seed)
        let bases = RandomCorpus(seed: seed &+ 1, documentCount: topics, vocabularySize: vocabularySize,
                                 termsPerDocument: termsPerTopic, queryCount: 0, termsPerQuery: 1...1, weights: .skewed).documents
        func jitter(_ w: Float, _ rng: inout SeededRandom) -> Float { w * Float.random(in: 0.7...1.3, using: &rng) }
        let documents = (0..<documentCount).map { i -> VectorRecord in
            let first = bases[Int.random(in: 0..<topics, using: &rng)]
            let second = bases[Int.random(in: 0..<topics, using: &rng)]
            var tokens: [String] = []
            var weights: [Float] = []
            for (t, w) in zip(first.tokens, first.weights) where Double.random(in: 0..<1, using: &rng) >= 0.1 {
                tokens.append(t)
                weights.append(jitter(w, &rng))
            }
            let have = Set(tokens)
            for (t, w) in zip(second.tokens, second.weights) where Double.random(in: 0..<1, using: &rng) < 0.25 && !have.contains(t) {
                tokens.append(t)
                weights.append(jitter(w * 0.8, &rng))
            }
            if tokens.isEmpty {
                tokens = [first.tokens[0]]
                weights = [first.weights[0]]
            }
            return VectorRecord(id: "doc\(i)", tokens: tokens, weights: weights)
        }
        let queries = (0..<queryCount).map { i -> VectorRecord in
            let base = bases[Int.random(in: 0..<topics, using: &rng)]
            var tokens: [String] = []
            var weights: [Float] = []
            for (t, w) in zip(base.tokens, base.weights) where Double.random(in: 0..<1, using: &rng) < 0.5 || tokens.isEmpty {
                tokens.append(t)
                weights.append(jitter(w, &rng))
            }
            return VectorRecord(id: "q\(i)", tokens: tokens, weights: weights)
        }
        return RandomCorpus(documents: documents, queries: queries)
    }

    /// A corpus of the given documents and queries.
    public init(documents: [VectorRecord], queries: [VectorRecord]) {
        self.documents = documents
        self.queries = queries
    }
}

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
}

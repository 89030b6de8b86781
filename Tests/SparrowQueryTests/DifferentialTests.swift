import Sparrow
import SparrowTestSupport
import Testing

/// Every algorithm against the naive dictionary scorer, on seeded random corpora.
struct DifferentialTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var documents: Int
        var vocabulary: Int
        var termsPerDocument: ClosedRange<Int>
        var termsPerQuery: ClosedRange<Int>
        var weights: WeightDistribution
        var testDescription: String {
            "\(documents) docs, vocab \(vocabulary), \(weights), query terms \(termsPerQuery)"
        }
    }

    static let shapes: [Shape] = [
        Shape(seed: 1, documents: 1, vocabulary: 5, termsPerDocument: 1...3, termsPerQuery: 1...3, weights: .flat),
        Shape(seed: 2, documents: 7, vocabulary: 10, termsPerDocument: 0...4, termsPerQuery: 1...4, weights: .integers),
        Shape(seed: 3, documents: 300, vocabulary: 50, termsPerDocument: 1...20, termsPerQuery: 1...5, weights: .flat),
        Shape(seed: 4, documents: 2000, vocabulary: 2000, termsPerDocument: 5...60, termsPerQuery: 5...40, weights: .skewed),
        Shape(seed: 5, documents: 1500, vocabulary: 30, termsPerDocument: 1...10, termsPerQuery: 1...3, weights: .integers),
        Shape(seed: 6, documents: 3000, vocabulary: 500, termsPerDocument: 1...8, termsPerQuery: 20...60, weights: .skewed),
    ]

    @Test("every algorithm equals the naive scorer", arguments: shapes, Algorithm.allCases)
    func agreesWithNaive(shape: Shape, algorithm: Algorithm) throws {
        let corpus = RandomCorpus(seed: shape.seed, documentCount: shape.documents, vocabularySize: shape.vocabulary,
                                  termsPerDocument: shape.termsPerDocument, queryCount: 25,
                                  termsPerQuery: shape.termsPerQuery, weights: shape.weights)
        let index = try SearchIndex.build(records: corpus.documents)
        let naive = NaiveScorer(corpus.documents)
        for k in [1, 10, 100, 1000, shape.documents + 5] {
            for query in corpus.queries {
                let expected = naive.search(query, k: k)
                let got = index.search(query, k: k, algorithm: algorithm)
                #expect(got.map(\.id) == expected.map(\.id), "query \(query.id), k \(k)")
                #expect(got.map(\.score) == expected.map(\.score), "query \(query.id), k \(k)")
                #expect(got.map(\.rank) == got.indices.map { $0 + 1 })
            }
        }
    }

    @Test("a query whose tokens are all unknown or weightless finds nothing", arguments: Algorithm.allCases)
    func emptyResults(algorithm: Algorithm) throws {
        let docs = [VectorRecord(id: "a", tokens: ["x", "y"], weights: [1, 0]),
                    VectorRecord(id: "b", tokens: ["y"], weights: [2])]
        let index = try SearchIndex.build(records: docs)
        #expect(index.search(VectorRecord(id: "q", tokens: ["zzz"], weights: [1]), k: 10, algorithm: algorithm).isEmpty)
        #expect(index.search(VectorRecord(id: "q", tokens: [], weights: []), k: 10, algorithm: algorithm).isEmpty)
        #expect(index.search(VectorRecord(id: "q", tokens: ["y"], weights: [0]), k: 10, algorithm: algorithm).isEmpty)
        // "a" has a zero weight for y: it shares the token but scores 0, so it is not an answer.
        #expect(index.search(VectorRecord(id: "q", tokens: ["y"], weights: [1]), k: 10, algorithm: algorithm).map(\.id) == ["b"])
    }

    @Test("ties go to the document indexed first", arguments: Algorithm.allCases)
    func tieBreak(algorithm: Algorithm) throws {
        let docs = (0..<50).map { VectorRecord(id: "d\($0)", tokens: ["t"], weights: [$0 % 2 == 0 ? 1 : 2]) }
        let index = try SearchIndex.build(records: docs)
        let hits = index.search(VectorRecord(id: "q", tokens: ["t"], weights: [1]), k: 30, algorithm: algorithm)
        let odd = stride(from: 1, to: 50, by: 2).map { "d\($0)" }
        let even = stride(from: 0, to: 10, by: 2).map { "d\($0)" }
        #expect(hits.map(\.id) == odd + even)
    }
}

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

    /// Index layouts: default blocks with BMP's usual ranges, and tiny blocks and ranges with
    /// reordering, so that on these small corpora lists span many blocks and the bounds prune.
    /// Both have the lossless clustered layout (every posting kept, exact summaries), on which the
    /// clustered algorithm with exact knobs must be exact too, whatever blocks its seed makes.
    static let layouts: [BuildOptions] = [
        BuildOptions(rangeSize: 32, clustered: .lossless()),
        BuildOptions(blockSize: 4, rangeSize: 8, reorder: .cluster, clustered: .lossless(seed: 7)),
    ]

    @Test("every algorithm equals the naive scorer", arguments: shapes, Algorithm.allCases)
    func agreesWithNaive(shape: Shape, algorithm: Algorithm) throws {
        let corpus = RandomCorpus(seed: shape.seed, documentCount: shape.documents, vocabularySize: shape.vocabulary,
                                  termsPerDocument: shape.termsPerDocument, queryCount: 25,
                                  termsPerQuery: shape.termsPerQuery, weights: shape.weights)
        let naive = NaiveScorer(corpus.documents)
        let allExpected = corpus.queries.map { naive.search($0, k: shape.documents) }
        for layout in Self.layouts {
            let index = try SearchIndex.build(records: corpus.documents, options: layout)
            for k in [1, 10, 100, 1000, shape.documents + 5] {
                for (query, all) in zip(corpus.queries, allExpected) {
                    let expected = Array(all.prefix(k))
                    let got = try index.search(query, k: k, algorithm: algorithm)
                    // Every algorithm adds in term order, as the naive scorer does: scores are
                    // bit-identical (tolerance 0), so only exact ties may be ordered differently
                    // (they are, after reordering: ties go to the lower new number).
                    let problem = rankingDisagreement(got: got.map { ($0.id, $0.score) }, expected: expected,
                                                      trueScore: { naive.score(of: $0, query) }, tolerance: 0)
                    #expect(problem == nil, "query \(query.id), k \(k), \(layout): \(problem ?? "")")
                    if layout.reorder == .none {
                        #expect(got.map(\.id) == expected.map(\.id), "query \(query.id), k \(k)")
                        #expect(got.map(\.score) == expected.map(\.score), "query \(query.id), k \(k)")
                    }
                    #expect(got.map(\.rank) == got.indices.map { $0 + 1 })
                }
            }
        }
    }

    /// (The clustered algorithm reads whole documents through its forward index; its pruning is
    /// tested in ClusteredTests.)
    @Test("pruning algorithms score fewer postings than exhaustive search", arguments: Algorithm.allCases.filter { $0 != .clustered })
    func prunes(algorithm: Algorithm) throws {
        let corpus = RandomCorpus(seed: 9, documentCount: 4000, vocabularySize: 300, termsPerDocument: 5...40,
                                  queryCount: 20, termsPerQuery: 5...20, weights: .skewed)
        let index = try SearchIndex.build(records: corpus.documents, options: BuildOptions(rangeSize: 32, reorder: .cluster))
        var exhaustive = 0
        var pruned = 0
        for query in corpus.queries {
            var stats = QueryStats()
            _ = try index.search(query, k: 10, algorithm: .exhaustiveTAAT, stats: &stats)
            exhaustive += stats.postingsScored
            _ = try index.search(query, k: 10, algorithm: algorithm, stats: &stats)
            pruned += stats.postingsScored
            if algorithm == .bmp || algorithm == .rangeTAAT { #expect(stats.rangesScored > 0) }
        }
        if algorithm == .exhaustiveTAAT || algorithm == .exhaustiveDAAT {
            #expect(pruned == exhaustive)
        } else {
            #expect(pruned < exhaustive, "\(algorithm) scored \(pruned) postings, exhaustive \(exhaustive)")
        }
    }

    @Test("a query whose tokens are all unknown or weightless finds nothing", arguments: Algorithm.allCases)
    func emptyResults(algorithm: Algorithm) throws {
        let docs = [VectorRecord(id: "a", tokens: ["x", "y"], weights: [1, 0]),
                    VectorRecord(id: "b", tokens: ["y"], weights: [2])]
        let index = try SearchIndex.build(records: docs, options: BuildOptions(rangeSize: 32, clustered: .lossless()))
        #expect(try index.search(VectorRecord(id: "q", tokens: ["zzz"], weights: [1]), k: 10, algorithm: algorithm).isEmpty)
        #expect(try index.search(VectorRecord(id: "q", tokens: [], weights: []), k: 10, algorithm: algorithm).isEmpty)
        #expect(try index.search(VectorRecord(id: "q", tokens: ["y"], weights: [0]), k: 10, algorithm: algorithm).isEmpty)
        // "a" has a zero weight for y: it shares the token but scores 0, so it is not an answer.
        #expect(try index.search(VectorRecord(id: "q", tokens: ["y"], weights: [1]), k: 10, algorithm: algorithm).map(\.id) == ["b"])
    }

    @Test("ties go to the document indexed first", arguments: Algorithm.allCases)
    func tieBreak(algorithm: Algorithm) throws {
        let docs = (0..<50).map { VectorRecord(id: "d\($0)", tokens: ["t"], weights: [$0 % 2 == 0 ? 1 : 2]) }
        let index = try SearchIndex.build(records: docs, options: BuildOptions(rangeSize: 32, clustered: .lossless()))
        let hits = try index.search(VectorRecord(id: "q", tokens: ["t"], weights: [1]), k: 30, algorithm: algorithm)
        let odd = stride(from: 1, to: 50, by: 2).map { "d\($0)" }
        let even = stride(from: 0, to: 10, by: 2).map { "d\($0)" }
        #expect(hits.map(\.id) == odd + even)
    }
}

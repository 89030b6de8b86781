import Sparrow
import SparrowTestSupport
import Testing

/// Sparrow on the real 30k MS MARCO pool against the Python reference scorer's committed output.
@Suite(.serialized)
struct RealDataTests {
    /// Built once for the suite: parsing 4M postings in a debug build takes a while.
    static let index: Result<SearchIndex, any Error> = Result {
        try SearchIndex.build(fromVectorFile: try requireSharedData("msmarco-dl-pool/splade-tiny/docs.jsonl.gz"),
                              options: BuildOptions(rangeSize: 32))
    }

    struct RunLine { var doc: String; var rank: Int; var score: Double }

    static func readRun(_ name: String) -> [String: [RunLine]] {
        let text = String(decoding: readFileBytes(repositoryRoot + "/Tests/SparrowTests/Fixtures/" + name), as: UTF8.self)
        var run: [String: [RunLine]] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            run[String(f[0]), default: []].append(RunLine(doc: String(f[2]), rank: Int(f[3])!, score: Double(f[4])!))
        }
        return run
    }

    @Test("exhaustive top-10 equals the reference scorer", arguments: ["dl19", "dl20"])
    func matchesReference(queries: String) throws {
        let index = try Self.index.get()
        #expect(index.documentCount == 30_005)
        let expected = Self.readRun("msmarco-dl-pool.\(queries).exact.k10.trec")
        let records = try readVectorRecords(fromFile: try requireSharedData("msmarco-dl-pool/splade-tiny/queries.\(queries).jsonl"))
        #expect(records.count == expected.count)
        for (query, _) in records {
            let want = try #require(expected[query.id])
            let got = try index.search(query, k: 10, algorithm: .exhaustiveTAAT)
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) {
                // Scores agree to the reference's 6 printed decimals (and well within 1e-4 relative).
                #expect(abs(Double(g.score) - w.score) <= max(1e-4 * w.score, 2e-6), "\(query.id) rank \(g.rank)")
            }
            // Same documents in the same order, except that documents whose reference scores tie
            // (equal at the printed precision) may appear in either order.
            #expect(groupsByScore(got.map { ($0.id, Double($0.score)) }, tolerance: 2e-6)
                    == groupsByScore(want.map { ($0.doc, $0.score) }, tolerance: 2e-6), "\(query.id)")
        }
    }

    /// The shared learned-sparse collections with their query files.
    static let collections: [(docs: String, queries: String)] = [
        ("msmarco-dl-pool/splade-tiny/docs.jsonl.gz", "msmarco-dl-pool/splade-tiny/queries.dl19.jsonl"),
        ("msmarco-dl-pool/splade-tiny/docs.jsonl.gz", "msmarco-dl-pool/splade-tiny/queries.dl20.jsonl"),
        ("scifact/splade-tiny/docs.jsonl.gz", "scifact/splade-tiny/queries.test.jsonl"),
        ("nfcorpus/splade-tiny/docs.jsonl.gz", "nfcorpus/splade-tiny/queries.test.jsonl"),
    ]

    /// The small collections, each built once with reordering, default blocks, 32-document ranges
    /// and the lossless clustered layout (on which the clustered algorithm is exact).
    static let reordered: [String: Result<SearchIndex, any Error>] = Dictionary(uniqueKeysWithValues:
        ["scifact/splade-tiny/docs.jsonl.gz", "nfcorpus/splade-tiny/docs.jsonl.gz"].map { docs in
            (docs, Result { try SearchIndex.build(fromVectorFile: try requireSharedData(docs),
                                                  options: BuildOptions(rangeSize: 32, reorder: .cluster, clustered: .lossless())) })
        })

    @Test("every algorithm equals exhaustive search on the shared collections", arguments: Algorithm.allCases)
    func everyAlgorithmOnRealData(algorithm: Algorithm) throws {
        for (docs, queries) in Self.collections {
            let index = try (docs.hasPrefix("msmarco") ? Self.index : Self.reordered[docs]!).get()
            for (n, (query, _)) in try readVectorRecords(fromFile: try requireSharedData(queries)).enumerated() {
                // The exhaustive run to 2000 gives the true score of every document the algorithm
                // may return. All algorithms add in term order: scores must be bit-identical and
                // only exact ties may swap. k = 1000 on the first 100 queries of each file keeps the debug-build
                // test within a minute or two.
                let reference = try index.search(query, k: 2000, algorithm: .exhaustiveTAAT)
                let truth = Dictionary(uniqueKeysWithValues: reference.map { ($0.id, $0.score) })
                for k in n < 100 ? [10, 1000] : [10] {
                    let got = try index.search(query, k: k, algorithm: algorithm)
                    let problem = rankingDisagreement(
                        got: got.map { ($0.id, $0.score) }, expected: reference.prefix(k).map { ($0.id, $0.score) },
                        trueScore: { truth[$0] ?? -1 }, tolerance: 0)
                    #expect(problem == nil, "\(queries) \(query.id) k \(k): \(problem ?? "")")
                }
            }
        }
    }

    /// The 30k pool with the default clustered layout, built once.
    static let clustered: Result<SearchIndex, any Error> = Result {
        try SearchIndex.build(fromVectorFile: try requireSharedData("msmarco-dl-pool/splade-tiny/docs.jsonl.gz"),
                              options: BuildOptions(clustered: ClusterSettings()))
    }

    @Test("each recall preset holds its floor on the 30k MS MARCO pool with the dev queries", arguments: Approximation.presetRecalls)
    func presetsHoldOnRealData(recall floor: Double) throws {
        let exact = try Self.index.get()
        let index = try Self.clustered.get()
        #expect(index.clusteredSegmentCount == 1)
        // The first 300 dev queries (the presets were chosen on the first 1000, in release builds).
        let queries = try readVectorRecords(fromFile: try requireSharedData("msmarco-dev-queries/splade-tiny/queries.jsonl"))
            .prefix(300).map(\.record)
        var sum = 0.0
        for q in queries {
            let want = Set(try exact.search(q, k: 10, algorithm: .exhaustiveTAAT).map(\.id))
            let got = try index.search(q.query, k: 10, recall: floor).map(\.id)
            sum += want.isEmpty ? 1 : Double(got.filter(want.contains).count) / Double(want.count)
        }
        let recall = sum / Double(queries.count)
        #expect(recall >= floor, "preset \(floor): recall@10 \(recall)")
    }

    /// Splits a ranking into runs of (near-)equal scores and returns each run as a set.
    func groupsByScore(_ ranking: [(String, Double)], tolerance: Double) -> [Set<String>] {
        var groups: [Set<String>] = []
        var lastScore = Double.nan
        for (doc, score) in ranking {
            if let last = groups.indices.last, abs(score - lastScore) <= tolerance {
                groups[last].insert(doc)
            } else {
                groups.append([doc])
            }
            lastScore = score
        }
        return groups
    }
}

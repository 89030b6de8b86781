import Sparrow
import SparrowTestSupport
import Testing

/// BM25 from text on BEIR collections against Anserini 0.22.1 (Lucene 9) run on the same files
/// (Tools/lucene-reference/make-fixtures.sh wrote its top-10 runs).
@Suite(.serialized)
struct BM25ParityTests {
    static func index(_ collection: String) throws -> SearchIndex {
        try SearchIndex.build(fromTextFile: try requireSharedData("\(collection)/corpus.jsonl.gz"))
    }

    @Test("top 10 of every test query equals Anserini's; nDCG@10 and recall@100 equal the published values",
          arguments: [("scifact", 0.6789, 0.9253, 0.0005), ("nfcorpus", 0.3218, 0.2457, 0.003)])
    func anserini(collection: String, ndcg: Double, recall: Double, tolerance: Double) throws {
        let index = try Self.index(collection)
        let queries = try TextRecordReader.readAll(path: try requireSharedData("\(collection)/queries.test.jsonl"))
        let reference = try Run.read(path: repositoryRoot + "/Tests/Fixtures/bm25/\(collection).anserini-bm25-top10.trec")
        var run = Run()
        for (query, _) in queries {
            let hits = try index.search(text: query.text, k: 1000)
            run.include(query: query.id)
            for hit in hits { run.append(query: query.id, doc: hit.id, score: Double(hit.score)) }
            let want = reference.results[query.id] ?? []
            let got = hits.prefix(10).map { (doc: $0.id, score: Double($0.score)) }
            #expect(got.count == want.count, "\(query.id)")
            // Anserini prints 4 decimals and nudges tied scores apart by 1e-6 steps, so scores agree
            // to 1e-4, and the same documents appear, except that ties at the cut-off may differ.
            for (g, w) in zip(got, want) { #expect(abs(g.score - w.score) < 1e-4, "\(query.id): \(g) vs \(w)") }
            let cutoff = (want.last?.score ?? 0) + 2e-4
            let gotAbove = Set(got.filter { $0.score > cutoff }.map(\.doc))
            let wantAbove = Set(want.filter { $0.score > cutoff }.map(\.doc))
            #expect(gotAbove == wantAbove, "\(query.id)")
            #expect(gotAbove.isSubset(of: Set(want.map(\.doc))) && wantAbove.isSubset(of: Set(got.map(\.doc))), "\(query.id)")
        }
        let metrics = [Metric("ndcg@10")!, Metric("recall@100")!]
        let e = Evaluator.evaluate(run: run, qrels: try Qrels.read(path: try requireSharedData("\(collection)/qrels/test.tsv")),
                                   metrics: metrics, includeUnretrieved: false)
        #expect(e.queryIDs.count == queries.count)
        #expect(abs(e.means[0] - ndcg) <= tolerance, "nDCG@10 \(e.means[0])")
        #expect(abs(e.means[1] - recall) <= 0.0005, "recall@100 \(e.means[1])")
    }

    @Test("every algorithm returns what exhaustive search returns on a BM25 index")
    func algorithms() throws {
        let index = try SearchIndex.build(fromTextFile: try requireSharedData("scifact/corpus.jsonl.gz"),
                                          options: BuildOptions(rangeSize: 32, reorder: .cluster))
        let queries = try TextRecordReader.readAll(path: try requireSharedData("scifact/queries.test.jsonl"))
        for (query, _) in queries.prefix(100) {
            let exact = try index.search(text: query.text, k: 100, algorithm: .exhaustiveTAAT)
            for algorithm in Algorithm.allCases {
                let got = try index.search(text: query.text, k: 100, algorithm: algorithm)
                #expect(got == exact, "\(query.id) \(algorithm)")
            }
        }
    }
}

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

    struct Collection: Sendable, CustomTestStringConvertible {
        var name: String
        var queries: String
        /// Anserini's `-removeQuery`: the document whose id is the query id is left out.
        var removeQuery: Bool
        /// Anserini's values for the same files, from `sparrow eval` on its runs (published
        /// regressions for SciFact and NFCorpus; Cranfield from Anserini 0.22.1 run here, see
        /// Tests/Fixtures/README.md).
        var ndcg10: Double
        var recall100: Double
        var testDescription: String { name }
    }

    static let collections = [
        Collection(name: "scifact", queries: "queries.test.jsonl", removeQuery: false, ndcg10: 0.6789, recall100: 0.9253),
        Collection(name: "nfcorpus", queries: "queries.test.jsonl", removeQuery: false, ndcg10: 0.3218, recall100: 0.2457),
        Collection(name: "cranfield", queries: "queries.jsonl", removeQuery: true, ndcg10: 0.3506, recall100: 0.7222),
    ]

    /// The runs are built as `sparrow search` writes them (``Run/append(query:ranking:)``: ties by
    /// ascending id, tied scores stepped apart), so the metrics must equal Anserini's to its 4 decimals.
    @Test("top 10 of every query equals Anserini's, in order; nDCG@10 and recall@100 equal Anserini's",
          arguments: collections)
    func anserini(_ c: Collection) throws {
        let index = try Self.index(c.name)
        let queries = try TextRecordReader.readAll(path: try requireSharedData("\(c.name)/\(c.queries)"))
        let reference = try Run.read(path: repositoryRoot + "/Tests/Fixtures/bm25/\(c.name).anserini-bm25-top10.trec")
        var run = Run()
        for (query, _) in queries {
            var hits = try index.search(text: query.text, k: 1001).map { (doc: $0.id, score: $0.score) }
            if c.removeQuery { hits.removeAll { $0.doc == query.id } }
            let ranking = Array(hits.prefix(1000))
            run.append(query: query.id, ranking: ranking)
            let want = reference.results[query.id] ?? []
            let got = run.results[query.id]!.prefix(10)
            #expect(got.count == want.count, "\(query.id)")
            // Anserini prints 4 decimals; the same documents in the same order, except where a
            // tie at the cut-off lets another tied document in.
            for (g, w) in zip(got, want) { #expect(abs(g.score - w.score) < 1e-4, "\(query.id): \(g) vs \(w)") }
            let cutoff = (want.last?.score ?? 0) + 2e-4
            let settled = want.prefix { $0.score > cutoff }.count
            #expect(got.prefix(settled).map(\.doc) == want.prefix(settled).map(\.doc), "\(query.id)")
            #expect(Set(got.map(\.doc)).subtracting(want.map(\.doc)).allSatisfy { d in
                got.first { $0.doc == d }!.score <= cutoff }, "\(query.id)")
        }
        let metrics = [Metric("ndcg@10")!, Metric("recall@100")!]
        let e = Evaluator.evaluate(run: run, qrels: try Qrels.read(path: try requireSharedData("\(c.name)/qrels/test.tsv")),
                                   metrics: metrics)
        #expect(e.queryIDs.count == queries.count)
        #expect(abs(e.means[0] - c.ndcg10) < 5e-5, "nDCG@10 \(e.means[0])")
        #expect(abs(e.means[1] - c.recall100) < 5e-5, "recall@100 \(e.means[1])")
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

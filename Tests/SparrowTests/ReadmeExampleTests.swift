import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// The README's library example, as written there (paths made absolute), with checks of what it
/// prints.
struct ReadmeExampleTests {
    @Test("the README's library code runs and finds what independent scorers find")
    func libraryExample() throws {
        let toy = repositoryRoot + "/Examples/toy/documents.jsonl"
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }

        // A live collection.
        let writer = try IndexWriter.open(at: dir + "/live-example", creating: IndexSettings())
        try writer.upsert(try readVectorRecords(fromFile: toy).map { writer.prepare($0.record) })
        let deleted = try writer.delete(ids: ["3", "no-such-id"])
        let live = try writer.snapshot.search(SparseQuery(["manhattan": 1.5]), k: 3)
        try writer.close()
        #expect(deleted == 1)
        let remaining = try readVectorRecords(fromFile: toy).map(\.record).filter { $0.id != "3" }
        let expectedLive = NaiveScorer(remaining).search(VectorRecord(id: "q", tokens: ["manhattan"], weights: [1.5]), k: 3)
        #expect(live.map(\.id) == expectedLive.map(\.id) && live.map(\.score) == expectedLive.map(\.score))
        #expect(try SearchIndex.open(at: dir + "/live-example").documentCount == 19)

        let built = try SearchIndex.build(fromVectorFile: toy)
        try built.write(to: dir + "/toy-index")
        let index = try SearchIndex.open(at: dir + "/toy-index")
        let query = try SparseQuery(json: #"{"manhattan": 1.5, "project": 1.0}"#)
        let vectorHits = try index.search(query, k: 3)
        let naive = NaiveScorer(try readVectorRecords(fromFile: toy).map(\.record)).search(VectorRecord(id: "q", tokens: query.tokens, weights: query.weights), k: 3)
        #expect(vectorHits.map(\.id) == naive.map(\.id) && vectorHits.map(\.score) == naive.map(\.score))
        #expect(vectorHits.map(\.rank) == [1, 2, 3])

        // BM25 over text, then evaluation of a run.
        let bm25 = try SearchIndex.build(fromTextFile: toy)
        let bm25Hits = try bm25.search(text: "atomic bomb project", k: 3)
        #expect(bm25Hits.count == 3)
        var run = Run()
        for hit in bm25Hits { run.append(query: "q1", doc: hit.id, score: Double(hit.score)) }
        var qrels = Qrels()
        _ = qrels.set(query: "q1", doc: "3", grade: 1)
        let evaluation = Evaluator.evaluate(run: run, qrels: qrels, metrics: [Metric("ndcg@10")!, Metric("mrr@10")!])
        // One relevant document: nDCG@10 = 1/log2(r + 1) and RR = 1/r at its rank r (0 if absent).
        let r = bm25Hits.firstIndex { $0.id == "3" }.map { Double($0 + 1) }
        #expect(evaluation.means == [r.map { 1 / log2($0 + 1) } ?? 0, r.map { 1 / $0 } ?? 0])

        // Learned sparse retrieval from text, encoded in Swift by a SPLADE model.
        let encoder = try SpladeEncoder(directory: try requireSharedData("models/splade-tiny"))
        let splade = try SearchIndex.build(fromTextFile: toy, encoder: encoder, model: "splade-tiny")
        let spladeHits = try splade.search(text: "who led the manhattan project", encoder: .splade(encoder), k: 3)
        let encodedDocs = try TextRecordReader.readAll(path: toy).map { record, _ in
            let v = encoder.encode(record.text)
            return VectorRecord(id: record.id, tokens: v.tokens, weights: v.weights)
        }
        let (qTokens, qWeights) = encoder.encode("who led the manhattan project")
        let expected = NaiveScorer(encodedDocs).search(VectorRecord(id: "q", tokens: qTokens, weights: qWeights), k: 3)
        #expect(spladeHits.map(\.id) == expected.map(\.id))

        // Build options and a named algorithm, with work counters.
        let ranged = try SearchIndex.build(fromVectorFile: toy, options: BuildOptions(rangeSize: 32, reorder: .cluster))
        var stats = QueryStats()
        let hits = try ranged.search(query, k: 3, algorithm: .bmp, stats: &stats)
        #expect(hits.map(\.id) == naive.map(\.id))
        #expect(stats.postingsScored > 0 && stats.rangesScored >= 1)
    }
}

import Foundation
import Sparrow
import SparrowTestSupport
import Testing

struct MetricTests {
    /// A worked example, every value computed by hand below.
    ///
    /// q1 judged {d1: 1, d2: 0}; run d2 (2.0), d1 (1.0): d1 relevant at rank 2.
    /// q2 judged {d3: 0}: nothing relevant, so every metric is 0.
    /// q3 judged {d1: 2, d4: 1}; run d1, d4, d5 all 1.0: ties go by descending id, d5 d4 d1.
    /// q4 in the run, not judged: skipped. q5 judged {d9: 1}, not in the run: 0 (trec_eval -c).
    static func example() -> (Run, Qrels) {
        var qrels = Qrels()
        for (q, d, g) in [("q1", "d1", 1), ("q1", "d2", 0), ("q2", "d3", 0), ("q3", "d1", 2), ("q3", "d4", 1), ("q5", "d9", 1)] {
            _ = qrels.set(query: q, doc: d, grade: g)
        }
        var run = Run()
        for (q, d, s) in [("q1", "d1", 1.0), ("q1", "d2", 2.0), ("q2", "d3", 1.0), ("q3", "d1", 1.0), ("q3", "d4", 1.0),
                          ("q3", "d5", 1.0), ("q4", "d1", 1.0)] {
            run.append(query: q, doc: d, score: s)
        }
        return (run, qrels)
    }

    @Test("hand-computed values")
    func handComputed() {
        let (run, qrels) = Self.example()
        let metrics = ["ndcg@10", "mrr@10", "recall@2", "p@2", "map", "map@2"].map { Metric($0)! }
        let e = Evaluator.evaluate(run: run, qrels: qrels, metrics: metrics)
        #expect(e.queryIDs == ["q1", "q2", "q3", "q5"])
        let l3 = 1 / log2(3.0)
        let expected: [[Double]] = [
            // q1: nDCG = (1/log2 3)/1; RR 1/2; R@2 1; P@2 1/2; AP (1/2)/1.
            [l3, 0.5, 1, 0.5, 0.5, 0.5],
            [0, 0, 0, 0, 0, 0],
            // q3: ranking d5 (0), d4 (1), d1 (2). DCG = 1/log2 3 + 2/2; IDCG = 2 + 1/log2 3.
            // RR 1/2; R@2 1/2; P@2 1/2; AP (1/2 + 2/3)/2; AP@2 (1/2)/2.
            [(l3 + 1) / (2 + l3), 0.5, 0.5, 0.5, (0.5 + 2.0 / 3) / 2, 0.25],
            [0, 0, 0, 0, 0, 0],
        ]
        for (row, want) in zip(e.values, expected) {
            for (v, w) in zip(row, want) { #expect(abs(v - w) < 1e-12) }
        }
        let only = Evaluator.evaluate(run: run, qrels: qrels, metrics: metrics, includeUnretrieved: false)
        #expect(only.queryIDs == ["q1", "q2", "q3"])
    }

    @Test("metric names")
    func names() {
        #expect(Metric("ndcg@10") == Metric(.ndcg, cutoff: 10))
        #expect(Metric("ndcg_cut_10") == Metric(.ndcg, cutoff: 10))
        #expect(Metric("MRR@10") == Metric(.rr, cutoff: 10))
        #expect(Metric("recip_rank") == Metric(.rr))
        #expect(Metric("R@100") == Metric(.recall, cutoff: 100))
        #expect(Metric("map") == Metric(.ap))
        #expect(Metric("P_5") == Metric(.precision, cutoff: 5))
        for bad in ["recall", "ndcg@0", "bleu", "p", "ndcg@x"] { #expect(Metric(bad) == nil, "\(bad)") }
        #expect(Metric.defaults.map(\.description) == ["ndcg@10", "mrr@10", "recall@100", "recall@1000", "map"])
    }

    struct Expected: Decodable {
        var qrels: String
        var run: String
        var per_query: [String: [String: Double]]
        var mean: [String: Double]
    }

    /// ir_measures (pytrec_eval) on committed runs: Tools/eval-reference/make_fixtures.py.
    @Test("per-query and mean values equal ir_measures", arguments: ["synthetic", "scifact", "nfcorpus", "cranfield"])
    func againstIRMeasures(name: String) throws {
        let dir = repositoryRoot + "/Tests/Fixtures/eval/"
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(readFileBytes(dir + "expected.json")))
        let expected = try #require(all[name])
        let qrelsPath = expected.qrels.hasPrefix("../shared/data/")
            ? try requireSharedData(String(expected.qrels.dropFirst("../shared/data/".count))) : dir + expected.qrels
        let run = try Run.read(path: dir + expected.run)
        let qrels = try Qrels.read(path: qrelsPath)
        let names = expected.mean.keys.sorted()
        let metrics = try names.map { try #require(Metric($0)) }
        let e = Evaluator.evaluate(run: run, qrels: qrels, metrics: metrics)
        #expect(Set(e.queryIDs) == Set(expected.per_query.keys))
        for (q, row) in zip(e.queryIDs, e.values) {
            for (m, v) in zip(names, row) {
                let want = try #require(expected.per_query[q]?[m])
                #expect(abs(v - want) < 1e-9, "\(name) \(q) \(m): \(v) vs \(want)")
            }
        }
        for (m, v) in zip(names, e.means) {
            #expect(abs(v - expected.mean[m]!) < 1e-9, "\(name) mean \(m)")
        }
    }

    @Test("a ranking is written with ties by ascending id and strictly decreasing scores")
    func rankingForRunOrder() {
        let two: Float = 2
        let got = rankingForRun([("d2", 3), ("d9", 2), ("d1", 2), ("d10", 2), ("d5", two.nextDown), ("d4", 1)])
        #expect(got.map(\.doc) == ["d2", "d1", "d10", "d9", "d5", "d4"])
        // Each tie one ulp below the score before it; a tie chain pushes the next score down too.
        #expect(got.map(\.score) == [3, 2, two.nextDown, two.nextDown.nextDown, two.nextDown.nextDown.nextDown, 1])
        #expect(rankingForRun([("a", 5), ("b", 4), ("c", 3)]).map(\.score) == [5, 4, 3])
        #expect(rankingForRun([]).isEmpty)
        // trec_eval alone would put tied d9 before d1 (descending ids); the written scores keep d1 first.
        var run = Run()
        run.append(query: "q", ranking: [("d9", 2), ("d1", 2)])
        var qrels = Qrels()
        _ = qrels.set(query: "q", doc: "d1", grade: 1)
        #expect(Evaluator.evaluate(run: run, qrels: qrels, metrics: [Metric("mrr")!]).means == [1])
        var raw = Run()
        raw.append(query: "q", doc: "d9", score: 2)
        raw.append(query: "q", doc: "d1", score: 2)
        #expect(Evaluator.evaluate(run: raw, qrels: qrels, metrics: [Metric("mrr")!]).means == [0.5])
    }

    @Test("bad qrels and runs name the file and line")
    func badFiles() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let cases: [(name: String, content: String, line: Int, read: (String) throws -> Void)] = [
            ("a.qrels", "q1 0 d1 1\nq1 0 d2\n", 2, { _ = try Qrels.read(path: $0) }),
            ("b.qrels", "q1 0 d1 x\n", 1, { _ = try Qrels.read(path: $0) }),
            ("c.qrels", "q1 0 d1 1\nq1 0 d1 2\n", 2, { _ = try Qrels.read(path: $0) }),
            // A first line with a non-numeric grade is a header only when it names the column.
            ("d.qrels", "q1\td1\tx\nq1\td2\t1\n", 1, { _ = try Qrels.read(path: $0) }),
            // Nothing judged at all (here: a header alone) is an error, not an empty evaluation.
            ("e.tsv", "query-id\tcorpus-id\tscore\n", 0, { _ = try Qrels.read(path: $0) }),
            ("f.qrels", "\n\n", 0, { _ = try Qrels.read(path: $0) }),
            ("a.trec", "q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 abc t\n", 2, { _ = try Run.read(path: $0) }),
            ("b.trec", "q1 Q0 d1 1 2.5 t\nq1 Q0 d1 2 2.0 t\n", 2, { _ = try Run.read(path: $0) }),
            ("c.trec", "q1 Q0 d1 1 2.5\n", 1, { _ = try Run.read(path: $0) }),
        ]
        for c in cases {
            writeFile(dir + "/" + c.name, c.content)
            do {
                try c.read(dir + "/" + c.name)
                Issue.record("accepted \(c.name)")
            } catch let error as InputError {
                #expect(error.path.hasSuffix(c.name) && error.line == c.line, "\(error)")
            }
        }
        // The BEIR header is skipped, a repeated identical judgment is harmless.
        writeFile(dir + "/ok.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t1\n")
        #expect(try Qrels.read(path: dir + "/ok.tsv").judgments == ["q1": ["d1": 1]])
    }
}

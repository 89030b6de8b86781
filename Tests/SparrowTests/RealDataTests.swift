import Sparrow
import SparrowTestSupport
import Testing

/// Sparrow on the real 30k MS MARCO pool against the Python reference scorer's committed output.
@Suite(.serialized)
struct RealDataTests {
    /// Built once for the suite: parsing 4M postings in a debug build takes a while.
    static let index: Result<SearchIndex, any Error> = Result {
        try SearchIndex.build(fromVectorFile: try requireSharedData("msmarco-dl-pool/splade-tiny/docs.jsonl.gz"))
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

    @Test("top-10 equals the reference scorer", arguments: ["dl19", "dl20"], Algorithm.allCases)
    func matchesReference(queries: String, algorithm: Algorithm) throws {
        let index = try Self.index.get()
        #expect(index.documentCount == 30_005)
        let expected = Self.readRun("msmarco-dl-pool.\(queries).exact.k10.trec")
        let records = try readVectorRecords(fromFile: try requireSharedData("msmarco-dl-pool/splade-tiny/queries.\(queries).jsonl"))
        #expect(records.count == expected.count)
        for (query, _) in records {
            let want = try #require(expected[query.id])
            let got = index.search(query, k: 10, algorithm: algorithm)
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

import Foundation
import Sparrow
import SparrowIndex
import SparrowTestSupport
import Testing

/// BM25 indexes against a straightforward scorer written here from the formula.
struct BM25Tests {
    /// Lucene's decoded document lengths, from the Lucene-made fixture (not from Sparrow's code).
    static let luceneLength: [Int: Int] = {
        var table: [Int: Int] = [:]
        let text = String(decoding: readFileBytes(repositoryRoot + "/Tests/Fixtures/analyzer/smallfloat.lucene.tsv"),
                          as: UTF8.self)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t").map { Int($0)! }
            table[f[0]] = f[2]
        }
        return table
    }()

    /// A random text corpus over a small vocabulary, so terms repeat within and across documents.
    static func corpus(seed: UInt64, documents: Int) -> [(id: String, text: String)] {
        var rng = SeededRandom(seed: seed)
        let words = (0..<60).map { "w\($0)x" } + ["the", "and", "of"]   // three stop words
        return (0..<documents).map { d in
            let length = Int.random(in: 0...40, using: &rng)
            let text = (0..<length).map { _ in
                // Skewed: low-numbered words are frequent.
                words[min(words.count - 1, Int(Double(words.count) * pow(Double.random(in: 0..<1, using: &rng), 2.5)))]
            }.joined(separator: " ")
            return ("doc\(d)", text)
        }
    }

    /// Textbook BM25 in double precision: idf = ln(1 + (N − df + 0.5)/(df + 0.5)),
    /// tf·idf/(tf + k1(1 − b + b·dl/avgdl)) with Lucene's lossy dl, summed with the query's counts.
    static func naiveScores(_ docs: [[String]], query: [String], k1: Double, b: Double) -> [Double] {
        let n = docs.filter { !$0.isEmpty }.count
        let avgdl = Double(docs.reduce(0) { $0 + $1.count }) / Double(n)
        var df: [String: Int] = [:]
        for d in docs { for t in Set(d) { df[t, default: 0] += 1 } }
        var counts: [String: Int] = [:]
        for t in query { counts[t, default: 0] += 1 }
        return docs.map { d in
            let dl = Double(luceneLength[d.count]!)
            var score = 0.0
            for (t, c) in counts {
                let tf = Double(d.filter { $0 == t }.count)
                guard tf > 0, let f = df[t] else { continue }
                let idf = log(1 + (Double(n - f) + 0.5) / (Double(f) + 0.5))
                score += Double(c) * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))
            }
            return score
        }
    }

    @Test("rankings equal a textbook BM25 with Lucene's document lengths",
          arguments: [(UInt64(1), Float(0.9), Float(0.4)), (2, 1.2, 0.75), (3, 0.0, 0.0), (4, 2.0, 1.0)])
    func matchesNaive(seed: UInt64, k1: Float, b: Float) throws {
        let docs = Self.corpus(seed: seed, documents: 400)
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/corpus.jsonl", docs.map { "{\"id\": \(jsonString($0.id)), \"text\": \(jsonString($0.text))}" }
            .joined(separator: "\n") + "\n")
        let index = try SearchIndex.build(fromTextFile: dir + "/corpus.jsonl",
                                          text: TextIndexOptions(bm25: BM25(k1: k1, b: b)))
        #expect(index.documentCount == docs.count)
        // The analyzer is tested against Lucene elsewhere; here it only supplies the terms.
        let terms = docs.map { Analyzer.english.analyze($0.text) }
        var rng = SeededRandom(seed: seed + 100)
        for q in 0..<40 {
            // Short queries with repeated words and unknown words.
            let query = (0..<Int.random(in: 1...6, using: &rng)).map { _ in "w\(Int.random(in: 0..<70, using: &rng))x" }
                .joined(separator: " ") + (q % 5 == 0 ? " w1x w1x" : "")
            let expectedScores = Self.naiveScores(terms, query: Analyzer.english.analyze(query), k1: Double(k1), b: Double(b))
            let expected = zip(docs, expectedScores).filter { $0.1 > 0 }
                .map { (id: $0.0.id, score: Float($0.1)) }
                .sorted { $0.score > $1.score }
            for k in [1, 10, 1000] {
                for algorithm in [Algorithm.exhaustiveTAAT, .maxScore, .blockMaxWAND] {
                    let got = try index.search(text: query, k: k, algorithm: algorithm).map { (id: $0.id, score: $0.score) }
                    let scoreOf = Dictionary(uniqueKeysWithValues: zip(docs.map(\.id), expectedScores.map(Float.init)))
                    let problem = rankingDisagreement(got: got, expected: Array(expected.prefix(k)),
                                                      trueScore: { scoreOf[$0]! }, tolerance: 1e-5)
                    #expect(problem == nil, "query \(query) k \(k) \(algorithm): \(problem ?? "")")
                }
            }
        }
    }

    @Test("a repeated query word counts as often as it occurs")
    func repeatedTerms() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/c.tsv", "a\tsparrow nest\nb\tsparrow\nc\tnest nest egg\n")
        let index = try SearchIndex.build(fromTextFile: dir + "/c.tsv")
        let once = try index.search(text: "sparrow", k: 3)
        let twice = try index.search(text: "sparrows sparrow", k: 3)
        #expect(once.map(\.id) == twice.map(\.id))
        for (o, t) in zip(once, twice) { #expect(abs(t.score - 2 * o.score) <= 1e-6 * t.score) }
        let vector = try index.queryVector(text: "Sparrows' nest, sparrow's nests!")
        #expect(vector.tokens == ["sparrow", "nest"] && vector.weights == [2, 2])
    }

    @Test("the index remembers its analyzer and BM25 settings across a write and an open")
    func persistence() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/c.jsonl", #"{"_id": "1", "title": "Running", "text": "Runners ran"}"# + "\n"
            + #"{"_id": 2, "title": "", "text": "the and of"}"# + "\n")
        var options = TextIndexOptions(bm25: BM25(k1: 1.2, b: 0.75))
        options.analyzer.stemmer = .none
        let built = try SearchIndex.build(fromTextFile: dir + "/c.jsonl", text: options)
        try built.write(to: dir + "/index")
        let index = try SearchIndex.open(at: dir + "/index")
        #expect(index.analyzer == options.analyzer)
        let weighting = try #require(index.textWeighting)
        #expect(weighting.k1 == 1.2 && weighting.b == 0.75 && weighting.model == "bm25")
        // Document 2 has only stop words: stored, counted in no statistic, never matched.
        #expect(index.documentCount == 2 && weighting.documentsWithTerms == 1 && weighting.totalTermCount == 3)
        #expect(try index.search(text: "running", k: 5).map(\.id) == ["1"])
        #expect(try index.search(text: "run", k: 5).isEmpty)   // no stemming in this index
        #expect(index.text(of: DocID(0)) == "Running Runners ran")
        #expect(throws: InputError.self) { try SearchIndex.build(fromVectorFile: dir + "/c.jsonl") }
    }

    @Test("term frequencies and lengths are stored, follow reordering, and check recomputes every weight")
    func frequencies() throws {
        let docs = Self.corpus(seed: 9, documents: 300)
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/corpus.jsonl", docs.map { "{\"id\": \(jsonString($0.id)), \"text\": \(jsonString($0.text))}" }
            .joined(separator: "\n") + "\n")
        for options in [BuildOptions(), BuildOptions(blockSize: 4, rangeSize: 8, reorder: .cluster)] {
            try SearchIndex.build(fromTextFile: dir + "/corpus.jsonl", options: options).write(to: dir + "/index")
            let report = SearchIndex.check(at: dir + "/index")
            #expect(report.isSound, "\(report.problems)")
            #expect(report.files.contains { $0.name.hasSuffix(".freqs") })
            let segment = try IndexDirectory.open(dir + "/index").segments[0].segment
            let counts = try #require(segment.frequencies)
            // Lengths and frequencies against the analyzer's own terms, document by document.
            for d in 0..<segment.documentCount {
                let id = segment.externalID(of: DocID(UInt32(d)))
                let terms = Analyzer.english.analyze(docs.first { $0.id == id }!.text)
                #expect(Int(counts.lengths[d]) == terms.count, "\(id)")
            }
            let sw = segment.termID(of: "w1x")!
            for i in segment.postings.range(of: sw) {
                let id = segment.externalID(of: DocID(segment.postings.docs[i]))
                let terms = Analyzer.english.analyze(docs.first { $0.id == id }!.text)
                #expect(Int(counts.frequencies[i]) == terms.filter { $0 == "w1x" }.count, "\(id)")
            }
        }

        // An index whose weights do not follow from its counts fails the check.
        var builder = IndexBuilder(storesFrequencies: true)
        let a = builder.intern("a")
        let b = builder.intern("b")
        try builder.add(id: "d1", termIDs: [a, b], weights: [0.3, 0.2], frequencies: [2, 1], length: 3, text: nil)
        try builder.add(id: "d2", termIDs: [a], weights: [0.25], frequencies: [1], length: 1, text: nil)
        let segment = builder.finish()
        let text = TextWeighting(model: "bm25", analyzer: Analyzer.english.settings, k1: 0.9, b: 0.4,
                                 documentsWithTerms: 2, totalTermCount: 4, averageLength: 2)
        try IndexDirectory.write(segment, settings: IndexSettings(text: text), to: dir + "/wrong")
        let report = SearchIndex.check(at: dir + "/wrong")
        #expect(report.problems.count == 1 && report.problems[0].contains("differs from BM25"), "\(report.problems)")
    }

    @Test("bad text input names the file, line and field")
    func badInput() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let cases: [(String, Int, String)] = [
            (#"{"_id": "1", "text": "ok"}"# + "\n" + #"{"_id": "2"}"#, 2, "field \"text\": missing"),
            (#"{"text": "no id"}"#, 1, "field \"_id\": missing"),
            (#"{"_id": "1", "text": 5}"#, 1, "field \"text\": must be a string"),
            (#"{"_id": "1", "text": "a"}"# + "\n" + #"{"_id": "1", "text": "b"}"#, 2, "duplicate id \"1\""),
            (#"{"_id": "1", "text": "a""#, 1, "malformed JSON"),
        ]
        for (content, line, what) in cases {
            writeFile(dir + "/bad.jsonl", content + "\n")
            do {
                _ = try SearchIndex.build(fromTextFile: dir + "/bad.jsonl")
                Issue.record("accepted \(content)")
            } catch let error as InputError {
                let message = String(describing: error)
                #expect(error.path.hasSuffix("bad.jsonl") && error.line == line && message.contains(what), "\(message)")
            }
        }
        writeFile(dir + "/bad.tsv", "q1 no tab here\n")
        #expect(throws: InputError.self) { try SearchIndex.build(fromTextFile: dir + "/bad.tsv") }
    }
}

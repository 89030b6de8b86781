import Sparrow
import SparrowTestSupport
import Testing

/// Model-based tests of live collections: seeded random sequences of add, upsert, delete, commit,
/// compact and close-and-reopen, checked after every step, for every algorithm and k ∈ {1, 10, 100},
/// against a brute-force scorer over a dictionary of the live documents.
struct LiveCollectionTests {
    /// The live documents in the order a fresh build would number them (ties rank by it only up to
    /// exact score ties, which the comparison allows).
    struct Model {
        var order: [String] = []
        var documents: [String: VectorRecord] = [:]

        mutating func upsert(_ r: VectorRecord) {
            if documents[r.id] == nil { order.append(r.id) }
            documents[r.id] = r
        }

        mutating func delete(_ id: String) {
            if documents.removeValue(forKey: id) != nil { order.removeAll { $0 == id } }
        }

        var live: [VectorRecord] { order.map { documents[$0]! } }
    }

    /// Segments of 100 documents or more get the lossless clustered layout, smaller ones not, so
    /// the clustered algorithm (exact on it) is checked across both kinds, deletions and merges.
    static let settings = IndexSettings(blockSize: 4, rangeSize: 8,
                                        clustered: ClusterSettings(postingsPerTerm: 0, summaryMass: 1, minDocuments: 100))

    /// The brute-force ranking of every live document with a positive score.
    static func naive(_ live: [VectorRecord]) -> (VectorRecord) -> [(id: String, score: Float)] {
        let scorer = NaiveScorer(live)
        return { scorer.search($0, k: live.count + 1) }
    }

    /// Checks every algorithm and k against the naive scorer over the model's live documents.
    static func check(_ index: SearchIndex, _ model: Model, queries: [VectorRecord], step: String,
                      scorer: (([VectorRecord]) -> (VectorRecord) -> [(id: String, score: Float)])) throws {
        #expect(index.documentCount == model.order.count, "\(step): \(index.documentCount) live documents, model has \(model.order.count)")
        let search = scorer(model.live)
        for query in queries {
            let all = search(query)
            for algorithm in Algorithm.allCases {
                for k in [1, 10, 100] {
                    let got = try index.search(query, k: k, algorithm: algorithm)
                    let expected = Array(all.prefix(k))
                    let problem = rankingDisagreement(got: got.map { ($0.id, $0.score) }, expected: expected,
                                                      trueScore: { id in all.first { $0.id == id }?.score ?? 0 }, tolerance: 0)
                    #expect(problem == nil, "\(step), \(algorithm), k \(k), query \(query.id): \(problem ?? "")")
                    if problem != nil { return }
                }
            }
        }
    }

    /// Runs `steps` random operations on a fresh collection.
    static func run(seed: UInt64, steps: Int, settings: IndexSettings, documentPool: [VectorRecord],
                    queries: [VectorRecord], prepare: (IndexWriter, VectorRecord) throws -> PreparedDocument,
                    scorer: ([VectorRecord]) -> (VectorRecord) -> [(id: String, score: Float)]) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var rng = SeededRandom(seed: seed)
        let options = WriterOptions(fsync: .none, flushDocuments: 60, mergeFactor: 3)
        var writer: IndexWriter! = try IndexWriter.open(at: dir + "/c", creating: settings, options: options)
        var model = Model()
        var version = 0
        func variant(_ r: VectorRecord) -> VectorRecord {
            // An upsert brings other content under the same id: the document `version` places on.
            version += 1
            let other = documentPool[(version * 7919 + r.id.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xffff) % documentPool.count]
            return VectorRecord(id: r.id, tokens: other.tokens, weights: other.weights, text: other.text)
        }
        for step in 0..<steps {
            let roll = Int.random(in: 0..<100, using: &rng)
            var name: String
            switch roll {
            case 0..<35:
                let fresh = documentPool.filter { model.documents[$0.id] == nil }
                let batch = Array(fresh.shuffled(using: &rng).prefix(Int.random(in: 1...25, using: &rng)))
                name = "add \(batch.count)"
                try writer.add(batch.map { try prepare(writer, $0) })
                for r in batch { model.upsert(r) }
            case 35..<55:
                let batch = (0..<Int.random(in: 1...15, using: &rng)).map { _ in documentPool.randomElement(using: &rng)! }
                var unique: [String: VectorRecord] = [:]
                for r in batch { unique[r.id] = variant(r) }
                let records = Array(unique.values).sorted { $0.id < $1.id }
                name = "upsert \(records.count)"
                let result = try writer.upsert(records.map { try prepare(writer, $0) })
                #expect(result.replaced == records.filter { model.documents[$0.id] != nil }.count)
                for r in records { model.upsert(r) }
            case 55..<75:
                var ids = Array(model.order.shuffled(using: &rng).prefix(Int.random(in: 1...12, using: &rng)))
                ids.append("missing-\(step)")
                name = "delete \(ids.count)"
                let deleted = try writer.delete(ids: ids)
                #expect(deleted == ids.count - 1, "\(name): \(deleted)")
                for id in ids { model.delete(id) }
            case 75..<85:
                name = "commit"
                try writer.commit()
            case 85..<90:
                name = "compact"
                try writer.compact()
                #expect(writer.snapshot.segmentCount <= 1 && writer.snapshot.deletedCount == 0)
            default:
                name = "close and reopen"
                if roll % 2 == 0 {
                    try writer.close()
                } else {
                    // Dropped without a commit, as by a crash; the log replays it. (A merge still
                    // running keeps the writer, and its lock, alive until it ends; a crash would
                    // end it, so wait for it here.)
                    writer.waitForMerges()
                }
                writer = nil
                writer = try IndexWriter.open(at: dir + "/c", options: options)
                #expect(writer.warnings.isEmpty)
            }
            try check(writer.snapshot, model, queries: queries, step: "step \(step) (\(name))", scorer: scorer)
        }
        try writer.close()
        // What is committed opens read-only, passes the check, and answers the same.
        let report = SearchIndex.check(at: dir + "/c")
        #expect(report.isSound, "\(report.problems)")
        try check(try SearchIndex.open(at: dir + "/c"), model, queries: queries, step: "reopened read-only", scorer: scorer)
    }

    @Test("vector collection: random writes equal the naive scorer after every step", arguments: [UInt64(1), 2, 3])
    func vectors(seed: UInt64) throws {
        let corpus = RandomCorpus(seed: seed, documentCount: 400, vocabularySize: 120, termsPerDocument: 1...12,
                                  queryCount: 8, termsPerQuery: 1...6, weights: seed == 2 ? .integers : .skewed)
        try Self.run(seed: seed, steps: 45, settings: Self.settings, documentPool: corpus.documents, queries: corpus.queries,
                     prepare: { w, r in w.prepare(r) }, scorer: Self.naive)
    }

    @Test("text collection: BM25 after random writes equals BM25 computed over the live documents", arguments: [UInt64(4), 5])
    func text(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let words = (0..<60).map { "w\($0)x" }
        let pool = (0..<300).map { i -> VectorRecord in
            let n = Int.random(in: 0...20, using: &rng)
            let text = (0..<n).map { _ in { let u = Double.random(in: 0..<1, using: &rng); return words[Int(u * u * 60)] }() }.joined(separator: " ")
            return VectorRecord(id: "t\(i)", tokens: [], weights: [], text: text)
        }
        let queries = (0..<8).map { i -> VectorRecord in
            let text = (0..<Int.random(in: 1...4, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            let (terms, counts) = Analyzer.english.termCounts(text)
            return VectorRecord(id: "q\(i)", tokens: terms, weights: counts.map(Float.init), text: text)
        }
        let settings = IndexSettings(blockSize: 4, rangeSize: 8, text: TextWeighting(analyzer: .english, bm25: BM25()))
        try Self.run(seed: seed, steps: 35, settings: settings, documentPool: pool, queries: queries,
                     prepare: { w, r in try w.prepare(id: r.id, text: r.text!) }, scorer: { live in
                        let weighted = Self.bm25Vectors(live)
                        let naive = NaiveScorer(weighted)
                        return { naive.search($0, k: live.count + 1) }
                     })
    }

    /// BM25 document vectors of `documents` computed directly from the formula (Lucene's, with
    /// SmallFloat lengths) over exactly these documents: what a fresh build stores.
    static func bm25Vectors(_ documents: [VectorRecord]) -> [VectorRecord] {
        let analysed = documents.map { Analyzer.english.termCounts($0.text ?? "") }
        var df: [String: Int] = [:]
        var withTerms = 0
        var total = 0
        for (terms, counts) in analysed {
            for t in terms { df[t, default: 0] += 1 }
            let length = counts.reduce(0, +)
            if length > 0 { withTerms += 1; total += length }
        }
        let bm25 = BM25()
        let norms = bm25.inverseNorms(averageLength: withTerms > 0 ? Float(Double(total) / Double(withTerms)) : 1)
        return zip(documents, analysed).map { doc, a in
            let norm = norms[Int(SmallFloat.intToByte4(a.counts.reduce(0, +)))]
            let weights = zip(a.terms, a.counts).map { t, c in
                BM25.weight(idf: BM25.idf(documentFrequency: df[t]!, documentCount: withTerms), frequency: c, inverseNorm: norm)
            }
            return VectorRecord(id: doc.id, tokens: a.terms, weights: weights, text: doc.text)
        }
    }

    @Test("deletes and upserts made while a background merge runs survive its installation")
    func writesDuringMerge() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let corpus = RandomCorpus(seed: 21, documentCount: 6000, vocabularySize: 200, termsPerDocument: 5...30,
                                  queryCount: 5, termsPerQuery: 2...6, weights: .flat)
        var model = Model()
        let writer = try IndexWriter.open(at: dir + "/c", creating: Self.settings,
                                          options: WriterOptions(fsync: .none, mergeFactor: 2))
        for round in 0..<10 {
            // Two commits of 300 documents: the second starts a background merge of both.
            for part in 0..<2 {
                let batch = Array(corpus.documents[(round * 600 + part * 300)..<(round * 600 + part * 300 + 300)])
                try writer.add(batch.map(writer.prepare))
                for r in batch { model.upsert(r) }
                try writer.commit()
            }
            // Straight away, while the merge may be running: delete from and replace in its sources.
            let victims = (0..<20).map { "doc\(round * 600 + $0 * 29)" }
            try writer.delete(ids: victims)
            for id in victims { model.delete(id) }
            let replaced = corpus.documents[round * 600 + 7]
            let replacement = VectorRecord(id: replaced.id, tokens: corpus.documents[5999 - round].tokens,
                                           weights: corpus.documents[5999 - round].weights)
            try writer.upsert([writer.prepare(replacement)])
            model.upsert(replacement)
            writer.waitForMerges()
            try Self.check(writer.snapshot, model, queries: corpus.queries, step: "round \(round)", scorer: Self.naive)
        }
        #expect(writer.mergeWarnings.isEmpty)
        try writer.close()
        #expect(SearchIndex.check(at: dir + "/c").isSound)
        try Self.check(try SearchIndex.open(at: dir + "/c"), model, queries: corpus.queries, step: "reopened", scorer: Self.naive)
    }

    @Test("a build written over a live collection replaces it whole, log included, and waits for no writer")
    func rebuildOverLiveCollection() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/c"
        var writer: IndexWriter! = try IndexWriter.open(at: path, creating: IndexSettings())
        try writer.upsert([writer.prepare(VectorRecord(id: "a", tokens: ["x"], weights: [1]))])   // only in the log
        let rebuilt = try SearchIndex.build(records: [VectorRecord(id: "b", tokens: ["x"], weights: [2])])
        #expect(throws: IndexError.self) { try rebuilt.write(to: path) }   // the writer holds the directory
        writer = nil
        try rebuilt.write(to: path)
        let reopened = try IndexWriter.open(at: path)
        #expect(reopened.snapshot.documentCount == 1)
        #expect(reopened.snapshot.document(id: "a") == nil && reopened.snapshot.document(id: "b") != nil)
        try reopened.close()
        // Missing parent directories are created, as mkdir -p does.
        try rebuilt.write(to: dir + "/deep/er/index")
        let deep = try IndexWriter.open(at: dir + "/new/parent/collection", creating: IndexSettings())
        try deep.close()
        #expect(SearchIndex.holdsIndex(at: dir + "/deep/er/index") && SearchIndex.holdsIndex(at: dir + "/new/parent/collection"))
    }

    @Test("a rejected batch applies nothing; a second writer is refused; a torn log tail is cut and reported")
    func faults() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/c"
        var writer: IndexWriter! = try IndexWriter.open(at: path, creating: IndexSettings())
        let good = VectorRecord(id: "a", tokens: ["x", "y"], weights: [1, 2])
        try writer.add([writer.prepare(good)])
        // A bad document in the middle of a batch: nothing of the batch is applied.
        let batch = [VectorRecord(id: "b", tokens: ["x"], weights: [1]),
                     VectorRecord(id: "c", tokens: ["x", "z"], weights: [1, -2]),
                     VectorRecord(id: "d", tokens: ["x"], weights: [3])]
        #expect(throws: InputError.self) { try writer.upsert(batch.map(writer.prepare), source: "batch.jsonl", lines: [4, 5, 6]) }
        do {
            try writer.upsert(batch.map(writer.prepare), source: "batch.jsonl", lines: [4, 5, 6])
        } catch let error as InputError {
            #expect("\(error)".contains("batch.jsonl:5") && "\(error)".contains("vector.z"), "\(error)")
        }
        #expect(throws: InputError.self) { try writer.add([writer.prepare(good)]) }   // already there
        #expect(throws: InputError.self) { try writer.add([writer.prepare(VectorRecord(id: "has space", tokens: ["x"], weights: [1]))]) }
        #expect(writer.snapshot.documentCount == 1)
        #expect(try writer.snapshot.search(VectorRecord(id: "q", tokens: ["x"], weights: [1]), k: 10).map(\.id) == ["a"])
        // Negative and NaN query weights are refused, not trapped on.
        #expect(throws: IndexError.self) { try writer.snapshot.search(VectorRecord(id: "q", tokens: ["x"], weights: [-1]), k: 10) }
        #expect(throws: IndexError.self) { try writer.snapshot.search(VectorRecord(id: "q", tokens: ["x"], weights: [.nan]), k: 10) }

        // One writer at a time.
        #expect(throws: IndexError.self) { try IndexWriter.open(at: path) }

        // Two acknowledged writes in the log, then a torn third record.
        try writer.upsert([writer.prepare(VectorRecord(id: "e", tokens: ["y"], weights: [5]))])
        _ = try writer.delete(ids: ["a"])
        let log = path + "/wal.log"
        let before = readFileBytes(log)
        // A crash in the middle of appending a third record leaves half of it.
        var torn = before
        torn += [40, 0, 0, 0, 1, 2, 3, 4, 9, 9]
        writeFile(log, torn)
        writer = nil   // dropped without a commit: its lock goes as a dead process's would
        let reopened = try IndexWriter.open(at: path)
        #expect(reopened.warnings.count == 1 && reopened.warnings[0].contains("byte offset \(before.count)"), "\(reopened.warnings)")
        #expect(readFileBytes(log) == before)
        let ids = try reopened.snapshot.search(VectorRecord(id: "q", tokens: ["x", "y"], weights: [1, 1]), k: 10).map(\.id)
        #expect(ids == ["e"])
        try reopened.close()
        #expect(SearchIndex.check(at: path).isSound)
        // A closed writer lets go of the directory even while something still refers to it.
        let third = try IndexWriter.open(at: path)
        #expect(third.snapshot.documentCount == 1)
        try third.close()
        _ = reopened
    }
}

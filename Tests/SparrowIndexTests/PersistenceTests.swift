@testable import Sparrow
import SparrowTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct PersistenceTests {
    static func corpus(_ seed: UInt64 = 11) -> RandomCorpus {
        RandomCorpus(seed: seed, documentCount: 800, vocabularySize: 400, termsPerDocument: 0...40,
                     queryCount: 40, termsPerQuery: 1...30, weights: .skewed)
    }

    /// The index at `path` answers every query of `corpus` as a fresh build of its documents does.
    static func expectOpensAs(_ path: String, _ corpus: RandomCorpus) throws {
        let opened = try SearchIndex.open(at: path)
        let fresh = try SearchIndex.build(records: corpus.documents)
        for q in corpus.queries { #expect(try opened.search(q, k: 10) == fresh.search(q, k: 10)) }
    }

    static let layouts = [
        BuildOptions(),
        BuildOptions(blockSize: 128, rangeSize: 16),
        BuildOptions(blockSize: 3, rangeSize: 5, reorder: .cluster),
        BuildOptions(rangeSize: 32, clustered: ClusterSettings(postingsPerTerm: 20, minDocuments: 0)),
        BuildOptions(clustered: ClusterSettings(postingsPerTerm: 20, minDocuments: 0, recordsByBlock: false)),
    ]

    @Test("build -> write -> open -> search equals the in-memory build", arguments: Algorithm.allCases, layouts)
    func roundTrip(algorithm: Algorithm, layout: BuildOptions) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus()
        let memory = try SearchIndex.build(records: c.documents, options: layout)
        try memory.write(to: dir + "/index")
        let disk = try SearchIndex.open(at: dir + "/index")
        #expect(disk.documentCount == memory.documentCount)
        #expect(disk.termCount == memory.termCount)
        #expect(disk.postingCount == memory.postingCount)
        for q in c.queries {
            for k in [1, 10, 1000] {
                if memory.supports(algorithm) {
                    #expect(try disk.search(q, k: k, algorithm: algorithm) == memory.search(q, k: k, algorithm: algorithm))
                } else {
                    let error = #expect(throws: IndexError.self) { try disk.search(q, k: k, algorithm: algorithm) }
                    #expect(error?.code == .invalidArgument && error?.description.contains("--range-size") == true)
                }
            }
        }
        for d in [0, 3, 799] {
            let hits = try disk.search(c.documents[d], k: 1000, algorithm: .exhaustiveTAAT)
            if let hit = hits.first(where: { $0.id == c.documents[d].id }) {
                #expect(disk.text(of: hit.doc) == c.documents[d].text)
            }
        }
        let meta = try SearchIndex.meta(at: dir + "/index")
        #expect(meta.blockSize == layout.blockSize && meta.rangeSize == layout.rangeSize)
        // meta.json is version 4; one segment without deletions stays readable by format-2 readers
        // (a format-1 reader refuses version-2 segment files), unless it has the clustered layout,
        // whose records in block order need a reader of version 4 (in document order, 3).
        #expect(meta.formatVersion == 4)
        #expect(meta.minReaderVersion == (layout.clustered.map { $0.recordsByBlock ? 4 : 3 } ?? 2))
        #expect(meta.clustered == layout.clustered)
        #expect(meta.reorder == layout.reorder.rawValue)
        #expect(SearchIndex.check(at: dir + "/index").isSound)
    }

    @Test("an index of format version 1 (no block-max table, no range index) still opens and answers")
    func formatVersion1() throws {
        let v1 = repositoryRoot + "/Tests/Fixtures/format-v1"
        let old = try SearchIndex.open(at: v1)
        let meta = try SearchIndex.meta(at: v1)
        #expect(meta.formatVersion == 1 && meta.blockSize == nil && meta.rangeSize == nil)
        #expect(!old.supports(.bmp) && old.defaultAlgorithm == .exhaustiveTAAT)
        let fresh = try SearchIndex.build(fromVectorFile: repositoryRoot + "/Examples/toy/documents.jsonl")
        #expect(old.documentCount == fresh.documentCount && old.postingCount == fresh.postingCount)
        for (query, _) in try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl") {
            for algorithm in Algorithm.allCases where old.supports(algorithm) {
                #expect(try old.search(query, k: 5, algorithm: algorithm) == fresh.search(query, k: 5, algorithm: algorithm))
            }
        }
        #expect(SearchIndex.check(at: v1).isSound)
    }

    @Test("indexes of format version 2 (the previous release: one segment, no id order) still open, answer and take writes")
    func formatVersion2() throws {
        let toy = repositoryRoot + "/Examples/toy/documents.jsonl"
        let vectors = repositoryRoot + "/Tests/Fixtures/format-v2"
        let text = repositoryRoot + "/Tests/Fixtures/format-v2-text"
        #expect(try SearchIndex.meta(at: vectors).formatVersion == 2 && SearchIndex.meta(at: text).formatVersion == 2)
        let pairs: [(String, SearchIndex, [(record: VectorRecord, line: Int)])] = [
            (vectors, try SearchIndex.build(fromVectorFile: toy, options: BuildOptions(rangeSize: 8, reorder: .cluster)),
             try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl")),
            (text, try SearchIndex.build(fromTextFile: toy),
             try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl").map { q in
                 (try SearchIndex.build(fromTextFile: toy).queryVector(text: q.record.text!, id: q.record.id), q.line)
             }),
        ]
        for (path, fresh, queries) in pairs {
            let old = try SearchIndex.open(at: path)
            #expect(old.documentCount == fresh.documentCount && old.postingCount == fresh.postingCount)
            for (query, _) in queries {
                for algorithm in Algorithm.allCases where fresh.supports(algorithm) {
                    #expect(old.supports(algorithm))
                    #expect(try old.search(query, k: 5, algorithm: algorithm) == fresh.search(query, k: 5, algorithm: algorithm),
                            "\(path) \(query.id) \(algorithm)")
                }
            }
            #expect(old.document(id: "7") != nil && old.document(id: "no-such-id") == nil)   // id order computed
            #expect(SearchIndex.check(at: path).isSound)

            // A live writer takes the old index over (in a copy: the fixture stays as it is).
            let dir = makeTemporaryDirectory()
            defer { removeTree(dir) }
            copyFiles(from: path, to: dir)
            let writer = try IndexWriter.open(at: dir)
            #expect(try writer.delete(ids: ["7"]) == 1)
            try writer.close()
            let after = try SearchIndex.open(at: dir)
            #expect(after.documentCount == fresh.documentCount - 1 && after.document(id: "7") == nil)
            #expect(SearchIndex.check(at: dir).isSound)
        }
    }

    @Test("clustered indexes earlier releases wrote (no compact forward index; no summaries by term; summaries by term and by block) open, answer and pass check",
          arguments: ["format-v3-clustered", "format-v3-clustered-compact", "format-v3-clustered-byterm"])
    func clusteredFromThePreviousRelease(fixture: String) throws {
        let toy = repositoryRoot + "/Examples/toy/documents.jsonl"
        let documents = try readVectorRecords(fromFile: toy).map(\.record)
        let queries = try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl").map(\.record)
        let path = repositoryRoot + "/Tests/Fixtures/" + fixture
        let old = try SearchIndex.open(at: path)
        // The first two decode without `summariesByTerm`, and their layout has none; the third
        // stores its summaries by block as well as by term, with 4-byte entries.
        let byTerm = fixture == "format-v3-clustered-byterm"
        #expect(try SearchIndex.meta(at: path).clustered?.summariesByTerm == byTerm)
        let layout = try #require(old.segments.views.first?.segment.clusters)
        #expect(layout.storage.summariesByBlock && layout.storage.byTermEntryWidth == (byTerm ? 4 : nil) && layout.storage.forwardTerms)
        #expect((layout.compact != nil) == (fixture != "format-v3-clustered"))
        let fresh = try SearchIndex.build(records: documents,
                                          options: BuildOptions(clustered: ClusterSettings(minDocuments: 0, summariesByTerm: byTerm)))
        if byTerm {
            let storage = try #require(fresh.segments.views.first?.segment.clusters?.storage)
            #expect(!storage.summariesByBlock && storage.byTermEntryWidth == 2 && !storage.forwardTerms)
        }
        let naive = NaiveScorer(documents)
        for query in queries {
            // Exact knobs: every algorithm, the clustered one included, answers as a fresh build
            // (but those that need a range index, which neither was built with).
            for algorithm in Algorithm.allCases where algorithm != .bmp && algorithm != .rangeTAAT {
                let got = try old.search(query, k: 5, algorithm: algorithm).map { "\($0.rank) \($0.id) \($0.score)" }
                let want = try fresh.search(query, k: 5, algorithm: algorithm).map { "\($0.rank) \($0.id) \($0.score)" }
                #expect(got == want, "\(query.id) \(algorithm)")
            }
            // Approximate knobs, which the old file serves from its float forward index alone:
            // the hits carry their exact scores.
            for hit in try old.search(query, k: 5, algorithm: .clustered, approximation: Approximation(queryCut: 2, heapFactor: 1)) {
                #expect(hit.score == naive.score(of: hit.id, query), "\(query.id) \(hit.id)")
            }
        }
        #expect(SearchIndex.check(at: path).isSound, "\(SearchIndex.check(at: path).problems)")
    }

    @Test("a clustered index the release before k-means rounds wrote opens, answers, passes check, and is what 0 rounds build")
    func clusteredBeforeKMeansRounds() throws {
        let path = repositoryRoot + "/Tests/Fixtures/format-v3-clustered-seismic"
        // Its meta.json has no `kMeansRounds`, which decodes as 0: Seismic's blocks.
        let settings = try #require(try SearchIndex.meta(at: path).clustered)
        #expect(settings.kMeansRounds == 0 && settings.summariesByTerm)
        let old = try SearchIndex.open(at: path)
        let layout = try #require(old.segments.views.first?.segment.clusters)
        #expect(!layout.storage.summariesByBlock && layout.storage.byTermEntryWidth == 2 && !layout.storage.forwardTerms)
        #expect(SearchIndex.check(at: path).isSound, "\(SearchIndex.check(at: path).problems)")
        // This build, asked for no rounds, writes the same files (the spilling merge path and the
        // in-memory one alike), and the default's rounds make other blocks.
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let expected = try Self.expectRebuilt(path, settings: settings, in: dir)
        var rounds = settings
        rounds.kMeansRounds = ClusterSettings().kMeansRounds
        try SearchIndex.build(fromVectorFile: Self.toy, options: BuildOptions(clustered: rounds)).write(to: dir + "/rounds")
        #expect(segmentFiles(dir + "/rounds")[".clusters"] != expected[".clusters"])
        try Self.expectSameClusteredAnswers(old, SearchIndex.open(at: dir + "/memory"),
                                            [Approximation.exact, Approximation(queryCut: 2, heapFactor: 1)])
    }

    static let toy = repositoryRoot + "/Examples/toy/documents.jsonl"

    /// The segment files of the clustered fixture at `path`, once this build has been seen to write
    /// them byte for byte from the toy documents with `settings`, in memory (into `dir`/memory)
    /// and through the spilling merge (`dir`/parts).
    static func expectRebuilt(_ path: String, settings: ClusterSettings, in dir: String) throws -> [String: [UInt8]] {
        try SearchIndex.build(fromVectorFile: toy, options: BuildOptions(clustered: settings)).write(to: dir + "/memory")
        try SearchIndex.build(fromVectorFile: toy, to: dir + "/parts", options: BuildOptions(clustered: settings), memory: 64 << 10)
        let expected = segmentFiles(path)
        #expect(expected.count == 4)
        #expect(segmentFiles(dir + "/memory") == expected)
        #expect(segmentFiles(dir + "/parts") == expected)
        return expected
    }

    /// Expects `old` and `fresh` to give the toy queries the same top 5 through the clustered
    /// layout with each of `approximations`.
    static func expectSameClusteredAnswers(_ old: SearchIndex, _ fresh: SearchIndex, _ approximations: [Approximation]) throws {
        for query in try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl").map(\.record) {
            for approximation in approximations {
                #expect(try old.search(query, k: 5, algorithm: .clustered, approximation: approximation)
                        == fresh.search(query, k: 5, algorithm: .clustered, approximation: approximation), "\(query.id)")
            }
        }
    }

    @Test("a clustered index from the release before the postings rule opens as rule 1, passes check, answers as this build's, and is rewritten byte for byte")
    func clusteredBeforePostingsRule() throws {
        let path = repositoryRoot + "/Tests/Fixtures/format-v3-clustered-kmeans"
        // Its meta.json records k-means rounds but no `postingsRule`, which decodes as rule 1.
        #expect(!String(decoding: readFileBytes(path + "/meta.json"), as: UTF8.self).contains("postingsRule"))
        let settings = try #require(try SearchIndex.meta(at: path).clustered)
        #expect(settings.postingsRule == 1 && settings.postingsPerTerm == nil && settings.kMeansRounds == ClusterSettings().kMeansRounds)
        let old = try SearchIndex.open(at: path)
        #expect(old.clusteredSegmentCount == 1)
        #expect(SearchIndex.check(at: path).isSound, "\(SearchIndex.check(at: path).problems)")
        // This build writes the same files with these settings (in memory and through the spilling
        // merge), and with the current rule too: the rules keep the same postings below 1M documents.
        // (Its records are in document order, as settings recorded before records by block decode.)
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var current = settings
        current.postingsRule = ClusterSettings.currentPostingsRule
        #expect(current == ClusterSettings(minDocuments: 0, recordsByBlock: false))
        let expected = try Self.expectRebuilt(path, settings: settings, in: dir)
        try SearchIndex.build(fromVectorFile: Self.toy, options: BuildOptions(clustered: current)).write(to: dir + "/current")
        #expect(segmentFiles(dir + "/current") == expected)
        let preset = try #require(Approximation.preset(recall: 0.95)).approximation
        try Self.expectSameClusteredAnswers(old, SearchIndex.open(at: dir + "/current"),
                                            [Approximation.exact, Approximation(queryCut: 2, heapFactor: 1), preset])
        // A writer opened on a copy relays it out with the current defaults: the rule is recorded,
        // and the files stay the same bytes.
        #expect(mkdir(dir + "/copy", 0o755) == 0)
        copyFiles(from: path, to: dir + "/copy")
        let writer = try IndexWriter.open(at: dir + "/copy")
        try writer.changeLayout(to: current)
        try writer.close()
        #expect(try SearchIndex.meta(at: dir + "/copy").clustered?.postingsRule == ClusterSettings.currentPostingsRule)
        #expect(segmentFiles(dir + "/copy") == expected)
        #expect(SearchIndex.check(at: dir + "/copy").isSound)
        // Relaid out with today's defaults, its records go in block order: only the clusters file
        // changes, the answers do not, and the collection then needs a reader of version 4.
        let again = try IndexWriter.open(at: dir + "/copy")
        try again.changeLayout(to: ClusterSettings(minDocuments: 0))
        try again.close()
        let relaid = segmentFiles(dir + "/copy")
        #expect(relaid.filter { $0.key != ".clusters" } == expected.filter { $0.key != ".clusters" })
        #expect(relaid[".clusters"] != expected[".clusters"])
        #expect(try SearchIndex.meta(at: dir + "/copy").minReaderVersion == 4)
        #expect(SearchIndex.check(at: dir + "/copy").isSound)
        try Self.expectSameClusteredAnswers(old, SearchIndex.open(at: dir + "/copy"),
                                            [Approximation.exact, Approximation(queryCut: 2, heapFactor: 1), preset])
    }

    @Test("a clustered index with records in block order, as the release that introduced them wrote it (format 4), opens, passes check, answers as this build's, and is rewritten byte for byte")
    func clusteredRecordsByBlock() throws {
        let path = repositoryRoot + "/Tests/Fixtures/format-v4-clustered"
        let meta = try SearchIndex.meta(at: path)
        #expect(meta.formatVersion == 4 && meta.minReaderVersion == 4)
        let settings = try #require(meta.clustered)
        #expect(settings == ClusterSettings(minDocuments: 0) && settings.recordsByBlock)
        let old = try SearchIndex.open(at: path)
        #expect(old.clusteredSegmentCount == 1)
        #expect(SearchIndex.check(at: path).isSound, "\(SearchIndex.check(at: path).problems)")
        // This build writes the same files with today's defaults, in memory and through the
        // spilling merge, and answers the toy queries the same through every knob.
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        _ = try Self.expectRebuilt(path, settings: settings, in: dir)
        let preset = try #require(Approximation.preset(recall: 0.95)).approximation
        try Self.expectSameClusteredAnswers(old, SearchIndex.open(at: dir + "/memory"),
                                            [Approximation.exact, Approximation(queryCut: 2, heapFactor: 1), preset])
    }

    @Test("indexes the previous release wrote (format 3: one segment; two segments with deletions) open and answer, and this build writes the same bytes")
    func formatVersion3() throws {
        let (built, live, fresh, queries, documents) = try Self.toyFixtures(version: 3)
        let options = BuildOptions(rangeSize: 8)
        let expected = try SearchIndex.build(records: documents, options: options)
        for (path, reference) in [(built, fresh), (live, expected)] {
            let old = try SearchIndex.open(at: path)
            try Self.expectSameAnswers(old, reference, queries: queries, path)
            #expect(SearchIndex.check(at: path).isSound)
        }
        let opened = try SearchIndex.open(at: live)
        #expect(opened.segmentCount == 2 && opened.deletedCount > 0 && opened.document(id: "3") == nil)

        // A writer takes the live index over and compacts it (in a copy: the fixture stays as it is).
        let copy = makeTemporaryDirectory()
        defer { removeTree(copy) }
        copyFiles(from: live, to: copy)
        let writer = try IndexWriter.open(at: copy)
        try writer.compact()
        try writer.close()
        let compacted = try SearchIndex.open(at: copy)
        #expect(compacted.segmentCount == 1 && compacted.deletedCount == 0)
        for query in queries { #expect(try compacted.search(query, k: 5) == expected.search(query, k: 5)) }
        #expect(SearchIndex.check(at: copy).isSound)
    }

    @Test("indexes the previous release wrote (format 4: one segment; a live collection with deletions and an unreplayed log) open and answer, and this build writes the same bytes")
    func formatVersion4() throws {
        // The live one's commit holds what format-v3-live holds; its log then holds two
        // acknowledged operations no commit has: queries 4 and 5 upserted, id 9 deleted. A
        // read-only open sees the commit; a writer replays the log.
        let (built, live, fresh, queries, committed) = try Self.toyFixtures(version: 4)
        let options = BuildOptions(rangeSize: 8)
        let logged = Self.applying(upserts: queries[3..<5], deletes: ["9"], to: committed)
        let expectedCommitted = try SearchIndex.build(records: committed, options: options)
        let expected = try SearchIndex.build(records: logged, options: options)
        for (path, reference) in [(built, fresh), (live, expectedCommitted)] {
            try Self.expectSameAnswers(try SearchIndex.open(at: path), reference, queries: queries, path)
            #expect(SearchIndex.check(at: path).isSound)
        }

        // A writer takes the live collection over (in a copy: the fixture stays as it is),
        // replays the log, then merges everything into one segment.
        let copy = makeTemporaryDirectory()
        defer { removeTree(copy) }
        copyFiles(from: live, to: copy)
        let writer = try IndexWriter.open(at: copy)
        #expect(writer.warnings.isEmpty)
        try Self.expectSameAnswers(writer.snapshot, expected, queries: queries, copy + " (log replayed)")
        try writer.compact()
        try writer.close()
        let compacted = try SearchIndex.open(at: copy)
        #expect(compacted.segmentCount == 1 && compacted.deletedCount == 0)
        try Self.expectSameAnswers(compacted, expected, queries: queries, copy + " (compacted)")
        #expect(SearchIndex.check(at: copy).isSound)
    }

    /// The toy fixtures of format `version` (`format-vN`, one segment, and `format-vN-live`),
    /// after checking their version and that this build writes the one-segment index's files byte
    /// for byte. Returns their paths, this build's index of the toy (range size 8), the toy's
    /// queries, and the documents the live one's commit holds: the toy's, then the first three
    /// queries upserted as documents (one replaces document 1048585's id if the toy has it), then
    /// ids 3 and 7 deleted.
    static func toyFixtures(version: Int) throws
        -> (built: String, live: String, fresh: SearchIndex, queries: [VectorRecord], committed: [VectorRecord]) {
        let toy = repositoryRoot + "/Examples/toy/documents.jsonl"
        let queries = try readVectorRecords(fromFile: repositoryRoot + "/Examples/toy/queries.jsonl").map(\.record)
        let built = repositoryRoot + "/Tests/Fixtures/format-v\(version)"
        let live = built + "-live"
        #expect(try SearchIndex.meta(at: built).formatVersion == version && SearchIndex.meta(at: live).formatVersion == version)
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let fresh = try SearchIndex.build(fromVectorFile: toy, options: BuildOptions(rangeSize: 8))
        try fresh.write(to: dir + "/rewritten")
        #expect(segmentFiles(built).count == 4 && segmentFiles(dir + "/rewritten") == segmentFiles(built))
        let committed = applying(upserts: queries.prefix(3), deletes: ["3", "7"],
                                 to: try readVectorRecords(fromFile: toy).map(\.record))
        return (built, live, fresh, queries, committed)
    }

    /// `documents` after upserting `upserts` (a document with an id already there is replaced,
    /// and goes last) and deleting the ids `deletes`, in the order a fresh build numbers them.
    static func applying(upserts: some Sequence<VectorRecord>, deletes: Set<String>, to documents: [VectorRecord]) -> [VectorRecord] {
        var documents = documents
        for q in upserts {
            if let i = documents.firstIndex(where: { $0.id == q.id }) { documents.remove(at: i) }
            documents.append(q)
        }
        documents.removeAll { deletes.contains($0.id) }
        return documents
    }

    /// `index` holds as many documents as `reference` and answers every query with every algorithm
    /// as it does: ranks, ids and scores (a hit's `doc` numbers documents across the snapshot's
    /// segments, so it is left out).
    static func expectSameAnswers(_ index: SearchIndex, _ reference: SearchIndex, queries: [VectorRecord],
                                  _ label: String) throws {
        func answer(_ index: SearchIndex, _ query: VectorRecord, _ algorithm: Algorithm) throws -> [String] {
            try index.search(query, k: 5, algorithm: algorithm).map { "\($0.rank) \($0.id) \($0.score)" }
        }
        #expect(index.documentCount == reference.documentCount, "\(label)")
        for query in queries {
            for algorithm in Algorithm.allCases {
                #expect(try answer(index, query, algorithm) == answer(reference, query, algorithm), "\(label) \(query.id) \(algorithm)")
            }
        }
    }

    @Test("an index built from a file equals one built from the same records")
    func buildFromFile() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus(12)
        writeGzip(dir + "/docs.jsonl.gz", jsonLines(c.documents))
        let fromFile = try SearchIndex.build(fromVectorFile: dir + "/docs.jsonl.gz")
        let fromRecords = try SearchIndex.build(records: c.documents)
        for q in c.queries { #expect(try fromFile.search(q, k: 20) == fromRecords.search(q, k: 20)) }
    }

    @Test("replacing an index leaves only the new segment's files")
    func replace() throws {
        let dir = makeTemporaryDirectory() + "/index"
        defer { removeTree(dir) }
        let a = Self.corpus(1), b = Self.corpus(2)
        try SearchIndex.build(records: a.documents).write(to: dir)
        try SearchIndex.build(records: b.documents).write(to: dir)
        let files = listDirectory(dir)
        #expect(files.count == 4, "\(files)")   // meta.json and the three files of one segment
        try Self.expectOpensAs(dir, b)
    }

    @Test("a failed build leaves the existing index untouched, whatever the bad input")
    func failedBuildKeepsIndex() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus(3)
        try SearchIndex.build(records: c.documents).write(to: dir + "/index")
        let before = listDirectory(dir + "/index").map { readFileBytes(dir + "/index/" + $0) }
        let good = jsonLines(Array(c.documents.prefix(5)))
        let bad: [(String, Int, String)] = [
            (good + #"{"id": "x", "vector": {"a": -1}}"# + "\n", 6, "negative"),
            (good + #"{"id": "doc2", "vector": {"a": 1}}"# + "\n", 6, "duplicate id \"doc2\" (first used on line 3)"),
            (good + #"{"id": "x", "vector": {"a": 1}"# + "\n", 6, "malformed JSON"),
            (good + #"{"id": "x", "vector": {"a": NaN}}"# + "\n", 6, "NaN"),
            (good + #"{"vector": {"a": 1}}"# + "\n", 6, "missing"),
        ]
        for (text, line, fragment) in bad {
            writeFile(dir + "/bad.jsonl", text)
            let error = #expect(throws: InputError.self) {
                try SearchIndex.build(fromVectorFile: dir + "/bad.jsonl").write(to: dir + "/index")
            }
            #expect(error?.line == line, "\(error?.description ?? "")")
            #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
            #expect(error?.description.hasPrefix(dir + "/bad.jsonl:\(line): ") == true)
        }
        let after = listDirectory(dir + "/index").map { readFileBytes(dir + "/index/" + $0) }
        #expect(before == after)
        let opened = try SearchIndex.open(at: dir + "/index")
        #expect(opened.documentCount == c.documents.count)
    }

    @Test("an interrupted build (segment files written, meta.json not replaced) leaves the old index")
    func interruptedBuild() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus(4)
        try SearchIndex.build(records: c.documents).write(to: dir + "/index")
        // Simulate a crash after writing new segment files: copy another build's files in
        // under a different segment name without touching meta.json.
        try SearchIndex.build(records: Self.corpus(5).documents).write(to: dir + "/other")
        for f in listDirectory(dir + "/other") where f.hasPrefix("seg-") {
            writeFile(dir + "/index/seg-deadbeef." + f.split(separator: ".").last!, readFileBytes(dir + "/other/" + f))
        }
        try Self.expectOpensAs(dir + "/index", c)
        // The next successful build clears the abandoned files.
        try SearchIndex.build(records: c.documents).write(to: dir + "/index")
        #expect(!listDirectory(dir + "/index").contains { $0.hasPrefix("seg-deadbeef") })
        // A directory whose first build never committed does not open.
        removeTree(dir + "/other")
        try SearchIndex.build(records: c.documents).write(to: dir + "/other")
        unlink(dir + "/other/meta.json")
        let error = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/other") }
        #expect(error?.code == .notAnIndex)
    }

    @Test func refusesToWriteIntoAForeignDirectory() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/precious.txt", "keep me")
        let error = #expect(throws: IndexError.self) {
            try SearchIndex.build(records: Self.corpus().documents).write(to: dir)
        }
        #expect(error?.code == .notAnIndex)
        #expect(listDirectory(dir) == ["precious.txt"])
    }
}

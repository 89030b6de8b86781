import Foundation
@testable import SparrowIndex
@testable import Sparrow
import SparrowQuery
import SparrowTestSupport
import Testing

/// The clustered layout and its search. (Its exactness with lossless settings is checked with
/// every other algorithm in DifferentialTests, LiveCollectionTests and RealDataTests.)
struct ClusteredTests {
    /// A skewed corpus large enough that lists have many blocks.
    static func corpus(seed: UInt64) -> RandomCorpus {
        RandomCorpus(seed: seed, documentCount: 3000, vocabularySize: 400, termsPerDocument: 5...50,
                     queryCount: 60, termsPerQuery: 3...25, weights: .skewed)
    }

    /// Mean recall@k of `got` against `want`, query by query.
    static func recall(_ got: [[SearchHit]], _ want: [[SearchHit]]) -> Double {
        var sum = 0.0
        for (g, w) in zip(got, want) {
            let ids = Set(w.map(\.id))
            sum += ids.isEmpty ? 1 : Double(g.filter { ids.contains($0.id) }.count) / Double(ids.count)
        }
        return sum / Double(want.count)
    }

    @Test("each recall preset holds its floor on seeded random corpora", arguments: [UInt64(1), 2, 3])
    func presetsHoldOnRandomCorpora(seed: UInt64) throws {
        let c = Self.corpus(seed: seed)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let exact = try c.queries.map { try index.search($0, k: 10, algorithm: .exhaustiveTAAT) }
        var previous = 0.0
        for floor in Approximation.presetRecalls {
            let got = try c.queries.map { try index.search($0.query, k: 10, recall: floor) }
            let r = Self.recall(got, exact)
            #expect(r >= floor, "seed \(seed): preset \(floor) gave recall@10 \(r)")
            #expect(r >= previous - 0.02, "a higher preset should not lose recall")
            previous = r
        }
    }

    /// Whether every summary's terms are strictly increasing (as ``ClusteredIndex`` documents).
    static func summariesIncrease(_ layout: ClusteredIndex) -> Bool {
        func check<T: FixedWidthInteger>(_: T.Type) -> Bool {
            let terms = layout.summaryTerms(as: T.self)
            for b in 0..<layout.summaryScales.count {
                let range = Int(layout.summaryOffsets[b])..<Int(layout.summaryOffsets[b + 1])
                for e in range.dropFirst() where terms[e - 1] >= terms[e] { return false }
            }
            return true
        }
        return layout.wide ? check(UInt32.self) : check(UInt16.self)
    }

    @Test("a vocabulary past 2^17 terms (32-bit term numbers, summaries ordered by sorting) is searched exactly")
    func wideVocabulary() throws {
        let c = RandomCorpus(seed: 9, documentCount: 4000, vocabularySize: 4_000_000, termsPerDocument: 40...60,
                             queryCount: 40, termsPerQuery: 3...25, weights: .skewed)
        // Summaries by block here; by term below.
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: .lossless(summariesByTerm: false)))
        let segment = try #require(index.segments.views.first?.segment)
        let layout = try #require(segment.clusters)
        #expect(layout.wide && layout.byTerm == nil)
        #expect(segment.postings.termCount > 1 << 17, "only \(segment.postings.termCount) terms")
        #expect(Self.summariesIncrease(layout))
        let narrow = try SearchIndex.build(records: Self.corpus(seed: 4).documents, options: BuildOptions(clustered: .lossless(summariesByTerm: false)))
        #expect(try Self.summariesIncrease(#require(narrow.segments.views.first?.segment.clusters)))
        for q in c.queries {
            let exact = try index.search(q, k: 10, algorithm: .exhaustiveTAAT)
            #expect(try index.search(q, k: 10, algorithm: .clustered, approximation: .exact) == exact)
            // Approximate knobs score through the 32-bit compact records, and rescore exactly.
            let approximate = try index.search(q.query, k: 10, recall: 0.95)
            let scores = Dictionary(exact.map { ($0.id, $0.score) }, uniquingKeysWith: { a, _ in a })
            for hit in approximate { if let s = scores[hit.id] { #expect(s == hit.score) } }
        }
        // The summaries by term of a wide vocabulary (32-bit directory, terms ordered by sorting).
        let byTerm = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: .lossless(summariesByTerm: true)))
        #expect(byTerm.segments.views.first?.segment.clusters?.byTerm != nil)
        for q in c.queries {
            #expect(try byTerm.search(q, k: 10, algorithm: .clustered, approximation: .exact) == index.search(q, k: 10, algorithm: .exhaustiveTAAT))
            #expect(try byTerm.search(q.query, k: 10, recall: 0.95) == index.search(q.query, k: 10, recall: 0.95))
        }
    }

    @Test("k-means rounds make tighter blocks: the presets score fewer postings for no less recall", arguments: [UInt64(7), 8])
    func kMeansRoundsTightenBlocks(seed: UInt64) throws {
        let c = RandomCorpus.topical(seed: seed, documentCount: 6000, topics: 300, vocabularySize: 3000,
                                     termsPerTopic: 30...80, queryCount: 100)
        let exact = try SearchIndex.build(records: c.documents, options: BuildOptions())
        let want = try c.queries.map { try exact.search($0, k: 10, algorithm: .exhaustiveTAAT) }
        /// Postings scored and recall@10 of the 0.95 preset on a layout built with `rounds`.
        func measure(rounds: Int) throws -> (postings: Int, recall: Double) {
            let settings = ClusterSettings(postingsPerTerm: 400, kMeansRounds: rounds, minDocuments: 0)
            let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: settings))
            var postings = 0
            let (algorithm, knobs) = try SearchIndex.preset(recall: 0.95)
            let got = try c.queries.map { q in
                var stats = QueryStats()
                defer { postings += stats.postingsScored }
                return try index.search(q, k: 10, algorithm: algorithm, approximation: knobs, stats: &stats)
            }
            return (postings, Self.recall(got, want))
        }
        let seismic = try measure(rounds: 0)
        let refined = try measure(rounds: ClusterSettings().kMeansRounds)
        #expect(ClusterSettings().kMeansRounds > 0)
        #expect(refined.postings < seismic.postings * 9 / 10, "0 rounds \(seismic), default \(refined)")
        #expect(refined.recall >= seismic.recall - 0.005, "0 rounds \(seismic), default \(refined)")
    }

    @Test("the presets search segments larger than those they were measured on exactly")
    func presetsBoundedBySegmentSize() throws {
        let c = Self.corpus(seed: 4)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let exact = try c.queries.map { try index.search($0, k: 10, algorithm: .exhaustiveTAAT) }
        for floor in [0.90, 0.95] {
            let (algorithm, knobs) = try SearchIndex.preset(recall: floor)
            #expect(algorithm == .clustered && knobs.exactAbove == Approximation.presetMaxDocuments)
            var small = knobs
            small.queryCut = 1
            // Knobs this coarse lose some of the top 10 on a segment they apply to...
            small.exactAbove = c.documents.count
            let approximate = try c.queries.map { try index.search($0, k: 10, algorithm: algorithm, approximation: small) }
            #expect(Self.recall(approximate, exact) < 1)
            // ...and none on one larger than their bound, which is searched exactly.
            small.exactAbove = c.documents.count - 1
            var stats = QueryStats()
            for (q, want) in zip(c.queries, exact) {
                #expect(try index.search(q, k: 10, algorithm: algorithm, approximation: small, stats: &stats) == want)
            }
            #expect(stats.rangesScored == 0)
        }
        #expect(Approximation(exactAbove: -1).problem != nil)
    }

    @Test("the 0.95 preset takes more query terms on segments above its size bound, and the others' knobs on smaller ones")
    func presetQueryCutBySegmentSize() throws {
        let c = Self.corpus(seed: 4)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let (algorithm, knobs) = try SearchIndex.preset(recall: 0.95)
        let larger = try #require(knobs.largerSegments)
        #expect(larger.queryCut > knobs.queryCut! && larger.above < Approximation.presetMaxDocuments)
        #expect(knobs.forSegment(documents: larger.above) == knobs)
        #expect(knobs.forSegment(documents: larger.above + 1).queryCut == larger.queryCut)
        // On this corpus: a bound below its size gives the larger segments' query cut, one at its
        // size the preset's own, each answering as those knobs do without the bound.
        func answers(_ a: Approximation) throws -> [[SearchHit]] {
            try c.queries.map { try index.search($0, k: 10, algorithm: algorithm, approximation: a) }
        }
        var coarse = knobs
        coarse.queryCut = 1
        var fine = Approximation(queryCut: 3)
        fine.exactAbove = coarse.exactAbove
        coarse.largerSegments = .init(above: c.documents.count - 1, queryCut: 3)
        let viaLarger = try answers(coarse)
        #expect(viaLarger == (try answers(fine)))
        coarse.largerSegments = .init(above: c.documents.count, queryCut: 3)
        let viaOwn = try answers(coarse)
        #expect(viaOwn == (try answers(Approximation(queryCut: 1))))
        #expect(viaOwn != viaLarger)
        #expect(Approximation(largerSegments: .init(above: -1, queryCut: 2)).problem != nil)
        #expect(Approximation(largerSegments: .init(above: 10, queryCut: 0)).problem != nil)
    }

    @Test("automatic postings per term: rule 1 as recorded before rules had numbers, rule 2 for new settings")
    func automaticPostingsRules() throws {
        // Rule 1: 2 000 + documents / 2 000 at every size; rule 2: the same up to 1M documents,
        // then one more per 1 800 documents beyond.
        for documents in [0, 30_000, 999_999, 1_000_000] {
            #expect(ClusterSettings.automaticPostings(documents: documents, rule: 2)
                == ClusterSettings.automaticPostings(documents: documents, rule: 1))
        }
        #expect(ClusterSettings.automaticPostings(documents: 10_000_000, rule: 1) == 7_000)
        #expect(ClusterSettings.automaticPostings(documents: 10_000_000, rule: 2) == 12_000)
        #expect(ClusterSettings().postingsRule == ClusterSettings.currentPostingsRule)
        #expect(ClusterSettings().postingsKept(documents: 10_000_000) == 12_000)
        // Settings recorded without a rule decode as rule 1; new ones keep theirs.
        var fields = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(ClusterSettings())) as? [String: Any])
        #expect(fields.removeValue(forKey: "postingsRule") != nil)
        let old = try JSONDecoder().decode(ClusterSettings.self, from: try JSONSerialization.data(withJSONObject: fields))
        #expect(old.postingsRule == 1 && old.postingsKept(documents: 10_000_000) == 7_000)
        let again = try JSONDecoder().decode(ClusterSettings.self, from: try JSONEncoder().encode(ClusterSettings()))
        #expect(again == ClusterSettings())
        #expect(ClusterSettings(postingsRule: 0).problem != nil && ClusterSettings(postingsRule: 3).problem != nil)
    }

    @Test("approximation visits fewer blocks and reads fewer documents than the exact knobs")
    func approximationPrunes() throws {
        let c = Self.corpus(seed: 4)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        func work(_ a: Approximation) throws -> (blocks: Int, postings: Int) {
            var blocks = 0
            var postings = 0
            for q in c.queries {
                var stats = QueryStats()
                _ = try index.search(q, k: 10, algorithm: .clustered, approximation: a, stats: &stats)
                blocks += stats.rangesScored
                postings += stats.postingsScored
            }
            return (blocks, postings)
        }
        let exact = try work(.exact)
        let fast = try work(Approximation.preset(recall: 0.90)!.approximation)
        #expect(fast.blocks < exact.blocks && fast.postings < exact.postings, "exact \(exact), preset 0.90 \(fast)")
        // The exact knobs skip blocks too: no query visits every block of its terms.
        let layout = try #require(index.segments.views.first?.segment.clusters)
        var all = 0
        for q in c.queries {
            let resolved = index.segments.views[0].segment.resolve(keys: q.tokens.map(TokenKey.init), weights: q.weights).canonical()
            for t in resolved.terms { all += Int(layout.termBlocks[Int(t) + 1] - layout.termBlocks[Int(t)]) }
        }
        #expect(exact.blocks < all, "visited \(exact.blocks) of \(all) blocks")
    }

    @Test("BMP's alpha and beta trade recall for work, and 1 is exact")
    func bmpApproximations() throws {
        let c = Self.corpus(seed: 5)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(rangeSize: 32))
        let exact = try c.queries.map { try index.search($0, k: 10, algorithm: .exhaustiveTAAT) }
        let same = try c.queries.map { try index.search($0, k: 10, algorithm: .bmp, approximation: Approximation(alpha: 1, beta: 1)) }
        #expect(same == exact)
        func postings(_ a: Approximation) throws -> (Int, Double) {
            var total = 0
            var got: [[SearchHit]] = []
            for q in c.queries {
                var stats = QueryStats()
                got.append(try index.search(q, k: 10, algorithm: .bmp, approximation: a, stats: &stats))
                total += stats.postingsScored
            }
            return (total, Self.recall(got, exact))
        }
        let (full, _) = try postings(.exact)
        let (alphaWork, alphaRecall) = try postings(Approximation(alpha: 0.7))
        let (betaWork, betaRecall) = try postings(Approximation(beta: 0.5))
        #expect(alphaWork < full && betaWork < full)
        #expect(alphaRecall > 0.5 && alphaRecall <= 1 && betaRecall > 0.5 && betaRecall <= 1)
    }

    @Test("the same seed builds the same files, byte for byte; another seed other blocks")
    func deterministicBuild() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus(seed: 6)
        func clustersFile(seed: UInt64, _ name: String) throws -> [UInt8] {
            let index = try SearchIndex.build(records: c.documents,
                                              options: BuildOptions(clustered: ClusterSettings(seed: seed, minDocuments: 0)))
            try index.write(to: dir + "/" + name)
            let file = try #require(listDirectory(dir + "/" + name).first { $0.hasSuffix(".clusters") })
            return readFileBytes(dir + "/" + name + "/" + file)
        }
        let a = try clustersFile(seed: 9, "a")
        let b = try clustersFile(seed: 9, "b")
        let other = try clustersFile(seed: 10, "c")
        #expect(!a.isEmpty && a == b)
        #expect(a != other)
        // The streaming merge writes the same layout as the in-memory build.
        let parts = try [0..<1000, 1000..<3000].map { r in
            try SearchIndex.build(records: Array(c.documents[r]), options: BuildOptions(clustered: ClusterSettings(seed: 9, minDocuments: 0)))
        }
        try IndexDirectory.write(merging: parts.flatMap(\.storedViews),
                                 settings: IndexSettings(BuildOptions(clustered: ClusterSettings(seed: 9, minDocuments: 0))),
                                 to: dir + "/merged")
        let merged = try #require(listDirectory(dir + "/merged").first { $0.hasSuffix(".clusters") })
        #expect(readFileBytes(dir + "/merged/" + merged) == a)
    }

    @Test("records in block order: each document's record once, with the bytes it has in document order, the best block of the first list first, and the same answers")
    func recordsByBlock() throws {
        let c = Self.corpus(seed: 12)
        let byBlock = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let byDocument = try SearchIndex.build(records: c.documents,
                                               options: BuildOptions(clustered: ClusterSettings(minDocuments: 0, recordsByBlock: false)))
        let segment = try #require(byBlock.segments.views.first?.segment)
        let layout = try #require(segment.clusters)
        let blocks = try #require(layout.compact)
        let documents = try #require(byDocument.segments.views.first?.segment.clusters?.compact)
        #expect(documents.order == nil)
        let order = try #require(blocks.order).map(Int.init)
        #expect(order.count == c.documents.count && Set(order).count == order.count && order != Array(0..<order.count))
        var at = 0
        for d in order {
            let size = Int(documents.offsets[d + 1] - documents.offsets[d])
            #expect(Int(blocks.offsets[d]) == at)
            #expect(memcmp(blocks.records.baseAddress! + at, documents.records.baseAddress! + Int(documents.offsets[d]), size) == 0)
            at += size
        }
        #expect(at == blocks.records.count && Int(blocks.offsets[order.count]) == at)
        // The first records: the first list's block that holds the list's heaviest posting (the
        // first such block), in the block's order.
        let t = try #require((0..<segment.termCount).first { layout.termBlocks[$0 + 1] > layout.termBlocks[$0] })
        let list = Int(segment.postings.offsets[t])..<Int(segment.postings.offsets[t + 1])
        let heaviest = list.map { segment.postings.weights[$0] }.max()!
        let holders = Set(list.filter { segment.postings.weights[$0] == heaviest }.map { Int(segment.postings.docs[$0]) })
        let best = try #require((Int(layout.termBlocks[t])..<Int(layout.termBlocks[t + 1])).first { b in
            (Int(layout.blockOffsets[b])..<Int(layout.blockOffsets[b + 1])).contains { holders.contains(Int(layout.blockDocs[$0])) }
        })
        let docs = (Int(layout.blockOffsets[best])..<Int(layout.blockOffsets[best + 1])).map { Int(layout.blockDocs[$0]) }
        #expect(Array(order.prefix(docs.count)) == docs)
        // The records' place changes no answer.
        let preset = try #require(Approximation.preset(recall: 0.95)).approximation
        for q in c.queries {
            for approximation in [Approximation.exact, Approximation(queryCut: 3, heapFactor: 1), Approximation(queryCut: 2, heapFactor: 1.3), preset] {
                #expect(try byBlock.search(q, k: 10, algorithm: .clustered, approximation: approximation)
                        == byDocument.search(q, k: 10, algorithm: .clustered, approximation: approximation))
            }
        }
    }

    @Test("a damaged clusters file is refused by open, and a consistent but wrong one reported by check",
          arguments: [false, true])
    func corruption(summariesByTerm: Bool) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = Self.corpus(seed: 7)
        try SearchIndex.build(records: c.documents,
                              options: BuildOptions(clustered: ClusterSettings(minDocuments: 0, summariesByTerm: summariesByTerm)))
            .write(to: dir + "/i")
        #expect(SearchIndex.check(at: dir + "/i").isSound)
        let path = dir + "/i/" + (try #require(listDirectory(dir + "/i").first { $0.hasSuffix(".clusters") }))
        let original = readFileBytes(path)
        let firstRecord = try withExtendedLifetime(try IndexDirectory.open(dir + "/i")) { opened in
            try #require(opened.segments[0].segment.clusters?.compact?.order?.first)
        }

        var flipped = original
        flipped[flipped.count / 2] ^= 0x10
        writeFile(path, flipped)
        let error = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i") }
        #expect(error?.code == .corrupt && error?.description.contains(".clusters") == true, "\(String(describing: error))")
        #expect(!SearchIndex.check(at: dir + "/i").isSound)

        /// Writes the file again with a valid checksum and one byte of section `tag` changed.
        func rewrite(_ tag: FourCC, at position: (Int) -> Int, change: (inout UInt8) -> Void) throws {
            writeFile(path, original)
            try withExtendedLifetime(try IndexDirectory.open(dir + "/i")) { opened in
                let sections = try #require(opened.segments[0].segment.clusters).sections
                let at = try #require(sections.firstIndex { $0.tag == tag })
                var bytes = Array(sections[at].bytes)
                change(&bytes[position(bytes.count)])
                let writer = try SectionFileWriter(path: path + ".new", kind: SegmentFiles.clusters.kind, sections: sections.map(\.layout))
                for (i, s) in sections.enumerated() {
                    if i == at { try writer.append(s.tag, bytes) } else { try writer.append(s.tag, s.bytes) }
                }
                try writer.finish()
            }
            #expect(rename(path + ".new", path) == 0)
        }

        // Valid checksum, one summary level (by block, or by term) or one compact forward level
        // changed: only a rebuild from the postings tells.
        let summaryLevel = summariesByTerm ? (SegmentFiles.termSummaryEntries, 4) : (SegmentFiles.summaryWeights, 1)
        for (tag, from) in [summaryLevel, (SegmentFiles.compactRecords, 1)] {
            try rewrite(tag, at: { $0 - from }, change: { $0 ^= 0x01 })
            let problems = SearchIndex.check(at: dir + "/i").problems
            #expect(problems.contains { $0.contains("clustered layout differs") }, "\(tag): \(problems)")
            // Opening without checksums still refuses numbers that would leave their buffers.
            #expect(throws: Never.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        }
        // A compact record whose entry count disagrees with the forward index would send a
        // search past it: refused even without checksums.
        try rewrite(SegmentFiles.compactRecords, at: { _ in 0 }, change: { $0 &+= 1 })
        let error2 = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        // (The first record is that of the first document of the record order.)
        #expect(error2?.description.contains("compact forward record of document \(firstRecord) ") == true, "\(String(describing: error2))")
        // So would a record order naming another document first (its low byte changed): that
        // document's record is elsewhere, or it is named twice, or it is past the segment's.
        try rewrite(SegmentFiles.compactOrder, at: { _ in 0 }, change: { $0 &+= 1 })
        let named = firstRecord & ~0xFF | ((firstRecord &+ 1) & 0xFF)
        let error6 = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        #expect(error6?.description.contains("compact forward record of document \(named) ") == true
                || error6?.description.contains("names document \(named) twice") == true, "\(String(describing: error6))")
        // So would a block's record start that is not its document's record.
        try rewrite(SegmentFiles.clusterBlockRecords, at: { _ in 0 }, change: { $0 &+= 1 })
        let error3 = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        #expect(error3?.description.contains("record start is not") == true, "\(String(describing: error3))")
        guard summariesByTerm else { return }
        // And a summary-by-term entry naming a block past its list's (the block byte of the
        // second 2-byte entry), or a directory whose terms are out of order.
        #expect(try IndexDirectory.open(dir + "/i").segments[0].segment.clusters?.byTerm?.entryWidth == 2)
        try rewrite(SegmentFiles.termSummaryEntries, at: { _ in 3 }, change: { $0 = 0xFF })
        let error4 = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        #expect(error4?.description.contains("name a block past") == true, "\(String(describing: error4))")
        try rewrite(SegmentFiles.termSummaryTerms16, at: { _ in 1 }, change: { $0 = 0xFF })
        let error5 = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/i", verifyChecksums: false) }
        #expect(error5?.description.contains("out of order or past") == true, "\(String(describing: error5))")
    }

    @Test("the summaries by term hold each list's summary entries, and bound blocks as the summaries do", arguments: [UInt64(2), 3])
    func summariesByTerm(seed: UInt64) throws {
        let c = Self.corpus(seed: seed)
        let plain = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0, summariesByTerm: false)))
        let rows = try #require(plain.segments.views.first?.segment.clusters)
        #expect(rows.byTerm == nil && rows.storage == ClusteredIndex.Storage(summariesByBlock: true, byTermEntryWidth: nil))
        // By term is the default.
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let segment = try #require(index.segments.views.first?.segment)
        let layout = try #require(segment.clusters)
        // Stored only by term, with 2-byte entries: no list has more than 256 blocks.
        #expect(layout.storage == ClusteredIndex.Storage(summariesByBlock: false, byTermEntryWidth: 2))
        #expect(layout.summaryWeights.isEmpty && layout.summaryTerms.isEmpty)
        #expect(Array(layout.summaryOffsets) == Array(rows.summaryOffsets) && Array(layout.summaryScales) == Array(rows.summaryScales))
        // As the release that introduced summaries by term stored them: by block as well, and
        // with 4-byte entries (and the forward index with its own terms).
        let legacyStorage = HeapStorage()
        defer { withExtendedLifetime((plain, index, legacyStorage)) {} }
        let legacy = ClusteredIndex.build(segment.postings, documentCount: segment.documentCount,
                                          settings: ClusterSettings(minDocuments: 0, summariesByTerm: true), storage: legacyStorage,
                                          sections: ClusteredIndex.Storage(summariesByBlock: true, byTermEntryWidth: 4, forwardTerms: true))
        #expect(legacy.storage == ClusteredIndex.Storage(summariesByBlock: true, byTermEntryWidth: 4, forwardTerms: true))
        #expect(!layout.forwardTerms && layout.documentTerms.isEmpty && legacy.documentTerms.count == layout.documentWeights.count * 2)
        #expect(Array(legacy.summaryWeights) == Array(rows.summaryWeights))
        // Each list's (term, block, level) triples, read from the summaries by block and from
        // the runs of both widths.
        let summaryTerms = rows.summaryTerms(as: UInt16.self)
        for (name, l) in [("2-byte", layout), ("4-byte", legacy)] {
            let byTerm = try #require(l.byTerm)
            let directory = byTerm.terms(as: UInt16.self)
            for t in 0..<segment.postings.termCount {
                let firstBlock = Int(rows.termBlocks[t])
                let base = Int(rows.summaryOffsets[firstBlock])
                let count = Int(rows.summaryOffsets[Int(rows.termBlocks[t + 1])]) - base
                var fromSummaries: [[Int]] = []
                for b in firstBlock..<Int(rows.termBlocks[t + 1]) {
                    for e in Int(rows.summaryOffsets[b])..<Int(rows.summaryOffsets[b + 1]) {
                        fromSummaries.append([Int(summaryTerms[e]), b - firstBlock, Int(rows.summaryWeights[e])])
                    }
                }
                var fromRuns: [[Int]] = []
                let d0 = Int(byTerm.lists[t]), d1 = Int(byTerm.lists[t + 1])
                for i in d0..<d1 {
                    if i > d0 { #expect(directory[i - 1] < directory[i], "term \(t): directory not increasing") }
                    let end = i + 1 < d1 ? Int(byTerm.runs[i + 1]) : count
                    for e in (base + Int(byTerm.runs[i]))..<(base + end) {
                        fromRuns.append([Int(directory[i]), Int(byTerm.entry(e) >> 8), Int(byTerm.entry(e) & 0xFF)])
                    }
                }
                #expect(fromRuns == fromSummaries.sorted { $0.lexicographicallyPrecedes($1) }, "\(name) term \(t)")
            }
        }
        let scratch = QueryScratch()
        func run(_ l: ClusteredIndex, _ query: SparseVector, _ a: Approximation) -> (docs: [DocID], scores: [Float], stats: QueryStats) {
            var top = TopK(k: 10)
            scratch.stats = QueryStats()
            clusteredSearch(l, query: query, termCount: segment.postings.termCount, documentCount: segment.documentCount,
                            approximation: a, into: &top, scratch: scratch)
            let hits = top.sorted()
            return (hits.map(\.doc), hits.map(\.score), scratch.stats)
        }
        var visited = 0
        for q in c.queries {
            let query = segment.resolve(keys: q.tokens.map(TokenKey.init), weights: q.weights).canonical()
            for a in [Approximation.exact, Approximation(queryCut: 3, heapFactor: 1), Approximation(queryCut: 5, heapFactor: 0.9),
                      Approximation(queryCut: 2, heapFactor: 1.3)] {
                // The same search with bounds from the summaries by block: the same blocks
                // visited, the same hits.
                let fast = run(layout, query, a)
                let slow = run(rows, query, a)
                let wider = run(legacy, query, a)
                #expect(fast.docs == slow.docs && fast.scores == slow.scores && fast.stats == slow.stats, "\(a)")
                #expect(wider.docs == slow.docs && wider.scores == slow.scores && wider.stats == slow.stats, "\(a)")
                visited += fast.stats.rangesScored
            }
        }
        #expect(visited > 0)
        // A lossless layout with summaries by term answers exactly.
        let lossless = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: .lossless(summariesByTerm: true)))
        #expect(lossless.segments.views.first?.segment.clusters?.byTerm != nil)
        for q in c.queries {
            #expect(try lossless.search(q, k: 10, algorithm: .clustered, approximation: .exact)
                    == lossless.search(q, k: 10, algorithm: .exhaustiveTAAT))
        }
    }

    @Test("knobs that keep every query term at heap factor 1 are the exact knobs: on a lossless layout they return the exhaustive top-k",
          arguments: [UInt64(11), 23, 33])
    func everyTermAtHeapFactorOneIsExact(seed: UInt64) throws {
        // Seeds on which scoring candidates from the compact records (the approximate path)
        // changed a top 10: such knobs must take the exact path.
        let c = RandomCorpus(seed: seed, documentCount: 600, vocabularySize: 300, termsPerDocument: 5...50,
                             queryCount: 40, termsPerQuery: 3...25, weights: .skewed)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings.lossless()))
        for q in c.queries {
            let exact = try index.search(q, k: 10, algorithm: .exhaustiveTAAT)
            for cut in [q.tokens.count, 10_000] {
                #expect(try index.search(q, k: 10, algorithm: .clustered, approximation: Approximation(queryCut: cut)) == exact)
            }
        }
    }

    @Test("approximate knobs return the exact scores of the hits they find", arguments: [UInt64(5), 6])
    func approximateHitsHaveExactScores(seed: UInt64) throws {
        let c = Self.corpus(seed: seed)
        let index = try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        let naive = NaiveScorer(c.documents)
        for q in c.queries {
            for approximation in [Approximation(queryCut: 3, heapFactor: 1), Approximation(queryCut: 2, heapFactor: 1.3)] {
                let hits = try index.search(q, k: 10, algorithm: .clustered, approximation: approximation)
                for h in hits { #expect(naive.score(of: h.id, q) == h.score, "\(h.id): \(h.score) against \(naive.score(of: h.id, q))") }
                #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
            }
        }
    }

    @Test("bad knobs and settings are refused with a sentence")
    func validation() throws {
        let c = Self.corpus(seed: 8)
        let index = try SearchIndex.build(records: Array(c.documents.prefix(50)), options: BuildOptions(clustered: ClusterSettings(minDocuments: 0)))
        for bad in [Approximation(queryCut: 0), Approximation(heapFactor: 0), Approximation(heapFactor: .nan),
                    Approximation(alpha: 1.5), Approximation(beta: 0)] {
            let error = #expect(throws: IndexError.self) { try index.search(c.queries[0], k: 10, approximation: bad) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(throws: IndexError.self) { try index.search(c.queries[0].query, k: 10, recall: 0.5) }
        for bad in [ClusterSettings(postingsPerTerm: -1), ClusterSettings(blockFraction: 0), ClusterSettings(summaryMass: 1.5),
                    ClusterSettings(assignmentTerms: 0), ClusterSettings(kMeansRounds: -1),
                    ClusterSettings(kMeansRounds: ClusterSettings.maxKMeansRounds + 1)] {
            #expect(throws: IndexError.self) { try SearchIndex.build(records: c.documents, options: BuildOptions(clustered: bad)) }
        }
        let text = makeTemporaryDirectory()
        defer { removeTree(text) }
        writeFile(text + "/t.jsonl", #"{"id": "a", "text": "sparrows nest"}"# + "\n")
        let error = #expect(throws: IndexError.self) {
            try SearchIndex.build(fromTextFile: text + "/t.jsonl", options: BuildOptions(clustered: ClusterSettings()))
        }
        #expect(error?.description.contains("clustered layout is for sparse vectors") == true)
        // Without the layout the clustered algorithm (and a preset) searches exactly.
        let plain = try SearchIndex.build(records: c.documents)
        for q in c.queries.prefix(10) {
            #expect(try plain.search(q.query, k: 10, recall: 0.9) == plain.search(q, k: 10))
        }
    }
}

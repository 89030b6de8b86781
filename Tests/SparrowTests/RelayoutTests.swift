import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// `IndexWriter.changeLayout(to:)` (`sparrow relayout`): a collection's clustered layout rebuilt
/// with other settings, or dropped, keeping its documents and deletions.
struct RelayoutTests {
    static let corpus = RandomCorpus(seed: 11, documentCount: 300, vocabularySize: 90, termsPerDocument: 1...12,
                                     queryCount: 12, termsPerQuery: 1...6, weights: .skewed)
    static let options = WriterOptions(fsync: .none, merges: false)

    /// A one-segment collection of the corpus with `clustered`, `deleted` then deleted.
    static func collection(at dir: String, clustered: ClusterSettings?, deleted: [String] = []) throws -> IndexWriter {
        let writer = try IndexWriter.open(at: dir, creating: IndexSettings(blockSize: 4, rangeSize: 8, clustered: clustered),
                                          options: options)
        try writer.add(corpus.documents.map { writer.prepare($0) })
        try writer.commit()
        if !deleted.isEmpty {
            _ = try writer.delete(ids: deleted)
            try writer.commit()
        }
        return writer
    }

    @Test("a relaid-out segment has the files a fresh build with the new settings writes, and its deletions")
    func sameFilesAsAFreshBuild() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let deleted = ["doc3", "doc17", "doc250"]
        let pruned = ClusterSettings(postingsPerTerm: 20, blockFraction: 0.3, summaryMass: 0.7, kMeansRounds: 1, seed: 9, minDocuments: 0)
        let fresh = try Self.collection(at: dir + "/fresh", clustered: pruned, deleted: deleted)
        try fresh.close()

        let writer = try Self.collection(at: dir + "/c", clustered: nil, deleted: deleted)
        let before = segmentFiles(dir + "/c")
        #expect(before[".clusters"] == nil)
        try writer.changeLayout(to: pruned)
        #expect(writer.collectionSettings.clustered == pruned)
        #expect(writer.snapshot.clusteredSegmentCount == 1)
        #expect(writer.snapshot.documentCount == Self.corpus.documents.count - deleted.count)
        let after = segmentFiles(dir + "/c")
        let expected = segmentFiles(dir + "/fresh")
        #expect(Set(after.keys) == Set(expected.keys), "\(after.keys.sorted()) against \(expected.keys.sorted())")
        for (suffix, bytes) in expected {
            #expect(after[suffix] == bytes, "\(suffix) differs from the fresh build's")
        }
        // The old segment's names are gone; postings and deletions are the same bytes as before.
        #expect(after[".postings"] == before[".postings"] && after[".1.del"] == before[".1.del"] && after[".1.del"] != nil)

        // Dropped again: no clusters file, the clustered algorithm searches exactly.
        try writer.changeLayout(to: nil)
        #expect(writer.collectionSettings.clustered == nil && writer.snapshot.clusteredSegmentCount == 0)
        #expect(segmentFiles(dir + "/c") == before)
        try writer.close()
        let report = SearchIndex.check(at: dir + "/c")
        #expect(report.isSound, "\(report.problems)")
    }

    @Test("after a relayout, searches, writes, merges and a reopen agree with the naive scorer")
    func writesAfterRelayout() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let half = Self.corpus.documents.count / 2
        let writer = try IndexWriter.open(at: dir + "/c", creating: IndexSettings(blockSize: 4, rangeSize: 8),
                                          options: Self.options)
        for range in [0..<100, 100..<130, 130..<half] {
            try writer.add(Self.corpus.documents[range].map { writer.prepare($0) })
            try writer.commit()
        }
        _ = try writer.delete(ids: ["doc0", "doc1", "doc77"])
        // Lossless: the clustered algorithm must then equal exhaustive scoring. Segments of 60
        // documents or more get it.
        try writer.changeLayout(to: ClusterSettings(postingsPerTerm: 0, summaryMass: 1, minDocuments: 60))
        let segments = writer.snapshot.segmentCount
        #expect(segments > 1 && writer.snapshot.clusteredSegmentCount > 0 && writer.snapshot.clusteredSegmentCount < segments,
                "\(writer.snapshot.clusteredSegmentCount) of \(segments) segments clustered")
        try writer.add(Self.corpus.documents.dropFirst(half).map { writer.prepare($0) })
        try writer.compact()
        #expect(writer.snapshot.clusteredSegmentCount == 1)
        try writer.close()

        var model = LiveCollectionTests.Model()
        for r in Self.corpus.documents where !["doc0", "doc1", "doc77"].contains(r.id) { model.upsert(r) }
        try LiveCollectionTests.check(try SearchIndex.open(at: dir + "/c"), model, queries: Self.corpus.queries,
                                      step: "reopened after relayout", scorer: LiveCollectionTests.naive)
        #expect(SearchIndex.check(at: dir + "/c").isSound)
    }

    @Test("invalid layout settings are refused and change nothing")
    func invalidSettings() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let writer = try Self.collection(at: dir + "/c", clustered: nil)
        let before = segmentFiles(dir + "/c")
        #expect(throws: IndexError.self) { try writer.changeLayout(to: ClusterSettings(blockFraction: 0)) }
        #expect(segmentFiles(dir + "/c") == before && writer.collectionSettings.clustered == nil)
        try writer.close()

        let text = try IndexWriter.open(at: dir + "/text", creating: IndexSettings(text: TextWeighting(analyzer: .english, bm25: BM25())),
                                        options: Self.options)
        #expect(throws: IndexError.self) { try text.changeLayout(to: ClusterSettings()) }
        #expect(text.collectionSettings.clustered == nil)
        try text.close()
    }
}

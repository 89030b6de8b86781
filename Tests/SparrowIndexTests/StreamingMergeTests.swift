import SparrowCore
import SparrowFormats
@testable import SparrowIndex
import SparrowTestSupport
import Testing
import class Sparrow.SearchIndex

#if canImport(Glibc)
import Glibc
#endif

/// The merge that streams into files (bounded memory: ``SegmentMerger/write``) against the merge
/// built in memory: the same bytes in every file, whatever the range window.
struct StreamingMergeTests {
    static func segments(_ corpus: RandomCorpus, parts: Int) throws -> [SegmentView] {
        let size = (corpus.documents.count + parts - 1) / parts
        return try stride(from: 0, to: corpus.documents.count, by: size).enumerated().map { n, start in
            var builder = IndexBuilder()
            for r in corpus.documents[start..<min(start + size, corpus.documents.count)] {
                try builder.add(id: r.id, tokens: r.tokens, weights: r.weights, text: r.text)
            }
            let segment = builder.finish()
            // Every third document of the middle part is deleted; the last part loses its first.
            let deleted = n == 1 ? Array(stride(from: 0, to: segment.documentCount, by: 3)) : n == parts - 1 ? [0] : []
            return SegmentView(segment, deletions: Deletions.of(documentCount: segment.documentCount, deleting: deleted))
        }
    }

    @Test("a merge streamed into files writes the bytes the in-memory merge writes, for any range window",
          arguments: [IndexSettings(BuildOptions()), IndexSettings(BuildOptions(blockSize: 3, rangeSize: 5)),
                      IndexSettings(BuildOptions(clustered: ClusterSettings(postingsPerTerm: 20, minDocuments: 0)))])
    func streamedEqualsInMemory(settings: IndexSettings) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = PersistenceTests.corpus(23)
        let views = try Self.segments(c, parts: 4)
        try IndexDirectory.write(try SegmentMerger.merge(views, settings: settings), settings: settings, to: dir + "/memory")
        try IndexDirectory.write(merging: views, settings: settings, to: dir + "/streamed")
        let expected = segmentFiles(dir + "/memory")
        #expect(expected.count == (settings.rangeSize > 0 || settings.clustered != nil ? 4 : 3))
        #expect(segmentFiles(dir + "/streamed") == expected)
        for window in [1, 7, 100] {
            let out = dir + "/window-\(window)"
            #expect(mkdir(out, 0o755) == 0)
            let meta = try #require(try SegmentMerger.write(views, settings: settings, directory: out, name: "seg-0000000000000001",
                                                            rangeWindowPostings: window))
            #expect(meta.documents == views.reduce(0) { $0 + $1.liveCount })
            #expect(segmentFiles(out) == expected, "range window \(window)")
            // The clustered layout's scratch files (SpillStorage) are gone with the build.
            #expect(listDirectory(out).count == expected.count)
        }
        // The streamed index opens with every checksum verified and answers as a fresh build of
        // the live documents.
        let live = Set(views.flatMap { v in (0..<v.segment.documentCount).filter { !(v.deletions?.contains($0) ?? false) }
            .map { v.segment.externalID(of: DocID(UInt32($0))) } })
        let opened = try SearchIndex.open(at: dir + "/streamed")
        let fresh = try SearchIndex.build(records: c.documents.filter { live.contains($0.id) }, options: settings.buildOptions)
        for q in c.queries { #expect(try opened.search(q, k: 10) == fresh.search(q, k: 10)) }
    }

    @Test("two live documents with one id are a merge error naming the id")
    func duplicateIDs() throws {
        let c = PersistenceTests.corpus(5)
        var views = try Self.segments(c, parts: 2)
        views[1] = SegmentView(views[0].segment, deletions: nil)
        let error = #expect(throws: SegmentMerger.DuplicateID.self) {
            try SegmentMerger.merge([views[0], views[1]], settings: IndexSettings(BuildOptions()))
        }
        let first = views[0].segment
        #expect(error?.id == (0..<first.documentCount).map { first.externalID(of: DocID(UInt32($0))) }.min())
    }
}

struct SpillStorageTests {
    @Test("scratch arrays in files hold what is written to them and leave no file behind")
    func roundTrip() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        do {
            let storage = SpillStorage(directory: dir)
            let a = try storage.allocate(UInt64.self, count: 100_000)
            let b = try storage.allocate(Float.self, count: 0)
            #expect(b.isEmpty)
            for i in a.indices { a[i] = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 }
            #expect(a.indices.allSatisfy { a[$0] == UInt64($0) &* 0x9E37_79B9_7F4A_7C15 })
            #expect(listDirectory(dir).isEmpty)
        }
        #expect(listDirectory(dir).isEmpty)
    }

    @Test("a directory that cannot hold scratch files is an I/O error naming it, not a crash")
    func missingDirectory() throws {
        let storage = SpillStorage(directory: "/nonexistent/sparrow-scratch")
        let error = #expect(throws: IndexError.self) { _ = try storage.allocate(UInt8.self, count: 10) }
        #expect(error?.code == .io && error?.path == "/nonexistent/sparrow-scratch")
        // The clustered layout's build, which spills, throws it and writes nothing.
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var builder = IndexBuilder()
        for r in PersistenceTests.corpus(5).documents { try builder.add(id: r.id, tokens: r.tokens, weights: r.weights, text: r.text) }
        let segment = builder.finish()
        let settings = ClusterSettings(postingsPerTerm: 20, minDocuments: 0)
        let failed = #expect(throws: IndexError.self) {
            try ClusteredIndex.write(segment.postings, documentCount: segment.documentCount, settings: settings,
                                     to: dir + "/a.clusters", spillDirectory: "/nonexistent/sparrow-scratch")
        }
        #expect(failed?.code == .io && listDirectory(dir).isEmpty)
        // With a directory that can, the file is the one written from the heap.
        try ClusteredIndex.write(segment.postings, documentCount: segment.documentCount, settings: settings, to: dir + "/heap.clusters")
        try ClusteredIndex.write(segment.postings, documentCount: segment.documentCount, settings: settings,
                                 to: dir + "/spill.clusters", spillDirectory: dir)
        #expect(readFileBytes(dir + "/heap.clusters") == readFileBytes(dir + "/spill.clusters"))
        // And so is the one whose forward index is transposed a few documents at a time.
        try ClusteredIndex.write(segment.postings, documentCount: segment.documentCount, settings: settings,
                                 to: dir + "/windows.clusters", spillDirectory: dir, transposeWindow: 7)
        #expect(readFileBytes(dir + "/heap.clusters") == readFileBytes(dir + "/windows.clusters"))
        #expect(listDirectory(dir) == ["heap.clusters", "spill.clusters", "windows.clusters"])
    }
}

struct SectionFileWriterTests {
    @Test("pieces of any size, interleaved across sections, make the file that one write per section makes",
          arguments: [1, 64, 4096])
    func piecewiseEqualsWhole(bufferSize: Int) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var random = SeededRandom(seed: UInt64(bufferSize))
        let tags = [FourCC("AAAA"), FourCC("BBBB"), FourCC("CCCC")]
        let contents: [[UInt8]] = [20_000, 0, 9_999].map { n in (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let sources = zip(tags, contents).map { tag, bytes in
            bytes.withUnsafeBufferPointer { SectionSource(tag, UnsafeBufferPointer(start: UnsafePointer($0.baseAddress), count: $0.count)) }
        }
        try SectionFileWriter.write(path: dir + "/whole", kind: FourCC("TEST"), sections: sources)
        let writer = try SectionFileWriter(path: dir + "/pieces", kind: FourCC("TEST"), sections: sources.map(\.layout),
                                           bufferSize: bufferSize)
        var at = [0, 0, 0]
        while at != contents.map(\.count) {
            let s = Int.random(in: 0..<3, using: &random)
            let n = min(contents[s].count - at[s], [1, 7, 300, 5000].randomElement(using: &random)!)
            try contents[s].withUnsafeBytes { try writer.append(tags[s], UnsafeRawBufferPointer(rebasing: $0[at[s]..<(at[s] + n)])) }
            at[s] += n
        }
        try writer.finish()
        #expect(readFileBytes(dir + "/pieces") == readFileBytes(dir + "/whole"))
        _ = try MappedFile(path: dir + "/pieces", expectedKind: FourCC("TEST"), verifyChecksum: true)
    }
}

struct DerivedTableCheckTests {
    @Test("check finds a range index that differs from the postings, though its file's checksum is valid")
    func rangeIndexMismatch() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let c = PersistenceTests.corpus(8)
        let settings = IndexSettings(BuildOptions(rangeSize: 8))
        try IndexDirectory.write(merging: try StreamingMergeTests.segments(c, parts: 2), settings: settings, to: dir)
        #expect(IndexDirectory.check(dir).problems.isEmpty)
        let path = dir + "/" + (try #require(listDirectory(dir).first { $0.hasSuffix(".ranges") }))
        try withExtendedLifetime(try IndexDirectory.open(dir)) { opened in
            let sections = try #require(opened.segments[0].segment.ranges).sections
            var weights = Array(try #require(sections.last).bytes)
            #expect(sections.last?.tag == SegmentFiles.rangePostingWeights && weights.count >= 4)
            weights[weights.count / 2] ^= 0x40
            let writer = try SectionFileWriter(path: path + ".new", kind: SegmentFiles.ranges.kind, sections: sections.map(\.layout))
            for s in sections.dropLast() { try writer.append(s.tag, s.bytes) }
            try writer.append(SegmentFiles.rangePostingWeights, weights)
            try writer.finish()
        }
        #expect(rename(path + ".new", path) == 0)
        let problems = IndexDirectory.check(dir).problems
        #expect(problems.contains { $0.contains("range index differs from the posting lists") }, "\(problems)")
    }
}

import Foundation
import SparrowCore

/// An index on disk: a directory holding `meta.json` and the files of the segments it names.
///
/// ```swift
/// var builder = IndexBuilder()
/// try builder.add(id: "d1", tokens: ["sparrow"], weights: [1.5], text: nil)
/// try IndexDirectory.write(builder.finish(), to: "/tmp/my-index")
/// let index = try IndexDirectory.open("/tmp/my-index")
/// ```
public enum IndexDirectory {
    /// The version string recorded in `meta.json`.
    public static let writerName = "sparrow 0.2.0"

    /// Writes `segment` as the whole content of the index at `path`, replacing any index there.
    ///
    /// The new segment's files are written and fsynced under a fresh name, then `meta.json` is
    /// replaced atomically, then the old segment files are removed. A crash at any point leaves
    /// either the old index or the new one. `path` must be absent, empty, or an index.
    ///
    /// A live collection there is replaced whole: the write takes its lock (and is refused while a
    /// writer has it open), and its write-ahead log goes with the old content.
    public static func write(_ segment: Segment, settings: IndexSettings, to path: String) throws {
        try replace(path, settings: settings) { name in
            try writeSegmentFiles(segment, settings: settings, directory: path, name: name)
            return segmentMeta(name, segment)
        }
    }

    /// Writes the live documents of `views` merged into one segment as the whole content of the
    /// index at `path`, as ``write(_:settings:to:)`` does; the merge streams into the files
    /// (``SegmentMerger/write(_:settings:directory:name:rangeWindowPostings:)``).
    public static func write(merging views: [SegmentView], settings: IndexSettings, to path: String,
                             rangeWindowPostings: Int = 1 << 25) throws {
        try replace(path, settings: settings) { name in
            try SegmentMerger.write(views, settings: settings, directory: path, name: name,
                                    rangeWindowPostings: rangeWindowPostings)
        }
    }

    /// Replaces the index at `path` with one segment, whose files `writeFiles` writes under the
    /// name it is given (returning its entry, or nil for an empty index).
    private static func replace(_ path: String, settings: IndexSettings,
                                writeFiles: (String) throws -> IndexMeta.SegmentMeta?) throws {
        try prepareDirectory(path)
        let lockPath = path + "/" + DirectoryLock.fileName
        let hadLock = Posix.fileExists(lockPath).exists
        let lock = try DirectoryLock(directory: path)
        // An index is left as clean as before: the lock file goes if this write made it (last, so
        // a writer that takes a new lock file finds the write complete).
        defer {
            if !hadLock { unlink(lockPath) }
            withExtendedLifetime(lock) {}
        }
        let name = newSegmentName()
        let written: IndexMeta.SegmentMeta?
        do { written = try writeFiles(name) } catch {
            removeSegmentFiles(path, name: name)
            throw error
        }
        let meta = IndexMeta(settings: settings, segments: written.map { [$0] } ?? [], opstamp: nil)
        try commit(meta, to: path, newSegments: [], newDeletions: [])
        unlink(path + "/" + WriteAheadLog.fileName)
    }

    /// Maps the files of a segment just written for `settings` (a merge's output) without reading
    /// them through: the writer vouches for their bytes.
    public static func openWritten(_ path: String, _ seg: IndexMeta.SegmentMeta, settings: IndexSettings) throws -> Segment {
        try openSegment(path, seg, meta: IndexMeta(settings: settings, segments: [seg], opstamp: nil), verifyChecksums: false)
    }

    /// Makes `path` an index directory: creates it, or checks that it is empty or already an index.
    public static func prepareDirectory(_ path: String) throws {
        let state = Posix.fileExists(path)
        if state.exists {
            guard state.isDirectory else {
                throw IndexError(.notAnIndex, path: path, "exists and is not a directory; refusing to write an index there")
            }
            let names = try Posix.listDirectory(path)
            if names.contains(where: { !isOurs($0) }) && !names.contains(IndexMeta.fileName) {
                throw IndexError(.notAnIndex, path: path,
                    "directory is not empty and holds no Sparrow index (no meta.json); refusing to write into it")
            }
        } else {
            try Posix.makeDirectory(path)
        }
    }

    /// Whether `path` holds an index (a `meta.json`).
    public static func holdsIndex(_ path: String) -> Bool {
        Posix.fileExists(path + "/" + IndexMeta.fileName).exists
    }

    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool { Posix.fileExists(path).exists }

    /// A fresh segment name (`seg-` and 16 random hex digits).
    public static func newSegmentName() -> String {
        var random = SystemRandomNumberGenerator()
        let n = random.next() as UInt64
        let hex = String(n, radix: 16)
        return "seg-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The `meta.json` entry of a new segment named `name`.
    public static func segmentMeta(_ name: String, _ segment: Segment) -> IndexMeta.SegmentMeta {
        .init(name: name, documents: segment.documentCount, terms: segment.termCount, postings: segment.postingCount)
    }

    /// Commits `meta` to the index at `path`: writes the files of `newSegments` and the deletion
    /// files of `newDeletions` (segment name, generation, bitmap), fsyncs them, replaces
    /// `meta.json` atomically, and then removes every segment or deletion file `meta` does not
    /// name. A crash before the rename leaves the previous commit; after it, the new one.
    /// `protecting` names segments whose files were written for a later commit (a merge in
    /// progress); they are not removed.
    public static func commit(_ meta: IndexMeta, to path: String, newSegments: [(name: String, segment: Segment)],
                              newDeletions: [(segment: String, generation: Int, deletions: Deletions)],
                              protecting: Set<String> = []) throws {
        for (name, segment) in newSegments {
            try writeSegmentFiles(segment, settings: meta.settings, directory: path, name: name)
        }
        for d in newDeletions {
            try d.deletions.write(to: path + "/" + Deletions.fileName(segment: d.segment, generation: d.generation))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data
        do { json = try encoder.encode(meta) } catch {
            throw IndexError(.io, path: path, "cannot encode meta.json: \(error)")
        }
        try Posix.fsyncPath(path, directory: true)
        try Posix.replaceAtomically(path + "/" + IndexMeta.fileName, with: MetaEnvelope.wrap(Array(json)), directory: path)
        removeUnreferencedFiles(path, meta: meta, protecting: protecting)
    }

    /// Writes the files of a segment named `name` that a later commit will name (a merge's output).
    public static func writeSegment(_ segment: Segment, name: String, settings: IndexSettings, to path: String) throws {
        try writeSegmentFiles(segment, settings: settings, directory: path, name: name)
    }

    /// Writes segment `name`: segment `source`'s documents with the clustered layout `settings`
    /// give a segment of its size (none when they give it none), for a later commit to name in
    /// place of `source` (``IndexWriter/changeLayout(to:)``). Its other files, and the deletion
    /// file of `generation`, are `source`'s under a second name (hard links: no byte is copied,
    /// and the old name's removal by that commit frees nothing they share). The clusters file is
    /// built from the mapped postings with its scratch files in `path`. Removes what it made when
    /// it fails.
    public static func relayoutSegment(_ segment: Segment, from source: String, generation: Int?, to name: String,
                                       settings: IndexSettings, in path: String) throws -> IndexMeta.SegmentMeta {
        let kinds = SegmentFiles.present(ranges: settings.rangeSize > 0, frequencies: settings.text != nil)
        var links = kinds.map { (path + "/" + source + "." + $0.suffix, path + "/" + name + "." + $0.suffix) }
        if let generation {
            links.append((path + "/" + Deletions.fileName(segment: source, generation: generation),
                          path + "/" + Deletions.fileName(segment: name, generation: generation)))
        }
        do {
            for (existing, new) in links { try Posix.hardLink(existing, new) }
            if settings.hasClusters(documents: segment.documentCount), let clustered = settings.clustered {
                try ClusteredIndex.write(segment.postings, documentCount: segment.documentCount, settings: clustered,
                                         to: path + "/" + name + "." + SegmentFiles.clusters.suffix, spillDirectory: path)
            }
        } catch {
            removeSegmentFiles(path, name: name)
            throw error
        }
        return segmentMeta(name, segment)
    }

    /// Removes every file of segment `name` (an abandoned merge's output).
    public static func removeSegmentFiles(_ path: String, name: String) {
        for file in (try? Posix.listDirectory(path)) ?? [] where file.hasPrefix(name + ".") {
            unlink(path + "/" + file)
        }
    }

    /// The files a commit consists of (besides `meta.json`).
    public static func files(of meta: IndexMeta) -> [String] {
        var names: [String] = []
        for s in meta.segments {
            let kinds = SegmentFiles.present(ranges: (meta.rangeSize ?? 0) > 0, frequencies: meta.text != nil,
                                             clusters: meta.settings.hasClusters(documents: s.documents))
            names += kinds.map { "\(s.name).\($0.suffix)" }
            if let g = s.deletionGeneration { names.append(Deletions.fileName(segment: s.name, generation: g)) }
        }
        return names
    }

    /// Whether a file name is one Sparrow writes into an index directory.
    static func isOurs(_ name: String) -> Bool {
        name.hasPrefix("seg-") || name.hasPrefix(IndexMeta.fileName) || name == WriteAheadLog.fileName
            || name == DirectoryLock.fileName
    }

    /// Removes segment and deletion files that `meta` does not name: leftovers of older commits
    /// and of interrupted ones. (Readers that still map them keep their mappings.)
    public static func removeUnreferencedFiles(_ path: String, meta: IndexMeta, protecting: Set<String> = []) {
        let keep = Set(files(of: meta))
        for file in (try? Posix.listDirectory(path)) ?? [] where file.hasPrefix("seg-") && !keep.contains(file) {
            if let dot = file.firstIndex(of: "."), protecting.contains(String(file[..<dot])) { continue }
            unlink(path + "/" + file)
        }
    }

    private static func writeSegmentFiles(_ s: Segment, settings: IndexSettings, directory: String, name: String) throws {
        let base = directory + "/" + name + "."
        let p = s.postings
        try SectionFileWriter.write(path: base + SegmentFiles.postings.suffix, kind: SegmentFiles.postings.kind, sections: [
            SectionSource(SegmentFiles.postingOffsets, p.offsets),
            SectionSource(SegmentFiles.postingDocs, p.docs),
            SectionSource(SegmentFiles.postingWeights, p.weights),
            SectionSource(SegmentFiles.maxWeights, p.maxWeights),
        ] + s.blockMax.sections)
        if settings.rangeSize > 0 {
            guard let r = s.ranges else {
                throw IndexError(.invalidArgument, path: directory, "segment \(name) lacks the range index the collection has")
            }
            try SectionFileWriter.write(path: base + SegmentFiles.ranges.suffix, kind: SegmentFiles.ranges.kind,
                                        sections: r.sections)
        }
        if settings.hasClusters(documents: s.documentCount) {
            guard let c = s.clusters else {
                throw IndexError(.invalidArgument, path: directory, "segment \(name) lacks the clustered layout the collection has")
            }
            try SectionFileWriter.write(path: base + SegmentFiles.clusters.suffix, kind: SegmentFiles.clusters.kind,
                                        sections: c.sections)
        }
        if settings.text != nil {
            guard let f = s.frequencies else {
                throw IndexError(.invalidArgument, path: directory, "segment \(name) of a text collection lacks term frequencies")
            }
            try SectionFileWriter.write(path: base + SegmentFiles.frequencies.suffix, kind: SegmentFiles.frequencies.kind,
                                        sections: f.sections)
        }
        try SectionFileWriter.write(path: base + SegmentFiles.terms.suffix, kind: SegmentFiles.terms.kind, sections: [
            SectionSource(SegmentFiles.termOffsets, s.vocabulary.offsets),
            SectionSource(SegmentFiles.termBytes, s.vocabulary.bytes),
        ])
        let order = Segment.idOrder(s.documentIDs)
        try order.withUnsafeBufferPointer { order in
            try SectionFileWriter.write(path: base + SegmentFiles.docs.suffix, kind: SegmentFiles.docs.kind, sections: [
                SectionSource(SegmentFiles.idOffsets, s.documentIDs.offsets),
                SectionSource(SegmentFiles.idBytes, s.documentIDs.bytes),
                SectionSource(SegmentFiles.textOffsets, s.documentTexts.offsets),
                SectionSource(SegmentFiles.textBytes, s.documentTexts.bytes),
                SectionSource(SegmentFiles.idOrder, order),
            ])
        }
    }

    /// Reads and validates `meta.json`.
    public static func readMeta(_ path: String) throws -> IndexMeta {
        let state = Posix.fileExists(path)
        guard state.exists else { throw IndexError(.notFound, path: path, "no such index directory") }
        guard state.isDirectory else { throw IndexError(.notAnIndex, path: path, "is a file, not an index directory") }
        let metaPath = path + "/" + IndexMeta.fileName
        guard Posix.fileExists(metaPath).exists else {
            throw IndexError(.notAnIndex, path: path, "holds no meta.json: not a Sparrow index (or its build never finished)")
        }
        let body = try MetaEnvelope.unwrap(try Posix.readFile(metaPath), path: metaPath)
        let meta: IndexMeta
        do {
            meta = try JSONDecoder().decode(IndexMeta.self, from: Data(body))
        } catch {
            throw IndexError(.corrupt, path: metaPath, "cannot be read as Sparrow index metadata (\(describe(error)))")
        }
        guard meta.format == IndexMeta.formatName else {
            throw IndexError(.notAnIndex, path: metaPath, "format is \"\(meta.format)\", not \"\(IndexMeta.formatName)\"")
        }
        guard meta.minReaderVersion <= IndexMeta.currentVersion else {
            throw IndexError(.unsupportedVersion, path: metaPath,
                "index needs a reader of format \(meta.minReaderVersion) or later; this build reads up to \(IndexMeta.currentVersion)")
        }
        guard meta.codec == IndexMeta.currentCodec else {
            throw IndexError(.unsupportedVersion, path: metaPath, "unknown posting codec \"\(meta.codec)\"")
        }
        var names = Set<String>()
        for seg in meta.segments {
            let deleted = seg.deleted ?? 0
            guard seg.name.hasPrefix("seg-"), !seg.name.contains("/"), !seg.name.contains("."), names.insert(seg.name).inserted,
                  seg.documents >= 0, seg.terms >= 0, seg.postings >= 0, deleted >= 0, deleted <= seg.documents,
                  (deleted > 0) == (seg.deletionGeneration != nil), (seg.deletionGeneration ?? 0) >= 0
            else { throw IndexError(.corrupt, path: metaPath, "segment entry \"\(seg.name)\" is inconsistent") }
        }
        guard meta.documents == meta.segments.reduce(0, { $0 + $1.liveDocuments }),
              meta.terms == meta.segments.reduce(0, { $0 + $1.terms }),
              meta.postings == meta.segments.reduce(0, { $0 + $1.postings })
        else { throw IndexError(.corrupt, path: metaPath, "segment entries disagree with the index totals") }
        return meta
    }

    /// A segment of an opened index with its deletions.
    public struct StoredSegment: @unchecked Sendable {
        public let meta: IndexMeta.SegmentMeta
        public let segment: Segment
        public let deletions: Deletions?
    }

    /// Opens the index at `path`: reads `meta.json`, maps every segment's files read-only and
    /// validates them.
    ///
    /// With `verifyChecksums` (the default) every file's CRC-32 is recomputed, which reads each
    /// byte once; posting lists are not decoded either way. A commit that replaces `meta.json`
    /// while the files are being opened is retried, so readers may open while a writer commits.
    public static func open(_ path: String, verifyChecksums: Bool = true) throws -> (meta: IndexMeta, segments: [StoredSegment]) {
        var attempt = 0
        while true {
            let meta = try readMeta(path)
            do {
                let segments = try meta.segments.map { seg in
                    try StoredSegment(meta: seg, segment: openSegment(path, seg, meta: meta, verifyChecksums: verifyChecksums),
                                      deletions: openDeletions(path, seg, verifyChecksum: verifyChecksums))
                }
                return (meta, segments)
            } catch let error as IndexError {
                // A file vanished under us: a writer committed meanwhile and removed it.
                attempt += 1
                guard attempt < 5, (try? readMeta(path)) != meta else { throw error }
            }
        }
    }

    /// Maps the deletion file of `seg`, if it has one.
    static func openDeletions(_ path: String, _ seg: IndexMeta.SegmentMeta, verifyChecksum: Bool) throws -> Deletions? {
        guard let generation = seg.deletionGeneration else { return nil }
        return try Deletions.open(path: path + "/" + Deletions.fileName(segment: seg.name, generation: generation),
                                  documentCount: seg.documents, expectedCount: seg.deleted ?? 0, verifyChecksum: verifyChecksum)
    }

    /// Maps and validates the files of one segment.
    public static func openSegment(_ path: String, _ seg: IndexMeta.SegmentMeta, meta: IndexMeta,
                            verifyChecksums: Bool) throws -> Segment {
        let base = path + "/" + seg.name + "."
        let rangeSize = meta.rangeSize ?? 0
        let hasClusters = meta.settings.hasClusters(documents: seg.documents)
        let files = try SegmentFiles.present(ranges: rangeSize > 0, frequencies: meta.text != nil,
                                             clusters: hasClusters).map { (f) throws -> MappedFile in
            try MappedFile(path: base + f.suffix, expectedKind: f.kind, verifyChecksum: verifyChecksums)
        }
        let (post, terms, docs) = (files[0], files[1], files[2])
        let postings = PostingLists(
            offsets: try post.section(SegmentFiles.postingOffsets, as: UInt64.self),
            docs: try post.section(SegmentFiles.postingDocs, as: UInt32.self),
            weights: try post.section(SegmentFiles.postingWeights, as: Float.self),
            maxWeights: try post.section(SegmentFiles.maxWeights, as: Float.self))
        let vocabulary = StringTable(
            offsets: try terms.section(SegmentFiles.termOffsets, as: UInt64.self),
            bytes: try terms.section(SegmentFiles.termBytes, as: UInt8.self))
        let ids = StringTable(
            offsets: try docs.section(SegmentFiles.idOffsets, as: UInt64.self),
            bytes: try docs.section(SegmentFiles.idBytes, as: UInt8.self))
        let texts = StringTable(
            offsets: try docs.section(SegmentFiles.textOffsets, as: UInt64.self),
            bytes: try docs.section(SegmentFiles.textBytes, as: UInt8.self))

        // Cheap structure checks (per term and per document, never per posting): after these,
        // no offset read at query time can leave its buffer.
        try expect(postings.docs.count == seg.postings && postings.weights.count == seg.postings,
                   post.path, "holds \(postings.docs.count) postings, meta.json says \(seg.postings)")
        try expect(postings.maxWeights.count == seg.terms && postings.offsets.count == seg.terms + 1,
                   post.path, "posting offsets do not cover \(seg.terms) terms")
        try checkOffsets(postings.offsets, total: seg.postings, path: post.path, what: "posting list")
        try expect(vocabulary.offsets.count == seg.terms + 1, terms.path, "vocabulary does not hold \(seg.terms) terms")
        try checkOffsets(vocabulary.offsets, total: vocabulary.bytes.count, path: terms.path, what: "token")
        try expect(ids.offsets.count == seg.documents + 1 && texts.offsets.count == seg.documents + 1,
                   docs.path, "document table does not hold \(seg.documents) documents")
        try checkOffsets(ids.offsets, total: ids.bytes.count, path: docs.path, what: "document id")
        try checkOffsets(texts.offsets, total: texts.bytes.count, path: docs.path, what: "document text")
        var idOrder: UnsafeBufferPointer<UInt32>?
        if docs.hasSection(SegmentFiles.idOrder) {
            let order = try docs.section(SegmentFiles.idOrder, as: UInt32.self)
            try expect(order.count == seg.documents, docs.path, "id order does not hold \(seg.documents) documents")
            // Every entry must be a document number: a lookup reads the id it names.
            try expect(order.allSatisfy { Int($0) < seg.documents }, docs.path, "id order names a document past the end")
            idOrder = order
        }
        // Document numbers index the score accumulators and the document table. A verified checksum
        // vouches for the bytes we wrote; without one, every number is checked (one pass over the
        // postings), so a damaged number is an error and never a write out of bounds.
        if !verifyChecksums {
            guard postings.docs.allSatisfy({ Int($0) < seg.documents }) else {
                throw IndexError.corrupt(path: post.path, "a posting names a document past the segment's \(seg.documents)")
            }
            post.releasePages()
        }
        let storage = HeapStorage()
        let blockMax = try openBlockMax(post, postings: postings, meta: meta, storage: storage)
        let ranges = rangeSize > 0
            ? try openRanges(files[3], postings: postings, documents: seg.documents, rangeSize: rangeSize) : nil
        let clusters = hasClusters
            ? try ClusteredIndex.open(files.last!, postings: postings, documents: seg.documents, checkEntries: !verifyChecksums) : nil
        var frequencies: TermFrequencies?
        if meta.text != nil, let file = files.first(where: { $0.kind == SegmentFiles.frequencies.kind }) {
            let f = TermFrequencies(frequencies: try file.section(SegmentFiles.termFrequencies, as: UInt32.self),
                                    lengths: try file.section(SegmentFiles.documentLengths, as: UInt32.self))
            try expect(f.frequencies.count == seg.postings && f.lengths.count == seg.documents, file.path,
                       "holds \(f.frequencies.count) frequencies and \(f.lengths.count) lengths for \(seg.postings) postings and \(seg.documents) documents")
            frequencies = f
        }
        return Segment(postings: postings, blockMax: blockMax, ranges: ranges, vocabulary: vocabulary,
                       documentIDs: ids, documentTexts: texts, frequencies: frequencies, clusters: clusters, idOrder: idOrder,
                       owner: MappedFileSet(files, storage))
    }

    /// The block-max table of a postings file; format 1 files have none, so it is computed.
    private static func openBlockMax(_ file: MappedFile, postings: PostingLists, meta: IndexMeta,
                                     storage: HeapStorage) throws -> BlockMaxTable {
        guard file.hasSection(SegmentFiles.blockOffsets) else {
            try expect(file.version == 1, file.path, "block-max table is missing")
            return BlockMaxTable.build(postings, blockSize: BlockMaxTable.defaultBlockSize, storage: storage)
        }
        guard let blockSize = meta.blockSize, blockSize >= 1 else {
            throw IndexError.corrupt(path: file.path, "meta.json gives no block size for the block-max table")
        }
        let table = BlockMaxTable(
            blockSize: blockSize,
            offsets: try file.section(SegmentFiles.blockOffsets, as: UInt64.self),
            lastDocs: try file.section(SegmentFiles.blockLastDocs, as: UInt32.self),
            maxWeights: try file.section(SegmentFiles.blockMaxWeights, as: Float.self))
        try expect(table.offsets.count == postings.termCount + 1, file.path, "block table does not cover every term")
        try checkOffsets(table.offsets, total: table.lastDocs.count, path: file.path, what: "block")
        try expect(table.maxWeights.count == table.lastDocs.count, file.path, "block tables differ in length")
        for t in 0..<postings.termCount {
            let blocks = BlockMaxTable.blockCount(postings: postings.range(of: TermID(t)).count, blockSize: blockSize)
            try expect(table.range(of: TermID(t)).count == blocks, file.path, "term \(t) has the wrong number of blocks")
        }
        return table
    }

    /// The BMP range index; checks run per term and per range, never per posting.
    private static func openRanges(_ file: MappedFile, postings: PostingLists, documents: Int,
                                   rangeSize: Int) throws -> RangeIndex {
        try expect(RangeIndex.allowedRangeSizes.contains(rangeSize), file.path, "range size \(rangeSize) is out of bounds")
        let r = RangeIndex(
            rangeSize: rangeSize,
            termOffsets: try file.section(SegmentFiles.rangeTermOffsets, as: UInt64.self),
            termRanges: try file.section(SegmentFiles.rangeTermRanges, as: UInt32.self),
            termRangeMax: try file.section(SegmentFiles.rangeTermMax, as: UInt8.self),
            termRangeStarts: try file.section(SegmentFiles.rangeTermStarts, as: UInt32.self),
            termScale: try file.section(SegmentFiles.rangeTermScale, as: Float.self),
            rangeEntryOffsets: try file.section(SegmentFiles.rangeEntryOffsets, as: UInt64.self),
            rangePostingOffsets: try file.section(SegmentFiles.rangePostingOffsets, as: UInt64.self),
            entryTerms: try file.section(SegmentFiles.rangeEntryTerms, as: UInt32.self),
            entryStarts: try file.section(SegmentFiles.rangeEntryStarts, as: UInt32.self),
            postingDocs: try file.section(SegmentFiles.rangePostingDocs, as: UInt8.self),
            postingWeights: try file.section(SegmentFiles.rangePostingWeights, as: Float.self))
        let ranges = (documents + rangeSize - 1) / rangeSize
        let entries = r.termRanges.count
        try expect(r.termOffsets.count == postings.termCount + 1 && r.termScale.count == postings.termCount,
                   file.path, "range maxima do not cover every term")
        try checkOffsets(r.termOffsets, total: entries, path: file.path, what: "term range")
        try expect(r.termRangeMax.count == entries && r.termRangeStarts.count == entries && r.entryTerms.count == entries && r.entryStarts.count == entries,
                   file.path, "range index tables differ in length")
        try expect(r.rangeEntryOffsets.count == ranges + 1 && r.rangePostingOffsets.count == ranges + 1,
                   file.path, "range index does not hold \(ranges) ranges")
        try checkOffsets(r.rangeEntryOffsets, total: entries, path: file.path, what: "range entry")
        try checkOffsets(r.rangePostingOffsets, total: postings.docs.count, path: file.path, what: "range posting")
        try expect(r.postingDocs.count == postings.docs.count && r.postingWeights.count == postings.docs.count,
                   file.path, "range index holds the wrong number of postings")
        return r
    }

    static func expect(_ ok: Bool, _ path: String, _ detail: @autoclosure () -> String) throws {
        if !ok { throw IndexError.corrupt(path: path, detail()) }
    }

    static func checkOffsets(_ offsets: UnsafeBufferPointer<UInt64>, total: Int, path: String,
                                     what: String) throws {
        guard let first = offsets.first, first == 0 else { throw IndexError.corrupt(path: path, "\(what) offsets do not start at 0") }
        var previous: UInt64 = 0
        for (i, o) in offsets.enumerated() {
            guard o >= previous else { throw IndexError.corrupt(path: path, "\(what) offsets decrease at entry \(i)") }
            previous = o
        }
        guard previous == UInt64(total) else {
            throw IndexError.corrupt(path: path, "\(what) offsets end at \(previous), the data has \(total) entries")
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        default: return "\(error)"
        }
    }
}

/// Keeps the mapped files of an opened segment alive.
final class MappedFileSet {
    let files: [MappedFile]
    let computed: HeapStorage
    init(_ files: [MappedFile], _ computed: HeapStorage) {
        self.files = files
        self.computed = computed
    }
}

// The sections each derived table is stored as: one list serves the writer and `check`.
extension BlockMaxTable {
    var sections: [SectionSource] {
        [SectionSource(SegmentFiles.blockOffsets, offsets),
         SectionSource(SegmentFiles.blockLastDocs, lastDocs),
         SectionSource(SegmentFiles.blockMaxWeights, maxWeights)]
    }
}

extension RangeIndex {
    var sections: [SectionSource] {
        [SectionSource(SegmentFiles.rangeTermOffsets, termOffsets),
         SectionSource(SegmentFiles.rangeTermRanges, termRanges),
         SectionSource(SegmentFiles.rangeTermMax, termRangeMax),
         SectionSource(SegmentFiles.rangeTermScale, termScale),
         SectionSource(SegmentFiles.rangeTermStarts, termRangeStarts),
         SectionSource(SegmentFiles.rangeEntryOffsets, rangeEntryOffsets),
         SectionSource(SegmentFiles.rangePostingOffsets, rangePostingOffsets),
         SectionSource(SegmentFiles.rangeEntryTerms, entryTerms),
         SectionSource(SegmentFiles.rangeEntryStarts, entryStarts),
         SectionSource(SegmentFiles.rangePostingDocs, postingDocs),
         SectionSource(SegmentFiles.rangePostingWeights, postingWeights)]
    }
}

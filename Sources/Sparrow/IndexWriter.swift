import Foundation
import SparrowIndex
import Synchronization

/// How a live collection takes writes.
public struct WriterOptions: Sendable, Equatable {
    /// When the write-ahead log is forced to disk (see ``FsyncPolicy``); `always` by default.
    public var fsync: FsyncPolicy
    /// The buffer of new documents is flushed to a new segment (a commit) once it holds this many.
    public var flushDocuments: Int
    /// … or once its postings, ids and texts take about this many bytes.
    public var flushBytes: Int
    /// Segments of about the same size are merged once there are this many of them (a tiered
    /// policy, as Lucene's and tantivy's: each document is rewritten O(log n) times).
    public var mergeFactor: Int
    /// Whether commits merge segments by that policy (``IndexWriter/compact()`` always can).
    public var merges: Bool

    public init(fsync: FsyncPolicy = .always, flushDocuments: Int = 100_000, flushBytes: Int = 256 << 20,
                mergeFactor: Int = 8, merges: Bool = true) {
        self.fsync = fsync
        self.flushDocuments = flushDocuments
        self.flushBytes = flushBytes
        self.mergeFactor = mergeFactor
        self.merges = merges
    }

    /// A sentence naming the first invalid setting, or nil.
    public var problem: String? {
        if flushDocuments < 1 { return "the flush size must be at least 1 document, not \(flushDocuments)" }
        if flushBytes < 1 { return "the flush size must be at least 1 byte, not \(flushBytes)" }
        if mergeFactor < 2 { return "the merge factor must be at least 2, not \(mergeFactor)" }
        return nil
    }
}

/// What an upsert did.
public struct UpsertResult: Sendable, Equatable {
    /// Documents whose id was new.
    public var added: Int
    /// Documents that replaced a live document with the same id.
    public var replaced: Int

    public init(added: Int, replaced: Int) {
        self.added = added
        self.replaced = replaced
    }
}

/// A live collection: an index directory that takes inserts, upserts and deletes while it is
/// searched.
///
/// Every acknowledged batch is first appended to the write-ahead log (`wal.log`), then applied to
/// an in-memory buffer of small segments that searches see at once. A commit, made by
/// ``commit()``, by ``close()`` or when the buffer reaches ``WriterOptions/flushDocuments`` or
/// ``WriterOptions/flushBytes``, writes the buffer as a new segment plus new generations of the
/// deletion files, replaces `meta.json` and empties the log; a tiered policy then merges
/// segments of similar size. Opening replays the log past the last commit, so a crash loses no
/// acknowledged write. One writer may hold a directory (a `write.lock`); any number of
/// ``SearchIndex`` snapshots may be searched concurrently, from any thread: a write replaces the
/// published snapshot (a pointer swap) and never blocks a search.
///
/// ```swift
/// let writer = try IndexWriter.open(at: "/tmp/live", creating: IndexSettings())
/// try writer.upsert([writer.prepare(VectorRecord(id: "d1", tokens: ["sparrow"], weights: [1.5], text: "A sparrow."))])
/// print(try writer.snapshot.search(VectorRecord(id: "q", tokens: ["sparrow"], weights: [1]), k: 10).map(\.id))
/// _ = try writer.delete(ids: ["d1"])
/// try writer.close()
/// ```
public final class IndexWriter: @unchecked Sendable {
    /// The index directory.
    public let path: String
    public let options: WriterOptions
    /// Problems found and repaired when the collection was opened (a torn log tail).
    public let warnings: [String]

    private let lock: DirectoryLock
    private let log: WriteAheadLog
    private let writeLock = Mutex<Void>(())
    private let published: Mutex<SearchIndex>
    private let encoderCache = Mutex<SpladeEncoder?>(nil)
    // Guarded by writeLock.
    private var settings: IndexSettings
    private var entries: [Entry]
    private var opstamp: UInt64
    /// The last operation the committed `meta.json` contains.
    private var committedOpstamp: UInt64
    private var bufferedDocuments = 0
    private var bufferedBytes = 0
    private var closed = false
    /// Segments a background merge is rewriting, and the name its output will have.
    private var merging: (sources: Set<String>, output: String)?
    /// Problems of background merges (each abandoned; the segments stay as they were).
    private var mergeProblems: [String] = []
    private var mergesCompleted = 0
    private let merges = DispatchGroup()
    /// Query scratch memory every published snapshot shares.
    private let scratch = ScratchPool()

    /// One segment of the collection: committed (with a name) or in the buffer.
    struct Entry {
        var name: String?
        var segment: Segment
        var deletions: Deletions?
        var generation: Int?
        var deletionsChanged = false
        var view: SegmentView { SegmentView(segment, deletions: deletions) }
    }

    // MARK: Opening

    /// Opens the collection at `path` for writing, replaying its write-ahead log. A directory
    /// without an index is created as an empty collection with `settings` (required then; ignored
    /// for an existing collection, whose settings are its own).
    ///
    /// Throws when another writer holds the directory, when the index is corrupt, or when
    /// `settings` are needed and absent.
    public static func open(at path: String, creating settings: IndexSettings? = nil,
                            options: WriterOptions = WriterOptions()) throws -> IndexWriter {
        if let problem = options.problem { throw IndexError(.invalidArgument, path: path, problem) }
        if !IndexDirectory.holdsIndex(path) {
            guard let settings else {
                throw IndexError(.notFound, path: path, "holds no index; give settings to create a collection there")
            }
            if let problem = settings.problem { throw IndexError(.invalidArgument, path: path, problem) }
            try IndexDirectory.prepareDirectory(path)
        }
        let lock = try DirectoryLock(directory: path)
        var meta: IndexMeta
        var stored: [IndexDirectory.StoredSegment] = []
        if IndexDirectory.holdsIndex(path) {
            (meta, stored) = try IndexDirectory.open(path)
        } else {
            meta = IndexMeta(settings: settings!, segments: [], opstamp: 0)
            try IndexDirectory.commit(meta, to: path, newSegments: [], newDeletions: [])
        }
        IndexDirectory.removeUnreferencedFiles(path, meta: meta)
        let logPath = path + "/" + WriteAheadLog.fileName
        var scan = WriteAheadLog.Scan(records: [], validLength: 0, tornTail: nil)
        if IndexDirectory.exists(logPath) { scan = try WriteAheadLog.scan(path: logPath) }
        var warnings: [String] = []
        if let tail = scan.tornTail {
            warnings.append("\(logPath): \(tail); cut off (it held no acknowledged write)")
        }
        let log = try WriteAheadLog(path: logPath, validLength: scan.validLength, policy: options.fsync)
        let writer = IndexWriter(path: path, options: options, warnings: warnings, lock: lock, log: log,
                                 settings: meta.settings, opstamp: meta.opstamp ?? 0,
                                 entries: stored.map { Entry(name: $0.meta.name, segment: $0.segment, deletions: $0.deletions,
                                                             generation: $0.meta.deletionGeneration) })
        try writer.writeLock.withLock { _ in
            for (stamp, operation) in scan.records where stamp > writer.opstamp {
                try writer.apply(operation)
                writer.opstamp = stamp
            }
            writer.publish()
        }
        return writer
    }

    private init(path: String, options: WriterOptions, warnings: [String], lock: DirectoryLock, log: WriteAheadLog,
                 settings: IndexSettings, opstamp: UInt64, entries: [Entry]) {
        self.path = path
        self.options = options
        self.warnings = warnings
        self.lock = lock
        self.log = log
        self.settings = settings
        self.opstamp = opstamp
        self.committedOpstamp = opstamp
        self.entries = entries
        // Published by `open` once the log is replayed (a text collection's snapshot costs a pass
        // over its postings).
        self.published = Mutex(SearchIndex(views: [], settings: settings, scratch: scratch))
    }

    /// The collection as it is now: every acknowledged write is in it. Searching it never waits
    /// for a writer.
    public var snapshot: SearchIndex { published.withLock { $0 } }

    /// The collection's settings.
    public var collectionSettings: IndexSettings { snapshot.settings }

    // MARK: Preparing documents

    /// A sparse-vector document for this collection (which must hold vectors).
    public func prepare(_ record: VectorRecord) -> PreparedDocument {
        PreparedDocument(id: record.id, tokens: record.tokens, weights: record.weights, text: record.text)
    }

    /// A text document for this collection: analysed with its analyzer in a text (BM25)
    /// collection, encoded with its recorded model in a collection Sparrow encodes.
    public func prepare(id: String, text: String) throws -> PreparedDocument {
        try prepare(texts: [(id, text)])[0]
    }

    /// Text documents for this collection (see ``prepare(id:text:)``); a SPLADE collection encodes
    /// them on `threads` threads with the model it records, loaded on first use.
    public func prepare(texts: [(id: String, text: String)],
                        threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [PreparedDocument] {
        try collectionSettings.prepare(texts: texts, path: path, threads: threads, encoder: recordedEncoder)
    }

    /// The SPLADE model a collection Sparrow encodes records, loaded once.
    public func recordedEncoder() throws -> SpladeEncoder {
        try encoderCache.withLock { cached in
            if let cached { return cached }
            let encoder = try SpladeEncoder.recorded(collectionSettings.encoder, path: path)
            cached = encoder
            return encoder
        }
    }

    // MARK: Writing

    /// Inserts documents; a document whose id the collection already holds, or that repeats an id
    /// of the batch, rejects the whole batch (use ``upsert(_:source:lines:)`` to replace).
    ///
    /// The batch is checked, logged and applied as one: on any error nothing is applied. Errors
    /// name `source` and the document's line (`lines[i]`, or its position + 1).
    public func add(_ documents: [PreparedDocument], source: String = "<batch>", lines: [Int]? = nil) throws {
        _ = try write(documents, insertOnly: true, source: source, lines: lines)
    }

    /// Inserts documents, replacing any live document with the same id (delete + insert). The
    /// batch is checked, logged and applied as one.
    @discardableResult
    public func upsert(_ documents: [PreparedDocument], source: String = "<batch>", lines: [Int]? = nil) throws -> UpsertResult {
        try write(documents, insertOnly: false, source: source, lines: lines)
    }

    /// Deletes the live documents with these ids and returns how many there were; ids the
    /// collection does not hold are not an error.
    @discardableResult
    public func delete(ids: [String]) throws -> Int {
        try writeLock.withLock { _ in
            try requireOpen()
            let found = liveDocuments(ids)
            guard !found.isEmpty else { return 0 }
            try log.append(.delete(ids), opstamp: opstamp + 1)
            opstamp += 1
            markDeleted(found)
            publish()
            return found.count
        }
    }

    private func write(_ documents: [PreparedDocument], insertOnly: Bool, source: String, lines: [Int]?) throws -> UpsertResult {
        try writeLock.withLock { _ in
            try requireOpen()
            for (i, d) in documents.enumerated() where d.id.isEmpty || d.id.contains(where: \.isWhitespace) {
                throw InputError(path: source, line: lines?[i] ?? i + 1, field: "id",
                                 problem: d.id.isEmpty ? "empty id" : "id \"\(d.id)\" contains whitespace")
            }
            guard !documents.isEmpty else { return UpsertResult(added: 0, replaced: 0) }
            let segment = try SearchIndex.buildSegment(documents, settings: settings, path: source, lines: lines)
            let replaced = liveDocuments(documents.map(\.id))
            if insertOnly, let first = replaced.first {
                let i = documents.firstIndex { ExactString($0.id) == ExactString(first.id) }!
                throw InputError(path: source, line: lines?[i] ?? i + 1, field: "id",
                                 problem: "id \"\(first.id)\" is already in the collection (upsert replaces a document)")
            }
            try log.append(.upsert(documents), opstamp: opstamp + 1)
            opstamp += 1
            markDeleted(replaced)
            try appendToBuffer(segment)
            publish()
            if bufferedDocuments >= options.flushDocuments || bufferedBytes >= options.flushBytes { try commitLocked() }
            return UpsertResult(added: documents.count - replaced.count, replaced: replaced.count)
        }
    }

    /// Applies a logged operation while the log is replayed.
    private func apply(_ operation: LogOperation) throws {
        switch operation {
        case .upsert(let documents):
            let segment = try SearchIndex.buildSegment(documents, settings: settings, path: log.path)
            markDeleted(liveDocuments(documents.map(\.id)))
            try appendToBuffer(segment)
        case .delete(let ids):
            markDeleted(liveDocuments(ids))
        }
    }

    /// Adds a batch's segment to the buffer.
    private func appendToBuffer(_ segment: Segment) throws {
        entries.append(Entry(name: nil, segment: segment, deletions: nil, generation: nil))
        bufferedDocuments += segment.documentCount
        bufferedBytes += Self.bytes(of: segment)
        try consolidateBuffer()
    }

    /// The live documents with these ids (each found once), in the order of `ids`.
    private func liveDocuments(_ ids: [String]) -> [(id: String, entry: Int, doc: Int)] {
        var seen = Set<ExactString>()
        return ids.compactMap { id in
            guard seen.insert(ExactString(id)).inserted, let (e, d) = locate(id) else { return nil }
            return (id, e, d)
        }
    }

    /// Marks documents deleted, one new bitmap per segment.
    private func markDeleted(_ documents: [(id: String, entry: Int, doc: Int)]) {
        for (e, docs) in Dictionary(grouping: documents, by: \.entry) {
            let segment = entries[e].segment
            let numbers = docs.map(\.doc)
            let updated = entries[e].deletions.map { $0.deleting(numbers) }
                ?? Deletions.of(documentCount: segment.documentCount, deleting: numbers)
            if let updated {
                entries[e].deletions = updated
                entries[e].deletionsChanged = true
            }
        }
    }

    /// The entry and document number of the live document with id `id`.
    private func locate(_ id: String) -> (entry: Int, doc: Int)? {
        for e in entries.indices.reversed() {
            if let d = entries[e].segment.document(withID: id), !(entries[e].deletions?.contains(Int(d.rawValue)) ?? false) {
                return (e, Int(d.rawValue))
            }
        }
        return nil
    }

    /// Keeps the buffer to a few segments with the same tiered policy as committed segments: once
    /// eight buffered segments are of a similar size they are merged into one, so each buffered
    /// document is rewritten O(log n) times before the buffer is committed.
    private func consolidateBuffer() throws {
        while true {
            let buffered = entries.indices.filter { entries[$0].name == nil }
            guard buffered.count > 8,
                  let picked = TieredMergePolicy(factor: 8).choose(buffered.map { entries[$0].view }) else { return }
            let chosen = picked.map { buffered[$0] }
            let merged = try SegmentMerger.merge(chosen.map { entries[$0].view }, settings: settings)
            entries = replacing(chosen, with: merged.documentCount > 0 ? Entry(name: nil, segment: merged, deletions: nil, generation: nil) : nil)
        }
    }

    static func bytes(of segment: Segment) -> Int {
        segment.postingCount * 8 + segment.documentIDs.bytes.count + segment.documentTexts.bytes.count + segment.documentCount * 16
    }

    private func requireOpen() throws {
        if closed { throw IndexError(.invalidArgument, path: path, "the writer is closed") }
    }

    private func publish() {
        let index = SearchIndex(views: entries.map(\.view), settings: settings, scratch: scratch)
        published.withLock { $0 = index }
    }

    // MARK: Committing and merging

    /// Writes the buffer as a new segment and every changed deletion bitmap as a new generation,
    /// replaces `meta.json`, empties the log, then merges segments as the policy says.
    public func commit() throws {
        try writeLock.withLock { _ in
            try requireOpen()
            try commitLocked()
        }
    }

    /// Merges every segment into one, dropping deleted documents (after a commit, and after any
    /// background merge has finished).
    public func compact() throws {
        merges.wait()
        try writeLock.withLock { _ in
            try requireOpen()
            try commitLocked(merging: false)
            if entries.count > 1 || entries.contains(where: { $0.deletions != nil }) {
                try merge(Array(entries.indices))
                mergesCompleted += 1
            }
        }
    }

    /// Rebuilds every segment's clustered layout with `clustered` (nil: no layout, exact search
    /// only), and keeps the settings for the segments flushed and merged afterwards: how to try
    /// other layout settings on a collection without indexing it again.
    ///
    /// It commits first and waits for background merges. Each segment is then rewritten under a
    /// new name whose postings, terms, documents and deletions are the old files under a second
    /// name (hard links, so the disk needs room only for the new clusters files and the build's
    /// scratch files), and one commit replaces them all; the old names, and the old clusters
    /// files with them, are removed by that commit. A crash or an error before it leaves the
    /// collection as it was, and searches go on meanwhile; writes wait.
    ///
    /// ```swift
    /// let writer = try IndexWriter.open(at: "/tmp/live")
    /// try writer.changeLayout(to: ClusterSettings(postingsPerTerm: 12_000))
    /// try writer.close()
    /// ```
    public func changeLayout(to clustered: ClusterSettings?) throws {
        merges.wait()
        try writeLock.withLock { _ in
            try requireOpen()
            var changed = settings
            changed.clustered = clustered
            if let problem = changed.problem { throw IndexError(.invalidArgument, path: path, problem) }
            try commitLocked(merging: false)
            var next = entries
            var made: [String] = []
            do {
                for i in next.indices {
                    let name = IndexDirectory.newSegmentName()
                    made.append(name)
                    let seg = try IndexDirectory.relayoutSegment(next[i].segment, from: next[i].name!, generation: next[i].generation,
                                                                 to: name, settings: changed, in: path)
                    next[i].name = name
                    next[i].segment = try IndexDirectory.openWritten(path, seg, settings: changed)
                }
            } catch {
                for name in made { IndexDirectory.removeSegmentFiles(path, name: name) }
                throw error
            }
            let previous = settings
            settings = changed
            do {
                try write(next, newSegments: [])
            } catch {
                settings = previous
                throw error
            }
        }
    }

    /// Commits, lets the merges the policy then wants finish, and releases the directory. The
    /// writer refuses writes afterwards.
    public func close() throws {
        try writeLock.withLock { _ in
            guard !closed else { return }
            try commitLocked()
        }
        merges.wait()
        try writeLock.withLock { _ in
            guard !closed else { return }
            try commitLocked(merging: false)
            try log.sync()
            closed = true
            lock.release()
        }
    }

    /// Waits until no background merge is running.
    public func waitForMerges() { merges.wait() }

    /// Why background merges were abandoned, if any was (the collection is unaffected).
    public var mergeWarnings: [String] { writeLock.withLock { _ in mergeProblems } }

    /// What the writer is doing, for monitoring: log size, merges done and running.
    public struct Activity: Sendable, Equatable {
        /// Bytes in the write-ahead log (what a restart would replay).
        public var logBytes: Int
        /// Documents written since the last commit (in the in-memory buffer).
        public var bufferedDocuments: Int
        /// Background merges installed since the writer opened (compactions included).
        public var mergesCompleted: Int
        /// Whether a background merge is running.
        public var merging: Bool
    }

    /// A consistent reading of ``Activity``.
    public var activity: Activity {
        writeLock.withLock { _ in
            Activity(logBytes: log.size, bufferedDocuments: bufferedDocuments, mergesCompleted: mergesCompleted, merging: merging != nil)
        }
    }

    private func commitLocked(merging: Bool = true) throws {
        let buffered = entries.indices.filter { entries[$0].name == nil }
        let changed = entries.contains { $0.deletionsChanged }
        if !buffered.isEmpty || changed || !log.isEmpty {
            var newSegments: [(name: String, segment: Segment)] = []
            var next = entries.filter { $0.name != nil }
            if !buffered.isEmpty {
                let views = buffered.map { entries[$0].view }
                if views.count == 1 && views[0].deletions == nil {
                    let name = IndexDirectory.newSegmentName()
                    newSegments.append((name, views[0].segment))
                    next.append(Entry(name: name, segment: views[0].segment, deletions: nil, generation: nil))
                } else if let merged = try writeMerged(views) {
                    next.append(Entry(name: merged.name, segment: merged.segment, deletions: nil, generation: nil))
                }
            }
            try write(next, newSegments: newSegments)
            bufferedDocuments = 0
            bufferedBytes = 0
        }
        if merging { scheduleMerge() }
    }

    /// Starts a background merge when the policy picks segments and none is running. It rewrites
    /// them on its own thread, then installs the result (carrying over deletions made meanwhile)
    /// in a commit; writes go on in the meantime, and searches are never held up.
    private func scheduleMerge() {
        guard options.merges, !closed, merging == nil else { return }
        let committed = entries.indices.filter { entries[$0].name != nil }
        guard let picked = TieredMergePolicy(factor: options.mergeFactor).choose(committed.map { entries[$0].view }) else { return }
        let sources = picked.map { (name: entries[committed[$0]].name!, view: entries[committed[$0]].view) }
        let output = IndexDirectory.newSegmentName()
        merging = (Set(sources.map(\.name)), output)
        merges.enter()
        // The merge thread holds the writer only while the merge runs, and lets go of it before
        // `waitForMerges` returns: a writer dropped after waiting releases its lock at once, so the
        // directory can be opened again straight away. The thread runs at nice +10, so that a
        // merge yields the CPU to searches and writes: it is the work that can wait.
        let group = merges
        let thread = Thread { [weak self] in
            ThreadPriority.lowerCurrentThread(to: 10)
            self?.runMerge(sources, output: output)
            group.leave()
        }
        thread.name = "sparrow.merge"
        thread.start()
    }

    private func runMerge(_ sources: [(name: String, view: SegmentView)], output: String) {
        var merged: Segment?
        var problem: String?
        do {
            if let seg = try SegmentMerger.write(sources.map(\.view), settings: settings, directory: path, name: output) {
                merged = try IndexDirectory.openWritten(path, seg, settings: settings)
            }
        } catch {
            problem = "\(error)"
        }
        let documentCount = merged?.documentCount ?? 0
        writeLock.withLock { _ in
            let positions = sources.map { s in entries.firstIndex { $0.name == s.name } }
            guard problem == nil, !closed, positions.allSatisfy({ $0 != nil }) else {
                if let problem { mergeProblems.append("merge abandoned: \(problem)") }
                IndexDirectory.removeSegmentFiles(path, name: output)
                merging = nil
                return
            }
            // Documents deleted while the merge ran are deleted in its output too.
            var newlyDeleted: [Int] = []
            var number = 0
            for (source, position) in zip(sources, positions) {
                let before = source.view.deletions
                let now = entries[position!].deletions
                for d in 0..<source.view.segment.documentCount where !(before?.contains(d) ?? false) {
                    if now?.contains(d) ?? false { newlyDeleted.append(number) }
                    number += 1
                }
            }
            let deletions = Deletions.of(documentCount: documentCount, deleting: newlyDeleted)
            let next = replacing(positions.map { $0! }, with: merged.map {
                Entry(name: output, segment: $0, deletions: deletions, generation: nil, deletionsChanged: deletions != nil)
            })
            do {
                try write(next, newSegments: [])
            } catch {
                mergeProblems.append("merge abandoned: \(error)")
                IndexDirectory.removeSegmentFiles(path, name: output)
                merging = nil
                return
            }
            merging = nil
            mergesCompleted += 1
            scheduleMerge()
        }
    }

    /// Commits `next` as the collection's segments (writing `newSegments`, which are in memory, and
    /// changed deletions), then makes it the writer's state, with every new segment mapped from its
    /// file. A merge's output is already mapped: the merge wrote its files and opened them.
    ///
    /// When `next` still has buffered segments (a merge installed while writes go on), the commit
    /// names only the committed segments and records the previous commit's operation number, and
    /// the log is kept: replaying it over the new commit gives the same collection, because the
    /// deletions this commit already holds come from logged operations that delete the same
    /// documents again.
    private func write(_ next: [Entry], newSegments: [(name: String, segment: Segment)]) throws {
        var next = next
        var deletionFiles: [(segment: String, generation: Int, deletions: Deletions)] = []
        for i in next.indices where next[i].deletionsChanged && next[i].name != nil {
            if let deletions = next[i].deletions {
                next[i].generation = (next[i].generation ?? 0) + 1
                deletionFiles.append((next[i].name!, next[i].generation!, deletions))
            }
        }
        var text = settings.text
        if let t = text { text = t.with(TextReweighting.statistics(of: next.filter { $0.name != nil }.map(\.view))) }
        var commitSettings = settings
        commitSettings.text = text
        let flushed = !next.contains { $0.name == nil }
        let metas = next.filter { $0.name != nil }.map { e in
            IndexMeta.SegmentMeta(name: e.name!, documents: e.segment.documentCount, terms: e.segment.termCount,
                                  postings: e.segment.postingCount, deleted: e.deletions.map(\.count),
                                  deletionGeneration: e.deletions != nil ? e.generation : nil)
        }
        let meta = IndexMeta(settings: commitSettings, segments: metas, opstamp: flushed ? opstamp : committedOpstamp)
        try IndexDirectory.commit(meta, to: path, newSegments: newSegments, newDeletions: deletionFiles,
                                  protecting: merging.map { [$0.output] } ?? [])
        if flushed {
            try log.reset()
            committedOpstamp = opstamp
        }
        // New segments are read back from their files, so the heap copies are freed.
        for i in next.indices {
            if next[i].name != nil { next[i].deletionsChanged = false }
            if let name = next[i].name, newSegments.contains(where: { $0.name == name }),
               let seg = metas.first(where: { $0.name == name }) {
                next[i].segment = try IndexDirectory.openSegment(path, seg, meta: meta, verifyChecksums: false)
            }
        }
        entries = next
        publish()
    }

    /// Merges the segments at `chosen` (committed) into one, placed where the first was, and commits.
    private func merge(_ chosen: [Int]) throws {
        let merged = try writeMerged(chosen.map { entries[$0].view })
        let next = replacing(chosen, with: merged.map { Entry(name: $0.name, segment: $0.segment, deletions: nil, generation: nil) })
        try write(next, newSegments: [])
    }

    /// Merges `views` into a new segment's files (not yet committed) and maps it; nil when no
    /// document of them is live.
    private func writeMerged(_ views: [SegmentView]) throws -> (name: String, segment: Segment)? {
        let name = IndexDirectory.newSegmentName()
        guard let seg = try SegmentMerger.write(views, settings: settings, directory: path, name: name) else { return nil }
        do {
            return (name, try IndexDirectory.openWritten(path, seg, settings: settings))
        } catch {
            IndexDirectory.removeSegmentFiles(path, name: name)
            throw error
        }
    }

    /// The entries with those at `chosen` replaced by `merged`, placed where the first of them was
    /// (and left out when the merge kept no document).
    private func replacing(_ chosen: [Int], with merged: Entry?) -> [Entry] {
        var next: [Entry] = []
        for (i, e) in entries.enumerated() {
            if i == chosen[0], let merged { next.append(merged) }
            if !chosen.contains(i) { next.append(e) }
        }
        return next
    }
}

/// Which segments to merge: segments are put in tiers by live size (a tier spans a factor of
/// `factor`), and once a tier holds `factor` segments they are merged. A segment more than a fifth
/// of whose documents are deleted is rewritten on its own (as Lucene's default allows 20 % deleted):
/// deleted documents still cost a search their postings, and a stream of upserts that replaces
/// documents otherwise leaves a large segment half dead for a long time.
struct TieredMergePolicy {
    var factor: Int

    func choose(_ views: [SegmentView]) -> [Int]? {
        if let sparse = views.indices.first(where: { (views[$0].deletions?.count ?? 0) * 5 > views[$0].segment.documentCount }) {
            return [sparse]
        }
        var tiers: [Int: [Int]] = [:]
        for (i, v) in views.enumerated() {
            var tier = 0
            var size = max(v.liveCount, 1)
            while size >= factor {
                size /= factor
                tier += 1
            }
            tiers[tier, default: []].append(i)
        }
        for tier in tiers.keys.sorted() where tiers[tier]!.count >= factor {
            return Array(tiers[tier]!.prefix(factor))
        }
        return nil
    }
}

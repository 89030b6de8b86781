import ArgumentParser
import Foundation
import Sparrow

/// `--fsync always|none|interval:MS`.
extension FsyncPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { ["always", "interval:MS", "none"] }
}

/// Options of commands that write to a live collection.
struct WriterOptionGroup: ParsableArguments {
    @Option(name: .long, help: "When the write-ahead log is forced to disk: always (every batch survives a power failure), interval:MS, or none (a process crash still loses nothing).")
    var fsync: FsyncPolicy = .always

    @Option(name: .long, help: "Documents per log record and acknowledgement.")
    var batch = 10_000

    @Option(name: .long, help: "Commit the buffer as a segment once it holds about this many MiB (postings, ids, texts).")
    var memory = WriterOptions().flushBytes >> 20

    @Flag(name: .long, help: "Commits do not merge segments (sparrow compact still does).")
    var noMerges = false

    /// The buffer is committed by size (--memory) alone, not by a document count.
    var options: WriterOptions { WriterOptions(fsync: fsync, flushDocuments: .max, flushBytes: memory << 20, merges: !noMerges) }

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard memory >= 1 else { throw ValidationError("--memory must be at least 1 (MiB)") }
    }
}

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add documents to a collection, replacing those whose id it already holds (upsert).",
        discussion: """
            Reads the whole input first: a bad line rejects the file with its line and field, and
            nothing is applied. Then the documents are written in batches of --batch, each logged to
            the write-ahead log before it is applied, and committed at the end. A collection that
            holds vectors takes {"id", "vector"} lines; a text (BM25) collection and a collection
            Sparrow encodes take text lines (BEIR {"_id", "title", "text"}, {"id", "text"} or
            id<TAB>text), analysed or encoded as the collection records.

            When --index names no collection yet, one is created: vectors by default, or with
            --text, --encoder and the build options of sparrow index.

            Examples:
              sparrow add --index /tmp/live --input Examples/toy/documents.jsonl
              sparrow add --index /tmp/live-bm25 --text --input ../shared/data/scifact/corpus.jsonl.gz
            """
    )

    @Option(name: .long, help: "The collection directory (created when absent).")
    var index: String

    @Option(name: .shortAndLong, help: "Documents, one JSON object per line (.jsonl, .jsonl.gz or .tsv for text).")
    var input: String

    @OptionGroup var writer: WriterOptionGroup
    @OptionGroup(title: "A new collection") var collection: CollectionOptions

    func run() throws {
        let start = ContinuousClock.now
        try reportingErrors {
            let created = try IndexWriter.openOrCreate(index, collection: collection, options: writer.options)
            let settings = created.snapshot.settings
            let isText = settings.text != nil || settings.encoder != nil
            // First pass: every line parses and no id repeats, so a bad file applies nothing.
            var seen: [ExactString: Int] = [:]
            func checkID(_ id: String, _ line: Int) throws {
                if let first = seen.updateValue(line, forKey: ExactString(id)) {
                    throw InputError(path: input, line: line, field: "id", problem: "duplicate id \"\(id)\" (first used on line \(first))")
                }
            }
            if isText {
                try TextRecordReader.forEach(path: input) { r, line in try checkID(r.id, line) }
            } else {
                try forEachVectorRecord(inFile: input) { r, line in try checkID(r.id, line) }
            }
            seen = [:]
            // Second pass: batches of --batch documents, each prepared, logged and applied as it is read.
            var result = UpsertResult(added: 0, replaced: 0)
            var batch: [(id: String, text: String?, vector: VectorRecord?, line: Int)] = []
            func flush() throws {
                guard !batch.isEmpty else { return }
                let documents = isText
                    ? try created.prepare(texts: batch.map { ($0.id, $0.text!) })
                    : batch.map { created.prepare($0.vector!) }
                let r = try created.upsert(documents, source: input, lines: batch.map(\.line))
                result.added += r.added
                result.replaced += r.replaced
                batch.removeAll(keepingCapacity: true)
            }
            if isText {
                try TextRecordReader.forEach(path: input) { r, line in
                    batch.append((r.id, r.text, nil, line))
                    if batch.count >= writer.batch { try flush() }
                }
            } else {
                try forEachVectorRecord(inFile: input) { r, line in
                    batch.append((r.id, nil, r, line))
                    if batch.count >= writer.batch { try flush() }
                }
            }
            try flush()
            try created.close()
            let after = created.snapshot
            print("added \(result.added), replaced \(result.replaced) documents in \(formatted(seconds(since: start), decimals: 2)) s; "
                + "\(index) holds \(after.documentCount) documents in \(after.segmentCount) segment(s)")
        }
    }
}

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete documents from a collection by id.",
        discussion: """
            Ids the collection does not hold are not an error; the command says how many documents
            it deleted. Deleted documents stop matching at once and are dropped from the files by
            the next merge (sparrow compact merges everything).

            Examples:
              sparrow delete --index /tmp/live --id 3 --id 7
              sparrow delete --index /tmp/live --ids ids.txt
            """
    )

    @Option(name: .shortAndLong, help: "The collection directory.")
    var index: String

    @Option(name: .long, help: "An id to delete (repeatable).")
    var id: [String] = []

    @Option(name: .long, help: "A file of ids to delete, one per line.")
    var ids: String?

    @OptionGroup var writer: WriterOptionGroup

    func validate() throws {
        guard !id.isEmpty || ids != nil else { throw ValidationError("give --id ID (repeatable) or --ids FILE") }
    }

    func run() throws {
        try reportingErrors {
            var all = id
            if let ids {
                guard let data = FileManager.default.contents(atPath: ids) else {
                    throw InputError(path: ids, line: 0, problem: "cannot be read: \(String(cString: strerror(errno)))")
                }
                all += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let collection = try IndexWriter.open(at: index, options: writer.options)
            let deleted = try collection.delete(ids: all)
            try collection.close()
            print("deleted \(deleted) of \(all.count) ids; \(index) holds \(collection.snapshot.documentCount) documents")
        }
    }
}

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Merge a collection's segments into one, dropping deleted documents.",
        discussion: """
            Example:
              sparrow compact /tmp/live
            """
    )

    @OptionGroup var location: IndexLocation

    func run() throws {
        let dir = location.directory
        try reportingErrors {
            let collection = try IndexWriter.open(at: dir)
            let before = collection.snapshot
            try collection.compact()
            try collection.close()
            let after = collection.snapshot
            print("compacted \(dir): \(before.segmentCount) segment(s) with \(before.deletedCount) deleted documents -> "
                + "\(after.segmentCount) segment(s), \(after.documentCount) documents")
        }
    }
}

struct RelayoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relayout",
        abstract: "Rebuild the clustered layout of a collection's segments with new settings, or drop it.",
        discussion: """
            Keeps the documents, postings and deletions (the new segment files are hard links to the
            old), builds each segment's clusters file with the layout options given (--layout
            inverted drops the layout), and records the settings for later flushes and merges. One
            commit replaces the old segments; until then the collection is as it was. The disk needs
            room for the new clusters files and the build's scratch files beside the old ones; to
            make room first, drop the layout and then build the new one.

            Example:
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-relayout
              sparrow relayout /tmp/toy-relayout --layout clustered --cluster-min-documents 0 --postings-per-term 2
              sparrow search --index /tmp/toy-relayout --query '{"manhattan": 1.5, "project": 1.0}' --recall 0.95 -k 3
              sparrow relayout /tmp/toy-relayout --layout inverted
            """
    )

    @OptionGroup var location: IndexLocation
    @OptionGroup(title: "The new layout") var layout: LayoutOptions

    func validate() throws {
        if layout.layout == nil { throw ValidationError("give the new layout: --layout clustered (with its options) or --layout inverted (none).") }
    }

    func run() throws {
        let dir = location.directory
        try reportingErrors {
            let collection = try IndexWriter.open(at: dir)
            try collection.changeLayout(to: layout.settings)
            try collection.close()
            let snapshot = collection.snapshot
            print("relaid out \(dir): \(snapshot.segmentCount) segment(s), \(snapshot.documentCount) documents; "
                + (snapshot.settings.clustered == nil ? "no clustered layout"
                   : "clustered layout in \(snapshot.clusteredSegmentCount) segment(s)"))
        }
    }
}

extension IndexWriter {
    /// Opens the collection at `path`, creating it with `collection`'s settings when absent;
    /// prints what opening repaired.
    static func openOrCreate(_ path: String, collection: CollectionOptions, options: WriterOptions) throws -> IndexWriter {
        let settings: IndexSettings? = SearchIndex.holdsIndex(at: path) ? nil : try collection.settings()
        let writer = try IndexWriter.open(at: path, creating: settings, options: options)
        for w in writer.warnings { printError("warning: \(w)") }
        return writer
    }
}

import SparrowIndex

extension SearchIndex {
    /// The memory budget of a build written to disk when none is given: 1 GiB.
    public static let defaultBuildMemory = 1 << 30

    /// Builds the index at `path` from a sparse-vector JSONL file (plain or gzip) in about
    /// `memory` bytes, however large the input.
    ///
    /// Documents are gathered in memory until building them would reach the budget, then written
    /// as a segment; at the end the segments are merged into one, streaming from the written files
    /// into the index's (``SegmentMerger``), so peak memory stays near the budget while the input
    /// grows. An input that fits is built in memory and written, as ``build(fromVectorFile:options:progress:)``
    /// and ``write(to:)`` would. The result is the same index either way, with one exception:
    /// `reorder` then orders documents within each part rather than across the whole input.
    ///
    /// Errors are those of the in-memory build (the first bad line, with its file, line and field;
    /// an id used twice, with both lines); any index at `path` is replaced only when the new one is
    /// complete, and a failed build leaves no file behind.
    ///
    /// ```swift
    /// let meta = try SearchIndex.build(fromVectorFile: "docs.jsonl", to: "/tmp/index", memory: 512 << 20)
    /// print(meta.documents, meta.segments.count)   // …, 1
    /// ```
    @discardableResult
    public static func build(
        fromVectorFile input: String, to path: String, options: BuildOptions = BuildOptions(),
        memory: Int = defaultBuildMemory, progress: ((BuildProgress) -> Void)? = nil
    ) throws -> IndexMeta {
        try validate(options)
        return try SegmentedBuild.run(path: path, source: input, settings: IndexSettings(options), memory: memory,
                                      locate: { id in try vectorLines(of: id, in: input) }) { build in
            var parts = VectorParts(build)
            var fraction = 0.0
            try forEachVectorRecord(inFile: input, progress: { f in
                fraction = f
                progress?(BuildProgress(documents: parts.documentCount, postings: 0, fraction: f))
            }) { record, line in
                try parts.add(record, line: line, path: input)
            }
            progress?(BuildProgress(documents: parts.documentCount, postings: 0, fraction: max(fraction, 1)))
            return parts.finish()
        }
    }

    /// Builds the index at `path` from a text file by encoding every document with `encoder` on
    /// `threads` threads, in about `memory` bytes, as ``build(fromVectorFile:to:options:memory:progress:)``
    /// does; the index records the encoder (see ``build(fromTextFile:encoder:model:threads:options:progress:)``).
    @discardableResult
    public static func build(
        fromTextFile input: String, to path: String, encoder: SpladeEncoder, model: String, threads: Int = 2,
        options: BuildOptions = BuildOptions(), memory: Int = defaultBuildMemory,
        progress: ((BuildProgress) -> Void)? = nil
    ) throws -> IndexMeta {
        try validate(options)
        let settings = IndexSettings(options, encoder: encoder.info(model: model))
        return try SegmentedBuild.run(path: path, source: input, settings: settings, memory: memory,
                                      locate: { id in try textLines(of: id, in: input) }) { build in
            var parts = VectorParts(build)
            try forEachEncodedDocument(in: input, encoder: encoder, threads: threads, progress: { f in
                progress?(BuildProgress(documents: parts.documentCount, postings: 0, fraction: f))
            }) { record, line in
                try parts.add(record, line: line, path: input)
            }
            return parts.finish()
        }
    }

    /// Builds the BM25 index at `path` from a text file in about `memory` bytes, as
    /// ``build(fromVectorFile:to:options:memory:progress:)`` does for vectors. Each part is
    /// weighted over its own documents; the merge recomputes every weight over the whole
    /// collection, so scores equal those of ``build(fromTextFile:text:options:progress:)``.
    @discardableResult
    public static func build(
        fromTextFile input: String, to path: String, text: TextIndexOptions = TextIndexOptions(),
        options: BuildOptions = BuildOptions(), memory: Int = defaultBuildMemory,
        progress: ((BuildProgress) -> Void)? = nil
    ) throws -> IndexMeta {
        try validate(options, text: true)
        if let problem = text.bm25.problem { throw IndexError(.invalidArgument, path: "", problem) }
        let settings = IndexSettings(options, text: TextWeighting(analyzer: text.analyzer, bm25: text.bm25))
        return try SegmentedBuild.run(path: path, source: input, settings: settings, memory: memory,
                                      locate: { id in try textLines(of: id, in: input) }) { build in
            var documents: [PreparedDocument] = []
            var lines: [Int] = []
            var bytes = 0
            var done = 0
            var fraction = 0.0
            try explainingVectors(in: input, "not text: index it as vectors (sparrow index without --text)") {
                try TextRecordReader.forEach(path: input, progress: { f in
                    fraction = f
                    progress?(BuildProgress(documents: done + documents.count, postings: 0, fraction: f))
                }) { record, line in
                    let d = text.analyzer.prepare(id: record.id, text: record.text, storeText: text.storeText)
                    // A prepared document's strings and arrays, and the segment built from it.
                    bytes += 160 + d.id.utf8.count + (d.text?.utf8.count ?? 0) * 2 + d.tokens.count * 64
                    documents.append(d)
                    lines.append(line)
                    if bytes >= build.partBytes {
                        done += documents.count
                        try build.flush(buildSegment(documents, settings: build.partSettings, path: input, lines: lines))
                        (documents, lines, bytes) = ([], [], 0)
                    }
                }
            }
            progress?(BuildProgress(documents: done + documents.count, postings: 0, fraction: max(fraction, 1)))
            var last = build.partSettings
            last.rangeSize = build.lastOptions.rangeSize
            return try buildSegment(documents, settings: last, path: input, lines: lines)
        }
    }

    /// The lines of the first two documents of a vector file with id `id`.
    static func vectorLines(of id: String, in path: String) throws -> [Int] {
        var lines: [Int] = []
        try forEachVectorRecord(inFile: path) { record, line in
            if record.id == id && lines.count < 2 { lines.append(line) }
        }
        return lines
    }

    /// The lines of the first two documents of a text file with id `id`.
    static func textLines(of id: String, in path: String) throws -> [Int] {
        var lines: [Int] = []
        try TextRecordReader.forEach(path: path) { record, line in
            if record.id == id && lines.count < 2 { lines.append(line) }
        }
        return lines
    }
}

/// Vector documents gathered into parts of a ``SegmentedBuild``.
struct VectorParts {
    let build: SegmentedBuild
    private var builder = IndexBuilder()
    private var lines: [Int32] = []   // line of each document of the part, for duplicate-id messages
    private var flushed = 0

    init(_ build: SegmentedBuild) { self.build = build }

    /// Documents added so far.
    var documentCount: Int { flushed + builder.documentCount }

    /// Adds a document, writing the part out when it reaches the budget.
    mutating func add(_ record: VectorRecord, line: Int, path: String) throws {
        try SearchIndex.add(record, line: line, path: path, to: &builder, lines: &lines)
        if builder.estimatedPeakBytes >= build.partBytes {
            flushed += builder.documentCount
            try build.flush(SearchIndex.finish(&builder, build.partSettings.buildOptions))
            lines.removeAll()
        }
    }

    /// The segment of the documents not yet written.
    mutating func finish() -> Segment { SearchIndex.finish(&builder, build.lastOptions) }
}

/// A build written to disk in parts that each fit a memory budget, merged into one segment at the
/// end. The parts are segment files in the index directory that no commit names until the merged
/// segment replaces the index, so a reader never sees them and a failed build removes them.
final class SegmentedBuild {
    let path: String
    let source: String
    let settings: IndexSettings
    /// The settings parts are built with: no range index and no clustered layout (the merged
    /// segment gets them; a part's would be built only to be thrown away by the merge).
    let partSettings: IndexSettings
    /// Build a part while its estimated peak stays below this many bytes.
    let partBytes: Int
    private let memory: Int
    private var parts: [IndexMeta.SegmentMeta] = []

    /// Memory the process uses besides a part's build (code, buffers, the merge's tables): this
    /// much, or half of a smaller budget.
    static let reserve = 96 << 20
    /// The smallest budget accepted (a test may use one this small to make many parts).
    static let minimumMemory = 64 << 10

    private init(path: String, source: String, settings: IndexSettings, memory: Int) throws {
        guard memory >= Self.minimumMemory else {
            throw IndexError(.invalidArgument, path: "", "the memory budget must be at least 64 KiB, not \(memory) bytes")
        }
        self.path = path
        self.source = source
        self.settings = settings
        var part = settings
        part.rangeSize = 0
        part.clustered = nil
        partSettings = part
        partBytes = memory - min(Self.reserve, memory / 2)
        self.memory = memory
        try IndexDirectory.prepareDirectory(path)
    }

    /// Runs a build: `body` flushes parts as it goes and returns the segment of the documents
    /// still in memory; `locate` finds the lines of an id two parts share.
    static func run(path: String, source: String, settings: IndexSettings, memory: Int,
                    locate: (String) throws -> [Int], _ body: (SegmentedBuild) throws -> Segment) throws -> IndexMeta {
        let build = try SegmentedBuild(path: path, source: source, settings: settings, memory: memory)
        do {
            try build.finish(try body(build), locate: locate)
        } catch {
            build.discard()
            throw error
        }
        return try IndexDirectory.readMeta(path)
    }

    /// The options of the segment `body` returns: a part's when parts were written, otherwise the
    /// index's own (it becomes the index as it is).
    var lastOptions: BuildOptions { parts.isEmpty ? settings.buildOptions : partSettings.buildOptions }

    /// Writes `segment` as the next part.
    func flush(_ segment: Segment) throws {
        guard segment.documentCount > 0 else { return }
        let name = IndexDirectory.newSegmentName()
        parts.append(IndexDirectory.segmentMeta(name, segment))
        try IndexDirectory.writeSegment(segment, name: name, settings: partSettings, to: path)
    }

    private func finish(_ last: Segment, locate: (String) throws -> [Int]) throws {
        if parts.isEmpty {
            try IndexDirectory.write(last, settings: withStatistics([SegmentView(last, deletions: nil)]), to: path)
            return
        }
        try flush(last)
        let views = try parts.map { SegmentView(try IndexDirectory.openWritten(path, $0, settings: partSettings), deletions: nil) }
        do {
            // A range window of about a third of the budget (13 bytes a posting at most).
            try IndexDirectory.write(merging: views, settings: withStatistics(views), to: path,
                                     rangeWindowPostings: max(1 << 10, partBytes / 3 / 13))
        } catch let duplicate as SegmentMerger.DuplicateID {
            let lines = try locate(duplicate.id)
            throw InputError(path: source, line: lines.last ?? 0, field: "id",
                             problem: "duplicate id \"\(duplicate.id)\" (first used on line \(lines.first ?? 0))")
        }
    }

    /// The settings of the index, with the text statistics of `views` in a text collection.
    private func withStatistics(_ views: [SegmentView]) -> IndexSettings {
        var s = settings
        if let text = s.text { s.text = text.with(TextReweighting.statistics(of: views)) }
        return s
    }

    /// Removes the parts' files.
    private func discard() {
        for part in parts { IndexDirectory.removeSegmentFiles(path, name: part.name) }
    }
}

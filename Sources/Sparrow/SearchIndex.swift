import SparrowIndex
import Synchronization
import SparrowQuery

/// A searchable index: the segments of a collection at one moment, with their deletions.
///
/// An index built in memory or opened from disk is one; ``IndexWriter/snapshot`` gives one of a
/// live collection. It never changes: writes made later are seen by later snapshots only.
///
/// ```swift
/// import Sparrow
///
/// let built = try SearchIndex.build(fromVectorFile: "Examples/toy/documents.jsonl")
/// try built.write(to: "/tmp/toy-index")
/// let index = try SearchIndex.open(at: "/tmp/toy-index")
/// let query = try SparseQuery(json: #"{"brother": 2.4, "son": 1.6}"#)
/// for hit in try index.search(query, k: 3) {
///     print(hit.rank, hit.id, hit.score)
/// }
/// ```
public final class SearchIndex: @unchecked Sendable {
    /// The segments as searched (for a text collection, with the collection's BM25 weights).
    let segments: SegmentSearch
    /// The segments with the weights they store (for a text collection, each its own BM25).
    let storedViews: [SegmentView]
    /// What holds for every segment.
    public let settings: IndexSettings
    /// Query working memory, reused across searches (one per concurrent search); a writer hands
    /// the same pool to every snapshot it publishes, so a write does not cost the next searches
    /// fresh accumulators.
    private let scratchPool: ScratchPool

    /// An index over `views`; a text collection's segments are given the collection's BM25 weights
    /// (those of `global` for a shard of a larger collection).
    init(views: [SegmentView], settings: IndexSettings, scratch: ScratchPool = ScratchPool(), global: CorpusStatistics? = nil) {
        storedViews = views
        scratchPool = scratch
        var settings = settings
        if let text = settings.text {
            let stats = TextReweighting.statistics(of: views)
            settings.text = text.with(global?.statistics ?? stats)
            segments = SegmentSearch(TextReweighting.reweight(views, text: text, stats: stats, settings: settings, global: global))
        } else {
            segments = SegmentSearch(views)
        }
        self.settings = settings
    }

    // MARK: Sharded text collections

    /// The BM25 statistics of this text collection's live documents, with each term's document
    /// frequency: sum them over the shards of a sharded collection (``CorpusStatistics/+(_:_:)``)
    /// and give the sum to each shard with ``sharing(_:)``. Throws for a collection of vectors.
    public func corpusStatistics() throws -> CorpusStatistics {
        try requireText()
        return TextReweighting.corpusStatistics(of: storedViews)
    }

    /// This shard of a text collection scored with the whole collection's statistics, so that its
    /// scores are those of one index holding every shard's documents.
    ///
    /// ```swift
    /// let total = try shards.map { try $0.corpusStatistics() }.reduce(CorpusStatistics(), +)
    /// let hits = try shards.flatMap { try $0.sharing(total).search(text: "sparrow nests", k: 10) }
    /// ```
    public func sharing(_ global: CorpusStatistics) throws -> SearchIndex {
        try requireText()
        if let problem = global.problem { throw IndexError(.invalidArgument, path: "", problem) }
        return SearchIndex(views: storedViews, settings: settings, scratch: scratchPool, global: global)
    }

    private func requireText() throws {
        guard settings.text != nil else {
            throw IndexError(.invalidArgument, path: "", "collection statistics are BM25's; this collection holds vectors, not text")
        }
    }

    convenience init(segment: Segment, settings: IndexSettings) {
        self.init(views: [SegmentView(segment, deletions: nil)], settings: settings)
    }

    /// The number of live documents.
    public var documentCount: Int { segments.views.reduce(0) { $0 + $1.liveCount } }
    /// The number of distinct terms (summed over segments when there are several).
    public var termCount: Int { segments.views.reduce(0) { $0 + $1.segment.termCount } }
    /// The number of postings, deleted documents' included until a merge drops them.
    public var postingCount: Int { segments.views.reduce(0) { $0 + $1.segment.postingCount } }
    /// The number of segments.
    public var segmentCount: Int { segments.views.count }
    /// The number of deleted documents whose postings are still stored.
    public var deletedCount: Int { segments.views.reduce(0) { $0 + ($1.deletions?.count ?? 0) } }

    // MARK: Building

    /// Builds an index in memory from a sparse-vector JSONL file (plain or gzip).
    ///
    /// The first bad line stops the build with an ``InputError`` naming the file, the line and the
    /// field; nothing is written anywhere.
    /// `options` sets the block size, the BMP range size and document reordering; an invalid
    /// option throws ``IndexError`` (`invalidArgument`) before any input is read.
    public static func build(
        fromVectorFile path: String,
        options: BuildOptions = BuildOptions(),
        progress: ((BuildProgress) -> Void)? = nil
    ) throws -> SearchIndex {
        try validate(options)
        var builder = IndexBuilder()
        var lines: [Int32] = []   // line of each document, for duplicate-id messages
        var fraction = 0.0
        try forEachVectorRecord(inFile: path, progress: { f in
            fraction = f
            progress?(BuildProgress(documents: builder.documentCount, postings: builder.postingCount, fraction: f))
        }) { record, line in
            try add(record, line: line, path: path, to: &builder, lines: &lines)
        }
        progress?(BuildProgress(documents: builder.documentCount, postings: builder.postingCount, fraction: max(fraction, 1)))
        return SearchIndex(segment: finish(&builder, options), settings: IndexSettings(options))
    }

    /// Builds an index in memory from records (document order = sequence order).
    public static func build(records: some Sequence<VectorRecord>, source: String = "<records>",
                             options: BuildOptions = BuildOptions()) throws -> SearchIndex {
        try validate(options)
        var builder = IndexBuilder()
        var lines: [Int32] = []
        for (i, record) in records.enumerated() {
            try add(record, line: i + 1, path: source, to: &builder, lines: &lines)
        }
        return SearchIndex(segment: finish(&builder, options), settings: IndexSettings(options))
    }

    /// Finishes `builder`, leaving an empty one behind, so the finished builder's buffers are
    /// uniquely owned and ``IndexBuilder/finish(_:)`` can release them as it goes.
    static func finish(_ builder: inout IndexBuilder, _ options: BuildOptions) -> Segment {
        var taken = IndexBuilder()
        swap(&taken, &builder)
        return taken.finish(options)
    }

    static func validate(_ options: BuildOptions, text: Bool = false) throws {
        if let problem = options.problem { throw IndexError(.invalidArgument, path: "", problem) }
        if text, options.clustered != nil { throw IndexError(.invalidArgument, path: "", IndexSettings.textClusteredProblem) }
    }

    static func add(_ record: VectorRecord, line: Int, path: String, to builder: inout IndexBuilder,
                            lines: inout [Int32]) throws(InputError) {
        try reportProblems(line: line, path: path, lines: &lines) { () throws(IndexBuilder.Problem) in
            try builder.add(id: record.id, tokens: record.tokens, weights: record.weights, text: record.text)
        }
    }

    /// Runs one `IndexBuilder.add`, turning its refusal into an ``InputError`` at `path:line`.
    static func reportProblems(line: Int, path: String, lines: inout [Int32],
                               _ add: () throws(IndexBuilder.Problem) -> Void) throws(InputError) {
        do {
            try add()
            lines.append(Int32(clamping: line))
        } catch {
            throw inputError(error, path: path, line: line, lineOfDocument: { [lines] in Int(lines[$0]) })
        }
    }

    /// The input error for a document the builder refused, at `path:line`; `lineOfDocument` gives
    /// the line of an earlier document by its number (for duplicate ids).
    static func inputError(_ problem: IndexBuilder.Problem, path: String, line: Int,
                           lineOfDocument: (Int) -> Int) -> InputError {
        switch problem {
        case .duplicateID(let id, let first):
            return InputError(path: path, line: line, field: "id",
                              problem: "duplicate id \"\(id)\" (first used on line \(lineOfDocument(first)))")
        case .duplicateToken(let token):
            return InputError(path: path, line: line, field: "vector.\(token)", problem: "token appears twice in the vector")
        case .invalidWeight(let token, let w):
            return InputError(path: path, line: line, field: "vector.\(token)", problem: "weight \(w) is not finite and non-negative")
        case .tooManyDocuments:
            return InputError(path: path, line: line, problem: "too many documents for one index (limit \(DocID.maxValid))")
        case .missingFrequencies:
            return InputError(path: path, line: line, field: "vector", problem: "tokens, weights and frequencies differ in number")
        }
    }

    /// Writes the index to the directory `path`, replacing any index there atomically: readers
    /// and crashes see the old index or the new one, never a mix. An index of several segments or
    /// with deletions is merged into one segment first.
    public func write(to path: String) throws {
        let views = segments.views
        if views.count == 1 && views[0].deletions == nil {
            try IndexDirectory.write(views[0].segment, settings: settings, to: path)
        } else {
            try IndexDirectory.write(merging: storedViews, settings: settings, to: path)
        }
    }


    // MARK: Opening

    /// Opens the index in directory `path`, memory-mapping its files (the last commit: a live
    /// collection's writes that are only in its write-ahead log are not seen; open it with
    /// ``IndexWriter`` to replay them).
    ///
    /// Every file's checksum is verified unless `verifyChecksums` is false (then every posting's
    /// document number is checked instead, so a damaged file cannot make a search read or write
    /// out of bounds); posting lists are not decoded. A corrupt or foreign index throws
    /// ``IndexError``.
    public static func open(at path: String, verifyChecksums: Bool = true) throws -> SearchIndex {
        let opened = try IndexDirectory.open(path, verifyChecksums: verifyChecksums)
        return SearchIndex(views: opened.segments.map { SegmentView($0.segment, deletions: $0.deletions) },
                           settings: opened.meta.settings)
    }

    /// The files (besides `meta.json` and the write-ahead log) that the commit `meta` consists of.
    public static func files(of meta: IndexMeta) -> [String] { IndexDirectory.files(of: meta) }

    /// Whether `path` holds an index (a collection's `meta.json`).
    public static func holdsIndex(at path: String) -> Bool { IndexDirectory.holdsIndex(path) }

    /// Reads an index's `meta.json` without opening its files.
    public static func meta(at path: String) throws -> IndexMeta {
        try IndexDirectory.readMeta(path)
    }

    /// Checks every checksum and structural invariant of the index at `path`, its deletion files
    /// and its write-ahead log.
    ///
    /// For an index built from text this includes recomputing every BM25 weight from the stored
    /// term frequencies, document lengths and settings.
    public static func check(at path: String) -> IndexCheckReport {
        var report = IndexDirectory.check(path)
        guard report.isSound, let opened = try? IndexDirectory.open(path, verifyChecksums: false),
              let text = opened.meta.text else { return report }
        for stored in opened.segments {
            report.problems += textWeightProblems(stored.segment, text: text).map { "segment \(stored.meta.name): \($0)" }
        }
        let stats = TextReweighting.statistics(of: opened.segments.map { SegmentView($0.segment, deletions: $0.deletions) })
        if stats.documentsWithTerms != text.documentsWithTerms || stats.totalTermCount != text.totalTermCount {
            report.problems.append("meta.json says \(text.documentsWithTerms) live documents with \(text.totalTermCount) terms; "
                                   + "the segments hold \(stats.documentsWithTerms) with \(stats.totalTermCount)")
        }
        return report
    }

    // MARK: Searching

    /// The top `k` documents for a query by dot product: exact, highest score first, ties to the
    /// document indexed first (in segment order; within a segment, input order unless the index
    /// was built with `--reorder`). Tokens the index does not know match nothing.
    ///
    /// `algorithm` picks the query algorithm (all return the same documents); nil lets the index
    /// choose (``Algorithm/auto(for:)``). Throws ``IndexError`` with code `invalidArgument` when
    /// `k < 1`, a weight is negative or not finite, or the algorithm needs a structure this index
    /// was built without.
    ///
    /// `approximation` trades recall for speed: the `clustered` algorithm's `queryCut` and
    /// `heapFactor`, BMP's `alpha` and `beta` (see ``Approximation``). ``search(_:k:recall:)``
    /// picks them from a recall floor.
    public func search(_ query: SparseQuery, k: Int = 10, algorithm: Algorithm? = nil,
                       approximation: Approximation = .exact) throws -> [SearchHit] {
        var stats = QueryStats()
        return try search(query, k: k, algorithm: algorithm, approximation: approximation, stats: &stats)
    }

    /// Approximate search holding a recall floor: the algorithm and knobs of
    /// ``Approximation/preset(recall:)`` (0.90, 0.95 or 0.99), measured as recall@10 against
    /// exhaustive search. Segments without the clustered layout (``BuildOptions/clustered``) are
    /// searched exactly, so on an index without it this is exact search.
    ///
    /// ```swift
    /// let hits = try index.search(query, k: 10, recall: 0.95)
    /// ```
    public func search(_ query: SparseQuery, k: Int = 10, recall: Double) throws -> [SearchHit] {
        let (algorithm, approximation) = try Self.preset(recall: recall)
        return try search(query, k: k, algorithm: algorithm, approximation: approximation)
    }

    /// The algorithm and knobs of the recall preset `recall`, or an ``IndexError`` naming the presets.
    public static func preset(recall: Double) throws -> (Algorithm, Approximation) {
        guard let preset = Approximation.preset(recall: recall) else {
            throw IndexError(.invalidArgument, path: "",
                "no preset for recall \(recall); the presets are \(Approximation.presetRecalls.map { String($0) }.joined(separator: ", "))")
        }
        return preset
    }

    /// Searches with the vector of a query-file row (see ``search(_:k:algorithm:approximation:)``).
    public func search(_ query: VectorRecord, k: Int = 10, algorithm: Algorithm? = nil,
                       approximation: Approximation = .exact) throws -> [SearchHit] {
        try search(query.query, k: k, algorithm: algorithm, approximation: approximation)
    }

    /// ``search(_:k:algorithm:approximation:)`` with a query-file row, reporting the work done.
    public func search(_ query: VectorRecord, k: Int, algorithm: Algorithm?, approximation: Approximation = .exact,
                       stats: inout QueryStats) throws -> [SearchHit] {
        try search(query.query, k: k, algorithm: algorithm, approximation: approximation, stats: &stats)
    }

    /// ``search(_:k:algorithm:approximation:)`` that also reports the work done (postings, and
    /// ranges or blocks, scored).
    public func search(_ query: SparseQuery, k: Int, algorithm: Algorithm?, approximation: Approximation = .exact,
                       stats: inout QueryStats) throws -> [SearchHit] {
        guard k >= 1 else { throw IndexError(.invalidArgument, path: "", "k must be at least 1, not \(k)") }
        if let algorithm { try requireSupport(for: algorithm) }
        if let problem = approximation.problem { throw IndexError(.invalidArgument, path: "", problem) }
        guard query.tokens.count == query.weights.count else {
            throw IndexError(.invalidArgument, path: "", "the query has \(query.tokens.count) tokens and \(query.weights.count) weights")
        }
        if let bad = query.weights.indices.first(where: { !(query.weights[$0].isFinite && query.weights[$0] >= 0) }) {
            throw IndexError(.invalidArgument, path: "",
                "query weight of \"\(query.tokens[bad])\" is \(query.weights[bad]); weights must be finite and non-negative")
        }
        let scratch = scratchPool.take()
        defer { scratchPool.give(back: scratch) }
        let hits = segments.search(tokens: query.tokens, weights: query.weights, k: k, algorithm: algorithm,
                                   approximation: approximation, scratch: scratch)
        stats = scratch.stats
        return hits.enumerated().map { i, hit in
            let (s, local) = segments.locate(hit.doc)
            return SearchHit(rank: i + 1, doc: hit.doc, id: segments.views[s].segment.externalID(of: local), score: hit.score)
        }
    }

    /// The algorithm a search without one runs on this index.
    public var defaultAlgorithm: Algorithm { segments.views.first.map { .auto(for: $0.segment) } ?? .exhaustiveTAAT }

    /// Whether this index has what `algorithm` needs.
    public func supports(_ algorithm: Algorithm) -> Bool {
        switch algorithm {
        case .bmp, .rangeTAAT: settings.rangeSize > 0 && segments.views.allSatisfy { algorithm.isAvailable(on: $0.segment) }
        default: true
        }
    }

    /// Throws ``IndexError`` (`invalidArgument`) saying how to rebuild the index when it lacks what
    /// `algorithm` needs.
    public func requireSupport(for algorithm: Algorithm) throws {
        guard supports(algorithm) else {
            throw IndexError(.invalidArgument, path: "",
                "algorithm \(algorithm.rawValue) needs a range index, which this index was built without; "
                + "rebuild it with a range size (sparrow index --range-size 32)")
        }
    }

    /// How many of the segments have the clustered layout (the `clustered` algorithm searches the
    /// others exactly).
    public var clusteredSegmentCount: Int { segments.views.filter { $0.segment.clusters != nil }.count }


    /// The query tokens no segment of this index knows (they cannot match).
    public func unknownTokens(of query: VectorRecord) -> [String] {
        query.tokens.filter { token in !segments.views.contains { $0.segment.termID(of: token) != nil } }
    }

    /// The stored text of a hit's document (``SearchHit/doc``, a number of this snapshot), if one
    /// was indexed.
    public func text(of doc: DocID) -> String? {
        guard doc.rawValue < segments.bases.last! else { return nil }
        let (s, local) = segments.locate(doc)
        return segments.views[s].segment.text(of: local)
    }

    /// The live document with external id `id`, if any: its stored text (nil when none was stored)
    /// and its vector (tokens and weights as this snapshot scores them).
    public func document(id: String) -> StoredDocument? {
        for view in segments.views.reversed() {
            guard let d = view.segment.document(withID: id), !(view.deletions?.contains(Int(d.rawValue)) ?? false) else { continue }
            let segment = view.segment
            var tokens: [String] = []
            var weights: [Float] = []
            let postings = segment.postings
            for t in 0..<segment.termCount {
                let r = postings.range(of: TermID(t))
                guard !r.isEmpty else { continue }
                let p = gallop(toFirstAtLeast: d.rawValue, in: postings.docs.baseAddress!, from: r.lowerBound, to: r.upperBound)
                if p < r.upperBound && postings.docs[p] == d.rawValue {
                    tokens.append(segment.vocabulary.string(at: t))
                    weights.append(postings.weights[p])
                }
            }
            return StoredDocument(id: id, text: segment.text(of: d), tokens: tokens, weights: weights)
        }
        return nil
    }
}

/// Query scratch memory shared by the snapshots of one collection: up to eight idle scratches
/// (one per concurrent search), each grown to the largest segment it has served.
final class ScratchPool: Sendable {
    private let idle = Mutex<[QueryScratch]>([])

    func take() -> QueryScratch { idle.withLock { $0.popLast() } ?? QueryScratch() }

    func give(back scratch: QueryScratch) {
        idle.withLock { pool in
            if pool.count < 8 { pool.append(scratch) }
        }
    }
}

/// A document as an index holds it.
public struct StoredDocument: Sendable, Equatable {
    public var id: String
    /// The stored display text, if any.
    public var text: String?
    /// Its tokens in byte order, with their weights.
    public var tokens: [String]
    public var weights: [Float]
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    /// 1-based rank.
    public var rank: Int
    /// The document's number in the snapshot that answered (its segment's first number plus its
    /// number there); valid only with that ``SearchIndex``, e.g. for ``SearchIndex/text(of:)``.
    public var doc: DocID
    /// The external document id.
    public var id: String
    /// The dot product of the query and the document.
    public var score: Float
}

/// How far a build has got.
public struct BuildProgress: Sendable {
    /// Documents added so far.
    public var documents: Int
    /// Postings added so far.
    public var postings: Int
    /// The fraction of the input file read, 0...1.
    public var fraction: Double
}

import SparrowIndex
import Synchronization
import SparrowQuery

/// A searchable sparse-vector index, built in memory or opened from disk.
///
/// ```swift
/// import Sparrow
///
/// let built = try SearchIndex.build(fromVectorFile: "Examples/toy/documents.jsonl")
/// try built.write(to: "/tmp/toy-index")
/// let index = try SearchIndex.open(at: "/tmp/toy-index")
/// let query = try parseQueryVector(#"{"brother": 2.4, "son": 1.6}"#)
/// for hit in index.search(query, k: 3) {
///     print(hit.rank, hit.id, hit.score)
/// }
/// ```
public final class SearchIndex: @unchecked Sendable {
    let segment: Segment
    /// Query working memory, reused across searches (one per concurrent search).
    private let scratchPool = Mutex<[QueryScratch]>([])

    init(segment: Segment) {
        self.segment = segment
    }

    /// The number of documents.
    public var documentCount: Int { segment.documentCount }
    /// The number of distinct terms.
    public var termCount: Int { segment.termCount }
    /// The number of postings.
    public var postingCount: Int { segment.postingCount }

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
        return SearchIndex(segment: finish(&builder, options))
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
        return SearchIndex(segment: finish(&builder, options))
    }

    /// Finishes `builder`, leaving an empty one behind, so the finished builder's buffers are
    /// uniquely owned and ``IndexBuilder/finish(_:)`` can release them as it goes.
    static func finish(_ builder: inout IndexBuilder, _ options: BuildOptions) -> Segment {
        var taken = IndexBuilder()
        swap(&taken, &builder)
        return taken.finish(options)
    }

    static func validate(_ options: BuildOptions) throws {
        if let problem = options.problem { throw IndexError(.invalidArgument, path: "", problem) }
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
            switch error {
            case .duplicateID(let id, let first):
                throw InputError(path: path, line: line, field: "id",
                                 problem: "duplicate id \"\(id)\" (first used on line \(lines[first]))")
            case .duplicateToken(let token):
                throw InputError(path: path, line: line, field: "vector.\(token)", problem: "token appears twice in the vector")
            case .invalidWeight(let token, let w):
                throw InputError(path: path, line: line, field: "vector.\(token)", problem: "weight \(w) is not finite and non-negative")
            case .tooManyDocuments:
                throw InputError(path: path, line: line, problem: "too many documents for one index (limit \(DocID.maxValid))")
            }
        }
    }

    /// Writes the index to the directory `path`, replacing any index there atomically: readers
    /// and crashes see the old index or the new one, never a mix.
    public func write(to path: String) throws {
        try IndexDirectory.write(segment, to: path)
    }

    // MARK: Opening

    /// Opens the index in directory `path`, memory-mapping its files.
    ///
    /// Every file's checksum is verified unless `verifyChecksums` is false; posting lists are not
    /// decoded. A corrupt or foreign index throws ``IndexError``.
    public static func open(at path: String, verifyChecksums: Bool = true) throws -> SearchIndex {
        SearchIndex(segment: try IndexDirectory.open(path, verifyChecksums: verifyChecksums))
    }

    /// Reads an index's `meta.json` without opening its files.
    public static func meta(at path: String) throws -> IndexMeta {
        try IndexDirectory.readMeta(path)
    }

    /// Checks every checksum and structural invariant of the index at `path`.
    ///
    /// For an index built from text this includes recomputing every BM25 weight from the stored
    /// term frequencies, document lengths and settings.
    public static func check(at path: String) -> IndexCheckReport {
        var report = IndexDirectory.check(path)
        guard report.isSound, let meta = try? IndexDirectory.readMeta(path), meta.text != nil else { return report }
        do {
            report.problems += textWeightProblems(try IndexDirectory.open(path, verifyChecksums: false))
        } catch {
            report.problems.append("\(error)")
        }
        return report
    }

    // MARK: Searching

    /// The top `k` documents for a query by dot product: exact, highest score first, ties to the
    /// lower internal document number (input order, unless the index was built with `--reorder`).
    /// Tokens the index does not know match nothing.
    ///
    /// `algorithm` picks the query algorithm (all return the same documents); nil lets the index
    /// choose (``Algorithm/auto(for:)``). Throws ``IndexError`` with code `invalidArgument` when
    /// `k < 1` or the algorithm needs a structure this index was built without.
    public func search(_ query: VectorRecord, k: Int = 10, algorithm: Algorithm? = nil) throws -> [SearchHit] {
        var stats = QueryStats()
        return try search(query, k: k, algorithm: algorithm, stats: &stats)
    }

    /// ``search(_:k:algorithm:)`` that also reports the work done (postings and ranges scored).
    public func search(_ query: VectorRecord, k: Int, algorithm: Algorithm?,
                       stats: inout QueryStats) throws -> [SearchHit] {
        guard k >= 1 else { throw IndexError(.invalidArgument, path: "", "k must be at least 1, not \(k)") }
        if let algorithm { try requireSupport(for: algorithm) }
        let resolved = segment.resolve(tokens: query.tokens, weights: query.weights).query
        let scratch = takeScratch()
        defer { returnScratch(scratch) }
        let hits = segment.search(resolved, k: k, algorithm: algorithm, scratch: scratch)
        stats = scratch.stats
        return hits.enumerated().map { i, hit in
            SearchHit(rank: i + 1, doc: hit.doc, id: segment.externalID(of: hit.doc), score: hit.score)
        }
    }

    /// The algorithm a search without one runs on this index.
    public var defaultAlgorithm: Algorithm { .auto(for: segment) }

    /// Whether this index has what `algorithm` needs.
    public func supports(_ algorithm: Algorithm) -> Bool { algorithm.isAvailable(on: segment) }

    /// Throws ``IndexError`` (`invalidArgument`) saying how to rebuild the index when it lacks what
    /// `algorithm` needs.
    public func requireSupport(for algorithm: Algorithm) throws {
        guard supports(algorithm) else {
            throw IndexError(.invalidArgument, path: "",
                "algorithm \(algorithm.rawValue) needs a range index, which this index was built without; "
                + "rebuild it with a range size (sparrow index --range-size 32)")
        }
    }

    private func takeScratch() -> QueryScratch {
        scratchPool.withLock { $0.popLast() } ?? QueryScratch()
    }

    private func returnScratch(_ scratch: QueryScratch) {
        scratchPool.withLock { pool in
            if pool.count < 8 { pool.append(scratch) }
        }
    }

    /// The query tokens this index does not know (they cannot match).
    public func unknownTokens(of query: VectorRecord) -> [String] {
        segment.resolve(tokens: query.tokens, weights: query.weights).unknown
    }

    /// The stored text of a document, if one was indexed.
    public func text(of doc: DocID) -> String? { segment.text(of: doc) }
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    /// 1-based rank.
    public var rank: Int
    /// The internal document number.
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

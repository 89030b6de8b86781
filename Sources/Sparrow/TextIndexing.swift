import SparrowIndex
import SparrowQuery

/// What a BM25 index is built from: the analyzer and the BM25 parameters.
public struct TextIndexOptions: Sendable, Equatable {
    /// How documents (and later queries) are analysed.
    public var analyzer: Analyzer
    /// The BM25 parameters the stored weights are computed with.
    public var bm25: BM25
    /// Keep each document's text in the index, for display (`sparrow search` shows it).
    public var storeText: Bool

    /// Anserini's defaults: the English analyzer, k1 0.9, b 0.4, texts stored.
    public init(analyzer: Analyzer = .english, bm25: BM25 = BM25(), storeText: Bool = true) {
        self.analyzer = analyzer
        self.bm25 = bm25
        self.storeText = storeText
    }
}

extension SearchIndex {
    /// Builds a BM25 index from a text file: BEIR corpus JSONL (`{"_id", "title", "text"}`, title
    /// and text joined by a space), `{"id", "text"}` JSONL, or `id<TAB>text` TSV; plain or gzip.
    ///
    /// Every document is analysed (``Analyzer/english`` by default, as Anserini does), and each
    /// posting stores the term's BM25 weight computed as Lucene computes it (``BM25``), so BM25
    /// queries run through the same algorithms as learned sparse vectors. Query text is analysed
    /// the same way by ``search(text:k:algorithm:)``.
    ///
    /// ```swift
    /// let index = try SearchIndex.build(fromTextFile: "corpus.jsonl")
    /// let hits = try index.search(text: "sparrow nests", k: 10)
    /// ```
    public static func build(
        fromTextFile path: String,
        text: TextIndexOptions = TextIndexOptions(),
        options: BuildOptions = BuildOptions(),
        progress: ((BuildProgress) -> Void)? = nil
    ) throws -> SearchIndex {
        try validate(options, text: true)
        if let problem = text.bm25.problem { throw IndexError(.invalidArgument, path: "", problem) }
        var documents: [PreparedDocument] = []
        var lines: [Int] = []
        var postings = 0
        var fraction = 0.0
        try explainingVectors(in: path, "not text: index it as vectors (sparrow index without --text)") {
            try TextRecordReader.forEach(path: path, progress: { f in
                fraction = f
                progress?(BuildProgress(documents: documents.count, postings: postings, fraction: f))
            }) { record, line in
                documents.append(text.analyzer.prepare(id: record.id, text: record.text, storeText: text.storeText))
                postings += documents[documents.count - 1].tokens.count
                lines.append(line)
            }
        }
        progress?(BuildProgress(documents: documents.count, postings: postings, fraction: max(fraction, 1)))
        let settings = IndexSettings(options, text: TextWeighting(analyzer: text.analyzer, bm25: text.bm25))
        return SearchIndex(segment: try buildSegment(documents, settings: settings, path: path, lines: lines), settings: settings)
    }

    /// Builds an index in memory of prepared documents: sparse vectors, text analysed by an
    /// ``Analyzer`` (when `settings` weigh text with BM25) or encoded text, as `settings` say.
    /// A refused document is reported as an ``InputError`` at `source` and its line: `lines[i]`,
    /// or its position + 1.
    ///
    /// ```swift
    /// let docs = [PreparedDocument(id: "d1", tokens: ["sparrow"], weights: [1.5])]
    /// let index = try SearchIndex.build(documents: docs, settings: IndexSettings())
    /// ```
    public static func build(documents: [PreparedDocument], settings: IndexSettings,
                             source: String = "<documents>", lines: [Int]? = nil) throws -> SearchIndex {
        if let problem = settings.problem { throw IndexError(.invalidArgument, path: "", problem) }
        if let lines, lines.count != documents.count {
            throw IndexError(.invalidArgument, path: source, "\(lines.count) lines for \(documents.count) documents")
        }
        return SearchIndex(segment: try buildSegment(documents, settings: settings, path: source, lines: lines), settings: settings)
    }

    /// One segment of `documents` (see ``IndexBuilder/segment(of:settings:)``), a refusal reported
    /// as an ``InputError`` at `path` and the document's line (its position + 1 without `lines`).
    static func buildSegment(_ documents: [PreparedDocument], settings: IndexSettings, path: String,
                             lines: [Int]? = nil) throws(InputError) -> Segment {
        do {
            return try IndexBuilder.segment(of: documents, settings: settings)
        } catch {
            throw inputError(error.problem, path: path, line: lines?[error.index] ?? error.index + 1,
                             lineOfDocument: { lines?[$0] ?? $0 + 1 })
        }
    }

    /// How this index weighs text, when it was built from text, with the statistics of its live
    /// documents.
    public var textWeighting: TextWeighting? { settings.text }

    /// The analyzer that built this index, when it was built from text.
    public var analyzer: Analyzer? { settings.text.flatMap { Analyzer(settings: $0.analyzer) } }

    /// The query vector of `text` for this index: its terms after analysis, each weighted by how
    /// often it occurs (Anserini's bag of words). Throws when the index was not built from text.
    public func queryVector(text: String, id: String = "query") throws -> VectorRecord {
        guard let weighting = settings.text else {
            throw IndexError(.invalidArgument, path: "",
                "this index holds sparse vectors, not text: give queries as vectors ({\"token\": weight})"
                + (settings.encoder != nil ? ", or text with an encoder" : ""))
        }
        guard let analyzer = Analyzer(settings: weighting.analyzer) else {
            throw IndexError(.unsupportedVersion, path: "",
                "the index's analyzer settings \(weighting.analyzer) are unknown to this version of Sparrow")
        }
        let (terms, counts) = analyzer.termCounts(text)
        return VectorRecord(id: id, tokens: terms, weights: counts.map(Float.init), text: text)
    }

    /// Reads a query file for this index: text queries (BEIR `queries.jsonl`, `{"id", "text"}`
    /// JSONL or `qid<TAB>text` TSV), analysed into vectors, for an index built from text; sparse
    /// vectors (`{"id", "vector"}` lines) otherwise. Each vector of a text query keeps the text.
    public func readQueries(fromFile path: String) throws -> [(record: VectorRecord, line: Int)] {
        guard textWeighting != nil else {
            if settings.encoder == nil, !(try VectorRecordParser.holdsVectors(path: path)) {
                throw IndexError(.invalidArgument, path: path,
                    "holds text queries, but this index holds sparse vectors: encode them with --encoder "
                    + "splade:MODEL_DIR (or idf:TABLE.json --tokenizer DIR), or give {\"id\", \"vector\"} lines")
            }
            return try readVectorRecords(fromFile: path)
        }
        return try Self.explainingVectors(in: path, "but this is a BM25 text index: give text queries "
                                     + "({\"_id\", \"text\"} or {\"id\", \"text\"} lines, or qid<TAB>text)") {
            try readTextQueries(fromFile: path)
        }
    }

    private func readTextQueries(fromFile path: String) throws -> [(record: VectorRecord, line: Int)] {
        try TextRecordReader.readAll(path: path).map { (try queryVector(text: $0.record.text, id: $0.record.id), $0.line) }
    }

    /// Runs `body`, which reads text from `path`; when it fails for want of a "text" field and the
    /// file holds sparse vectors, the error says that instead, followed by `advice`.
    static func explainingVectors<T>(in path: String, _ advice: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InputError where error.field == "text" {
            guard (try? VectorRecordParser.holdsVectors(path: path)) == true else { throw error }
            throw IndexError(.invalidArgument, path: path, "holds sparse vectors ({\"id\", \"vector\"} lines), " + advice)
        }
    }

    /// Searches a text index with a text query (see ``queryVector(text:id:)``).
    public func search(text: String, k: Int = 10, algorithm: Algorithm? = nil,
                       approximation: Approximation = .exact) throws -> [SearchHit] {
        try search(try queryVector(text: text), k: k, algorithm: algorithm, approximation: approximation)
    }
}

extension SearchIndex {
    /// Disagreements between a text segment's stored weights and a fresh BM25 computation from
    /// its stored frequencies and lengths over its own documents (empty when they agree bit for bit).
    static func textWeightProblems(_ segment: Segment, text: TextWeighting) -> [String] {
        guard let counts = segment.frequencies else { return ["text index without term frequencies"] }
        guard Analyzer(settings: text.analyzer) != nil else {
            return ["unknown analyzer settings \(text.analyzer)"]
        }
        let stats = TextStatistics(lengths: counts.lengths)
        let bm25 = BM25(k1: Float(text.k1), b: Float(text.b))
        let inverseNorms = bm25.inverseNorms(averageLength: stats.averageLength)
        let postings = segment.postings
        for t in 0..<postings.termCount {
            let range = postings.range(of: TermID(t))
            let idf = BM25.idf(documentFrequency: range.count, documentCount: stats.documentsWithTerms)
            for i in range {
                let doc = Int(postings.docs[i])
                let expected = BM25.weight(idf: idf, frequency: Int(counts.frequencies[i]),
                                           inverseNorm: inverseNorms[Int(SmallFloat.intToByte4(Int(counts.lengths[doc])))])
                if expected != postings.weights[i] {
                    return ["term \(segment.vocabulary.string(at: t)), document \(segment.externalID(of: DocID(UInt32(doc)))): "
                            + "weight \(postings.weights[i]) differs from BM25's \(expected)"]
                }
            }
        }
        return []
    }
}

extension TextWeighting {
    /// These settings with the statistics `stats`.
    func with(_ stats: TextStatistics) -> TextWeighting {
        var copy = self
        copy.documentsWithTerms = stats.documentsWithTerms
        copy.totalTermCount = stats.totalTermCount
        copy.averageLength = Double(stats.averageLength)
        return copy
    }

    /// The settings of a text collection analysed by `analyzer` and weighted by `bm25`, with no
    /// documents yet.
    public init(analyzer: Analyzer, bm25: BM25) {
        self.init(model: "bm25", analyzer: analyzer.settings, k1: Double("\(bm25.k1)")!, b: Double("\(bm25.b)")!,
                  documentsWithTerms: 0, totalTermCount: 0, averageLength: 1)
    }
}

extension Analyzer {
    /// A text document prepared for a text collection: its terms with their frequencies and its
    /// length (weights are computed by the collection).
    public func prepare(id: String, text: String, storeText: Bool = true) -> PreparedDocument {
        let (terms, counts) = termCounts(text)
        return PreparedDocument(id: id, tokens: terms, weights: counts.map(Float.init), frequencies: counts.map(UInt32.init),
                                length: counts.reduce(0, +), text: storeText ? text : nil)
    }
}

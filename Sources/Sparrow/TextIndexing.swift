import SparrowIndex

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
        try validate(options)
        if let problem = text.bm25.problem { throw IndexError(.invalidArgument, path: "", problem) }
        var collector = TermStatistics()
        var fraction = 0.0
        try TextRecordReader.forEach(path: path, progress: { f in
            fraction = f
            progress?(BuildProgress(documents: collector.documentCount, postings: collector.postingCount, fraction: f))
        }) { record, line in
            collector.add(id: record.id, line: line, terms: text.analyzer.analyze(record.text),
                          text: text.storeText ? record.text : nil)
        }
        progress?(BuildProgress(documents: collector.documentCount, postings: collector.postingCount,
                                fraction: max(fraction, 1)))
        return try collector.finish(path: path, text: text, options: options)
    }

    /// How this index weighs text, when it was built from text.
    public var textWeighting: TextWeighting? { segment.textWeighting }

    /// The analyzer that built this index, when it was built from text.
    public var analyzer: Analyzer? { segment.textWeighting.flatMap { Analyzer(settings: $0.analyzer) } }

    /// The query vector of `text` for this index: its terms after analysis, each weighted by how
    /// often it occurs (Anserini's bag of words). Throws when the index was not built from text.
    public func queryVector(text: String, id: String = "query") throws -> VectorRecord {
        guard let weighting = segment.textWeighting else {
            throw IndexError(.invalidArgument, path: "",
                "this index holds sparse vectors, not text: give queries as vectors ({\"token\": weight})")
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
        guard textWeighting != nil else { return try readVectorRecords(fromFile: path) }
        return try TextRecordReader.readAll(path: path).map { (try queryVector(text: $0.record.text, id: $0.record.id), $0.line) }
    }

    /// Searches a text index with a text query (see ``queryVector(text:id:)``).
    public func search(text: String, k: Int = 10, algorithm: Algorithm? = nil) throws -> [SearchHit] {
        try search(try queryVector(text: text), k: k, algorithm: algorithm)
    }
}

extension SearchIndex {
    /// Disagreements between a text index's weights and a fresh BM25 computation from its stored
    /// frequencies, lengths and settings (empty when they agree bit for bit).
    static func textWeightProblems(_ segment: Segment) -> [String] {
        guard let weighting = segment.textWeighting else { return [] }
        guard let counts = segment.frequencies else { return ["text index without term frequencies"] }
        guard Analyzer(settings: weighting.analyzer) != nil else {
            return ["unknown analyzer settings \(weighting.analyzer)"]
        }
        let lengths = counts.lengths
        let withTerms = lengths.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        let total = lengths.reduce(0) { $0 + Int($1) }
        guard withTerms == weighting.documentsWithTerms, total == weighting.totalTermCount else {
            return ["meta.json says \(weighting.documentsWithTerms) documents with \(weighting.totalTermCount) terms; "
                    + "the lengths give \(withTerms) with \(total)"]
        }
        let averageLength = withTerms > 0 ? Float(Double(total) / Double(withTerms)) : 1
        let bm25 = BM25(k1: Float(weighting.k1), b: Float(weighting.b))
        let inverseNorms = bm25.inverseNorms(averageLength: averageLength)
        let postings = segment.postings
        for t in 0..<postings.termCount {
            let range = postings.range(of: TermID(t))
            let idf = BM25.idf(documentFrequency: range.count, documentCount: withTerms)
            for i in range {
                let doc = Int(postings.docs[i])
                let expected = BM25.weight(idf: idf, frequency: Int(counts.frequencies[i]),
                                           inverseNorm: inverseNorms[Int(SmallFloat.intToByte4(Int(lengths[doc])))])
                if expected != postings.weights[i] {
                    return ["term \(segment.vocabulary.string(at: t)), document \(segment.externalID(of: DocID(UInt32(doc)))): "
                            + "weight \(postings.weights[i]) differs from BM25's \(expected)"]
                }
            }
        }
        return []
    }
}

/// Term frequencies, document lengths and document frequencies gathered in one pass over a
/// text collection; BM25 weights need the collection totals, so they are computed at the end.
struct TermStatistics {
    private var termIDs: [String: Int32] = [:]
    private var termStrings: [String] = []
    private var documentFrequency: [Int32] = []
    private var ids: [String] = []
    private var lines: [Int32] = []
    private var texts: [String?] = []
    /// Per document: `docStarts[d] ..< docStarts[d + 1]` index `docTerms` and `docFrequencies`.
    private var docStarts: [Int] = [0]
    private var docTerms: [Int32] = []
    private var docFrequencies: [Int32] = []
    private var lengths: [Int] = []
    private var scratch: [Int32] = []

    var documentCount: Int { ids.count }
    var postingCount: Int { docTerms.count }

    mutating func add(id: String, line: Int, terms: [String], text: String?) {
        scratch.removeAll(keepingCapacity: true)
        for term in terms {
            if let t = termIDs[term] {
                scratch.append(t)
            } else {
                let t = Int32(termStrings.count)
                termIDs[term] = t
                termStrings.append(term)
                documentFrequency.append(0)
                scratch.append(t)
            }
        }
        scratch.sort()
        var i = 0
        while i < scratch.count {
            var j = i + 1
            while j < scratch.count && scratch[j] == scratch[i] { j += 1 }
            docTerms.append(scratch[i])
            docFrequencies.append(Int32(j - i))
            documentFrequency[Int(scratch[i])] += 1
            i = j
        }
        docStarts.append(docTerms.count)
        lengths.append(terms.count)
        ids.append(id)
        lines.append(Int32(clamping: line))
        texts.append(text)
    }

    /// Computes every BM25 weight and builds the index.
    consuming func finish(path: String, text options: TextIndexOptions, options buildOptions: BuildOptions) throws -> SearchIndex {
        let withTerms = lengths.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        let total = lengths.reduce(0, +)
        let averageLength = withTerms > 0 ? Float(Double(total) / Double(withTerms)) : 1
        let inverseNorms = options.bm25.inverseNorms(averageLength: averageLength)
        let idf = documentFrequency.map { BM25.idf(documentFrequency: Int($0), documentCount: withTerms) }

        var builder = IndexBuilder(storesFrequencies: true)
        let builderTerm = termStrings.map { builder.intern($0) }
        var terms: [UInt32] = []
        var weights: [Float] = []
        var frequencies: [UInt32] = []
        for d in 0..<ids.count {
            terms.removeAll(keepingCapacity: true)
            weights.removeAll(keepingCapacity: true)
            frequencies.removeAll(keepingCapacity: true)
            let inverseNorm = inverseNorms[Int(SmallFloat.intToByte4(lengths[d]))]
            for p in docStarts[d]..<docStarts[d + 1] {
                let t = Int(docTerms[p])
                terms.append(builderTerm[t])
                weights.append(BM25.weight(idf: idf[t], frequency: Int(docFrequencies[p]), inverseNorm: inverseNorm))
                frequencies.append(UInt32(docFrequencies[p]))
            }
            try SearchIndex.reportProblems(line: Int(lines[d]), path: path, lines: &scratchLines) { () throws(IndexBuilder.Problem) in
                try builder.add(id: ids[d], termIDs: terms, weights: weights, frequencies: frequencies,
                                length: lengths[d], text: texts[d])
            }
        }
        let segment = SearchIndex.finish(&builder, buildOptions)
        segment.textWeighting = TextWeighting(
            model: "bm25", analyzer: options.analyzer.settings,
            k1: Double("\(options.bm25.k1)")!, b: Double("\(options.bm25.b)")!,
            documentsWithTerms: withTerms, totalTermCount: total, averageLength: Double(averageLength))
        return SearchIndex(segment: segment)
    }

    /// Line numbers of documents already added, for the builder's duplicate-id messages.
    private var scratchLines: [Int32] = []
}

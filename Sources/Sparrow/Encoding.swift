import SparrowQuery
import SparrowIndex

/// A learned sparse encoder that turns query text into a vector for an index of word-piece
/// vectors: a SPLADE model, or OpenSearch's inference-free IDF table.
public enum QueryEncoder: Sendable {
    case splade(SpladeEncoder)
    case idf(IDFQueryEncoder)

    /// The word-piece tokenizer the encoder uses.
    public var tokenizer: WordPieceTokenizer {
        switch self {
        case .splade(let e): return e.tokenizer
        case .idf(let e): return e.tokenizer
        }
    }

    /// The vector of `text`.
    public func encode(_ text: String, id: String = "query") -> VectorRecord {
        let (tokens, weights): ([String], [Float])
        switch self {
        case .splade(let e): (tokens, weights) = e.encode(text)
        case .idf(let e): (tokens, weights) = e.encode(text)
        }
        return VectorRecord(id: id, tokens: tokens, weights: weights, text: text)
    }
}

extension SpladeEncoder {
    /// What an index records of this encoder; `model` is the model directory (absolute, so that the
    /// index finds it again).
    public func info(model: String) -> EncoderInfo {
        EncoderInfo(kind: "splade", model: model, maxLength: maxLength, vocabularySize: tokenizer.tokens.count,
                    vocabularyFingerprint: tokenizer.vocabularyFingerprint)
    }

    /// The model an index records (`info`), loaded from the directory it names and checked to have
    /// the vocabulary the index was built with; `path` names the index in errors.
    public static func recorded(_ info: EncoderInfo?, path: String) throws -> SpladeEncoder {
        guard let info, info.kind == "splade" else {
            throw IndexError(.invalidArgument, path: path, "this collection records no SPLADE encoder")
        }
        let encoder = try SpladeEncoder(directory: info.model, maxLength: info.maxLength)
        guard encoder.tokenizer.vocabularyFingerprint == info.vocabularyFingerprint else {
            throw IndexError(.invalidArgument, path: info.model,
                "the model's vocabulary differs from the one the collection was built with (fingerprint \(info.vocabularyFingerprint))")
        }
        return encoder
    }
}

extension IndexSettings {
    /// Text documents for a collection with these settings: analysed with its analyzer when it
    /// weighs text with BM25, encoded on `threads` threads by `encoder()` (its model, asked for
    /// only then) when Sparrow encodes it. Throws for a collection of vectors; `path` names the
    /// collection in errors.
    public func prepare(texts: [(id: String, text: String)], path: String, threads: Int,
                        encoder: () throws -> SpladeEncoder) throws -> [PreparedDocument] {
        if let weighting = text {
            guard let analyzer = Analyzer(settings: weighting.analyzer) else {
                throw IndexError(.unsupportedVersion, path: path, "the collection's analyzer \(weighting.analyzer) is unknown to this version")
            }
            return texts.map { analyzer.prepare(id: $0.id, text: $0.text) }
        }
        guard self.encoder != nil else {
            throw IndexError(.invalidArgument, path: path,
                "this collection holds sparse vectors, not text: add {\"id\", \"vector\"} documents")
        }
        let vectors = try encoder().encode(texts.map(\.text), threads: threads)
        return zip(texts, vectors).map { PreparedDocument(id: $0.id, tokens: $1.tokens, weights: $1.weights, text: $0.text) }
    }
}

extension SearchIndex {
    /// Builds an index from a text file (BEIR corpus JSONL, `{"id","text"}` JSONL or `id<TAB>text`
    /// TSV) by encoding every document with `encoder` on `threads` threads. The index records the
    /// encoder, so a query encoder with another vocabulary is refused.
    ///
    /// ```swift
    /// let encoder = try SpladeEncoder(directory: "../shared/data/models/splade-tiny")
    /// let index = try SearchIndex.build(fromTextFile: "corpus.jsonl", encoder: encoder, model: "splade-tiny")
    /// let hits = try index.search(text: "what is a sparrow", encoder: .splade(encoder), k: 10)
    /// ```
    public static func build(
        fromTextFile path: String, encoder: SpladeEncoder, model: String,
        threads: Int = 2, options: BuildOptions = BuildOptions(), progress: ((BuildProgress) -> Void)? = nil
    ) throws -> SearchIndex {
        try validate(options)
        var builder = IndexBuilder()
        var lines: [Int32] = []
        try forEachEncodedDocument(in: path, encoder: encoder, threads: threads, progress: { f in
            progress?(BuildProgress(documents: builder.documentCount, postings: builder.postingCount, fraction: f))
        }) { record, line in
            try add(record, line: line, path: path, to: &builder, lines: &lines)
        }
        return SearchIndex(segment: finish(&builder, options), settings: IndexSettings(options, encoder: encoder.info(model: model)))
    }

    /// Reads a text file and calls `body` with each document encoded by `encoder` (in batches, on
    /// `threads` threads) and its line; `progress` gets the fraction of the file done.
    static func forEachEncodedDocument(in path: String, encoder: SpladeEncoder, threads: Int, progress: (Double) -> Void,
                                       _ body: (VectorRecord, Int) throws -> Void) throws {
        var batch: [(record: TextRecord, line: Int)] = []
        var fraction = 0.0
        func encodeBatch() throws {
            let vectors = encoder.encode(batch.map(\.record.text), threads: threads)
            for ((record, line), vector) in zip(batch, vectors) {
                try body(VectorRecord(id: record.id, tokens: vector.tokens, weights: vector.weights, text: record.text), line)
            }
            batch.removeAll(keepingCapacity: true)
            progress(fraction)
        }
        try TextRecordReader.forEach(path: path, progress: { fraction = $0 }) { record, line in
            batch.append((record, line))
            if batch.count == SpladeEncoder.batchSize { try encodeBatch() }
        }
        fraction = 1
        try encodeBatch()
    }

    /// The encoder that made this index's vectors, when Sparrow encoded them.
    public var encoderInfo: EncoderInfo? { settings.encoder }

    /// Throws unless `encoder` shares the vocabulary of the encoder that built this index. An index
    /// built from vectors made elsewhere records no encoder and accepts any.
    public func requireCompatible(_ encoder: QueryEncoder) throws {
        if settings.text != nil {
            throw IndexError(.invalidArgument, path: "",
                "this is a BM25 text index: search it with text queries and no --encoder")
        }
        guard let info = settings.encoder else { return }
        let fingerprint = encoder.tokenizer.vocabularyFingerprint
        guard fingerprint == info.vocabularyFingerprint else {
            throw IndexError(.invalidArgument, path: "",
                "the query encoder's vocabulary (\(encoder.tokenizer.tokens.count) tokens, fingerprint \(fingerprint)) "
                + "differs from that of the encoder that built this index (\(info.kind) \(info.model): "
                + "\(info.vocabularySize) tokens, fingerprint \(info.vocabularyFingerprint))")
        }
    }

    /// Reads a text query file and encodes each query with `encoder` (after checking it suits this
    /// index); with no encoder, reads the file as ``readQueries(fromFile:)`` does.
    public func readQueries(fromFile path: String, encoder: QueryEncoder?) throws -> [(record: VectorRecord, line: Int)] {
        guard let encoder else { return try readQueries(fromFile: path) }
        try requireCompatible(encoder)
        return try TextRecordReader.readAll(path: path).map { (encoder.encode($0.record.text, id: $0.record.id), $0.line) }
    }

    /// Encodes `text` with `encoder` and searches.
    public func search(text: String, encoder: QueryEncoder, k: Int = 10, algorithm: Algorithm? = nil,
                       approximation: Approximation = .exact) throws -> [SearchHit] {
        try requireCompatible(encoder)
        return try search(encoder.encode(text), k: k, algorithm: algorithm, approximation: approximation)
    }

    /// The query vector of `text` as this index's documents were made: analysed in a text (BM25)
    /// index, encoded by `recorded()` (the model the index records) in an index Sparrow encoded;
    /// nil for an index of vectors made elsewhere, which text cannot query.
    public func queryVector(text: String, recorded: () throws -> SpladeEncoder) throws -> SparseQuery? {
        if settings.text != nil { return try queryVector(text: text).query }
        guard settings.encoder != nil else { return nil }
        return try QueryEncoder.splade(recorded()).encode(text).query
    }
}

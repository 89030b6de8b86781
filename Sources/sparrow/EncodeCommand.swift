import ArgumentParser
import Foundation
import Sparrow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sparrow encode`: text to SPLADE vectors, in Swift, with no Python.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode text into learned sparse vectors with a SPLADE model (a BERT masked-LM checkpoint).",
        discussion: """
            Reads text lines (BEIR {"_id","title","text"}, {"id","text"} or id<TAB>text .tsv; title and
            text are joined by a space) and writes {"id": …, "vector": {"token": weight, …}} lines that
            sparrow index reads. The model directory holds config.json, model.safetensors and
            tokenizer.json (or vocab.txt). Texts are cut to --maxlen word pieces, [CLS] and [SEP]
            included. All cores are used unless --threads says otherwise.

            --encoder idf:TABLE.json --tokenizer DIR writes inference-free query vectors instead
            (each distinct word piece once, weighted by the table). --latency also times each text
            alone on one thread (query encoding latency).

            Examples:
              sparrow encode --model ../shared/data/models/splade-tiny --input ../shared/data/scifact/corpus.jsonl.gz --output /tmp/scifact-splade.jsonl
              sparrow index --input /tmp/scifact-splade.jsonl --output /tmp/scifact-splade
              sparrow encode --encoder idf:../shared/data/idf/opensearch-doc-v2-idf.json --tokenizer ../shared/data/models/splade-tiny \\
                  --input ../shared/data/scifact/queries.test.jsonl --output /tmp/q.jsonl --latency
            """
    )

    @Option(name: .long, help: "The SPLADE model directory (the same as --encoder splade:DIR).")
    var model: String?

    @Option(name: .long, help: "splade:MODEL_DIR, or idf:TABLE.json for the inference-free query encoder (with --tokenizer).")
    var encoder: EncoderSpec?

    @Option(name: .long, help: "With --encoder idf:FILE: the directory of tokenizer.json or vocab.txt.")
    var tokenizer: String?

    @Flag(name: .long, help: "Also time each text alone on one thread and print p50/p99 latency.")
    var latency = false

    @Option(name: .shortAndLong, help: "Texts to encode (.jsonl, .jsonl.gz or .tsv).")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the vectors (JSONL).")
    var output: String

    @Option(name: .long, help: "Word pieces per text, [CLS] and [SEP] included.")
    var maxlen = 256

    @Option(name: .long, help: "Threads to encode with (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .shortAndLong, help: "Print no progress line, only the summary.")
    var quiet = false

    func validate() throws {
        guard (model == nil) != (encoder == nil) else { throw ValidationError("give exactly one of --model DIR or --encoder KIND:PATH") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard maxlen >= 2 else { throw ValidationError("--maxlen must be at least 2") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let spec = encoder ?? EncoderSpec(argument: "splade:" + model!)!
        let queryEncoder = try spec.queryEncoder(tokenizer: tokenizer, index: nil, maxLength: maxlen)
        let records = try reportingErrors { try TextRecordReader.readAll(path: input) }.map(\.record)
        guard let out = FileHandle(forWritingAtPath: output) ?? {
            FileManager.default.createFile(atPath: output, contents: nil) ? FileHandle(forWritingAtPath: output) : nil
        }() else {
            let reason = String(cString: strerror(errno))
            let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
            let hint = FileManager.default.fileExists(atPath: directory) ? "" : " (the directory \(directory) does not exist)"
            printError("error: cannot write \(output): \(reason)\(hint)")
            throw ExitCode(1)
        }
        try out.truncate(atOffset: 0)
        let showProgress = !quiet && isatty(2) == 1
        let encodeStart = ContinuousClock.now
        var done = 0
        let batch = SpladeEncoder.batchSize
        for chunkStart in stride(from: 0, to: records.count, by: batch) {
            let chunk = Array(records[chunkStart..<min(records.count, chunkStart + batch)])
            let vectors: [(tokens: [String], weights: [Float])]
            switch queryEncoder {
            case .splade(let e): vectors = e.encode(chunk.map(\.text), threads: threads)
            case .idf(let e): vectors = chunk.map { e.encode($0.text) }
            }
            var text = ""
            for (record, vector) in zip(chunk, vectors) {
                text += vectorLine(id: record.id, tokens: vector.tokens, weights: vector.weights) + "\n"
            }
            out.write(Data(text.utf8))
            done += chunk.count
            if showProgress {
                drawProgress(done: done, total: records.count, fraction: Double(done) / Double(records.count),
                             unit: "texts", since: encodeStart)
            }
        }
        try out.close()
        if showProgress { writeAll(2, "\r\u{1B}[K") }
        let elapsed = seconds(since: encodeStart)
        print("encoded \(records.count) texts in \(formatted(elapsed, decimals: 2)) s "
            + "(\(formatted(Double(records.count) / max(elapsed, 1e-9), decimals: 1)) texts/s, \(threads) threads; "
            + "\(formatted(seconds(since: start), decimals: 2)) s in all) -> \(output)")
        if latency {
            var micros: [Double] = []
            for record in records {
                let t0 = ContinuousClock.now
                _ = queryEncoder.encode(record.text)
                micros.append(seconds(since: t0) * 1e6)
            }
            micros.sort()
            func percentile(_ p: Double) -> Double { micros[min(micros.count - 1, max(0, Int((p * Double(micros.count)).rounded(.up)) - 1))] }
            print("one text at a time, one thread: mean \(formatted(micros.reduce(0, +) / Double(max(1, micros.count)), decimals: 1)) µs, "
                + "p50 \(formatted(percentile(0.5), decimals: 1)) µs, p99 \(formatted(percentile(0.99), decimals: 1)) µs")
        }
    }
}

/// A `{"id": …, "vector": {…}}` line; weights in Swift's shortest round-trip form.
func vectorLine(id: String, tokens: [String], weights: [Float]) -> String {
    "{\"id\": \(jsonString(id)), \"vector\": {"
        + zip(tokens, weights).map { "\(jsonString($0)): \($1)" }.joined(separator: ", ") + "}}"
}

/// Loads a SPLADE model directory, reporting a bad one as a one-line error.
func loadEncoder(_ directory: String, maxLength: Int = 256) throws -> SpladeEncoder {
    do {
        return try SpladeEncoder(directory: directory, maxLength: maxLength)
    } catch let error as TokenizerError {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// `--encoder splade:DIR` or `idf:FILE`.
struct EncoderSpec: ExpressibleByArgument {
    enum Kind: String { case splade, idf }
    var kind: Kind
    var path: String

    init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    init?(argument: String) {
        guard let colon = argument.firstIndex(of: ":"), let kind = Kind(rawValue: String(argument[..<colon])) else {
            return nil
        }
        self.kind = kind
        path = String(argument[argument.index(after: colon)...])
        if path.isEmpty { return nil }
    }

    static var allValueStrings: [String] { ["splade:MODEL_DIR", "idf:TABLE.json"] }

    /// The query encoder this names; the IDF encoder takes its word pieces from `tokenizer`, or
    /// else from the model directory the index records.
    func queryEncoder(tokenizer: String?, index: SearchIndex?, maxLength: Int = 256) throws -> QueryEncoder {
        switch kind {
        case .splade:
            return .splade(try loadEncoder(path, maxLength: maxLength))
        case .idf:
            guard let dir = tokenizer ?? index?.encoderInfo?.model else {
                printError("error: --encoder idf:FILE needs --tokenizer DIR (a directory with tokenizer.json or vocab.txt)")
                throw ExitCode(1)
            }
            do {
                return .idf(try IDFQueryEncoder(table: path, tokenizer: WordPieceTokenizer(directory: dir)))
            } catch let error as TokenizerError {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// `--encoder`, `--tokenizer` and `--maxlen` of `search` and `bench`.
struct QueryEncoderOptions: ParsableArguments {
    @Option(name: .long, help: "Encode text queries: splade:MODEL_DIR, or idf:TABLE.json (inference-free, with --tokenizer).")
    var encoder: EncoderSpec?

    @Option(name: .long, help: "With --encoder idf:FILE: the directory of tokenizer.json or vocab.txt (default: the index's model).")
    var tokenizer: String?

    @Option(name: .long, help: "SPLADE queries: word pieces per query, [CLS] and [SEP] included.")
    var maxlen = 256

    func validate() throws {
        guard maxlen >= 2 else { throw ValidationError("--maxlen must be at least 2") }
    }

    /// The query encoder: the one `--encoder` names, or, for an index that Sparrow encoded and
    /// text queries (`--query` not a JSON object, `--queries` not a vector file), the SPLADE model
    /// the index records; nil for vector queries. Checked against the index.
    func resolve(index: SearchIndex, query: String?, queries: String?) throws -> QueryEncoder? {
        guard let spec = try encoder ?? recordedEncoder(of: index, query: query, queries: queries) else { return nil }
        let queryEncoder = try spec.queryEncoder(tokenizer: tokenizer, index: index, maxLength: maxlen)
        try reportingErrors { try index.requireCompatible(queryEncoder) }
        return queryEncoder
    }
}

/// The SPLADE model an index records, when the queries given are text.
private func recordedEncoder(of index: SearchIndex, query: String?, queries: String?) throws -> EncoderSpec? {
    guard let info = index.encoderInfo, info.kind == "splade" else { return nil }
    if let query, query.first(where: { !$0.isWhitespace }) == "{" { return nil }
    if let queries, try reportingErrors({ try VectorRecordParser.holdsVectors(path: queries) }) { return nil }
    guard FileManager.default.fileExists(atPath: info.model + "/config.json") else {
        printError("error: this index was encoded with the SPLADE model at \(info.model), which is not there now; "
            + "give the model with --encoder splade:MODEL_DIR")
        throw ExitCode(1)
    }
    printError("note: encoding the queries with the index's model, \(info.model)")
    return EncoderSpec(kind: .splade, path: info.model)
}

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

            Examples:
              sparrow encode --model ../shared/data/models/splade-tiny --input ../shared/data/scifact/corpus.jsonl.gz --output /tmp/scifact-splade.jsonl
              sparrow index --input /tmp/scifact-splade.jsonl --output /tmp/scifact-splade
            """
    )

    @Option(name: .long, help: "The model directory.")
    var model: String

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
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard maxlen >= 2 else { throw ValidationError("--maxlen must be at least 2") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let encoder = try loadEncoder(model, maxLength: maxlen)
        let records = try reportingErrors { try TextRecordReader.readAll(path: input) }.map(\.record)
        guard let out = FileHandle(forWritingAtPath: output) ?? {
            FileManager.default.createFile(atPath: output, contents: nil) ? FileHandle(forWritingAtPath: output) : nil
        }() else {
            printError("error: cannot write \(output)")
            throw ExitCode(1)
        }
        try out.truncate(atOffset: 0)
        let showProgress = !quiet && isatty(2) == 1
        let encodeStart = ContinuousClock.now
        var done = 0
        for chunkStart in stride(from: 0, to: records.count, by: 1024) {
            let chunk = Array(records[chunkStart..<min(records.count, chunkStart + 1024)])
            let vectors = encoder.encode(chunk.map(\.text), threads: threads)
            var text = ""
            for (record, vector) in zip(chunk, vectors) {
                text += vectorLine(id: record.id, tokens: vector.tokens, weights: vector.weights) + "\n"
            }
            out.write(Data(text.utf8))
            done += chunk.count
            if showProgress {
                let rate = Double(done) / max(seconds(since: encodeStart), 1e-9)
                writeAll(2, "\r\(done)/\(records.count) texts  \(Int(rate)) texts/s   ")
            }
        }
        try out.close()
        if showProgress { writeAll(2, "\r\u{1B}[K") }
        let elapsed = seconds(since: encodeStart)
        print("encoded \(records.count) texts in \(formatted(elapsed, decimals: 2)) s "
            + "(\(formatted(Double(records.count) / max(elapsed, 1e-9), decimals: 1)) texts/s, \(threads) threads; "
            + "\(formatted(seconds(since: start), decimals: 2)) s in all) -> \(output)")
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

import ArgumentParser
import Foundation
import Sparrow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build an index from a sparse-vector JSONL file, or a BM25 index from text.",
        discussion: """
            Each input line is one document: {"id": "d1", "vector": {"token": 0.53, ...}} with an optional
            "content", "contents" or "text" string stored for display. Plain or gzip input.

            With --text, each line is a text document instead: BEIR {"_id", "title", "text"} (title and
            text joined by a space), {"id", "text"}, or id<TAB>text in a .tsv file. The text is analysed
            (--analyzer english by default: Lucene's StandardTokenizer, possessives, lower case, stop
            words, Porter stemmer, as Anserini does) and every posting stores its BM25 weight, computed
            as Lucene computes it (k1 0.9 and b 0.4 by default, as in Anserini). Queries are then text.

            With --encoder splade:MODEL_DIR, each text document is encoded into a learned sparse vector
            by the SPLADE model (in Sparrow, on all cores) and the vectors are indexed; the index
            records the encoder, and sparrow search --encoder refuses a query encoder whose vocabulary
            differs.
            The first bad line stops the build with its file, line and field; an existing index at
            --output is replaced only when the new one is complete.

            The build holds about --memory MiB (1024 by default), however large the input: documents
            are gathered until building them would reach the budget, written as a segment, and the
            segments are merged into one at the end, streaming from file to file. The index is the
            same as an all-in-memory build's, except that --reorder then orders documents within
            each part.

            Besides the posting lists, the index holds a block-max table (--block-size postings per
            block) and, with --range-size N, a BMP range index of N documents per range, which the
            bmp and range-taat algorithms need (the default algorithm does not; it adds about 60%
            to the index). --reorder renumbers
            documents so that documents with the same heaviest terms are adjacent, which tightens
            both and speeds up pruning; ids and results are unchanged.

            --layout clustered adds, to every segment of at least --cluster-min-documents documents,
            Seismic's layout for approximate search: each term keeps its heaviest postings
            (--postings-per-term), grouped into blocks of similar documents (--block-fraction blocks
            per kept posting, from random centroids refined by --k-means-rounds rounds) with a summary vector each (--summary-mass of its weight kept), and a
            forward index that scores candidates exactly. Search it with sparrow search --recall 0.95
            (or --algorithm clustered --query-cut N --heap-factor F). Not for --text collections.
            The summaries are stored by term (each list's blocks grouped under the terms their
            summaries hold), so a query reads only its own terms' entries; --no-summaries-by-term
            stores them by block, for a pass over every summary of a list (slower at 1M documents).
            The compact forward records are stored in block order (every list's best block first),
            so that a visited block's records lie near one another; --no-records-by-block stores
            them in document order (the same answers).

            Examples:
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index --reorder --range-size 32
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-clustered --layout clustered --cluster-min-documents 0
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-by-block --layout clustered --cluster-min-documents 0 --no-summaries-by-term
              sparrow index --input docs10m.jsonl --output /tmp/big-index --memory 2048
              sparrow index --text --input ../shared/data/scifact/corpus.jsonl.gz --output /tmp/scifact-bm25
              sparrow index --encoder splade:../shared/data/models/splade-tiny --input ../shared/data/scifact/corpus.jsonl.gz --output /tmp/scifact-splade
            """
    )

    @Option(name: .shortAndLong, help: "Documents, one JSON object per line (.jsonl or .jsonl.gz).")
    var input: String

    @Option(name: .shortAndLong, help: "The index directory to create or replace.")
    var output: String

    @Flag(name: .shortAndLong, help: "Print no progress line, only the summary.")
    var quiet = false

    @Option(name: .long, help: "Memory budget in MiB: a larger input is built in parts of this size, then merged into one segment.")
    var memory = SearchIndex.defaultBuildMemory >> 20

    @OptionGroup var collection: CollectionOptions

    var options: BuildOptions { collection.options }
    var text: Bool { collection.text }
    var encoder: EncoderSpec? { collection.encoder }
    var maxlen: Int { collection.maxlen }

    func run() throws {
        let start = ContinuousClock.now
        let showProgress = !quiet && isatty(2) == 1
        var lastDraw = start
        let textOptions = TextIndexOptions(analyzer: try collection.analysis.resolved(), bm25: BM25(k1: collection.k1, b: collection.b))
        try reportingErrors {
            let progress: ((BuildProgress) -> Void)? = showProgress ? { p in
                let now = ContinuousClock.now
                guard now - lastDraw > .milliseconds(250) else { return }
                lastDraw = now
                drawProgress(done: p.documents, total: nil, fraction: p.fraction, unit: "docs", since: start)
            } : nil
            let memory = self.memory << 20
            if let encoder {
                guard case .splade(let splade) = try encoder.queryEncoder(tokenizer: nil, index: nil, maxLength: maxlen) else {
                    throw ExitCode(1)
                }
                try SearchIndex.build(fromTextFile: input, to: output, encoder: splade, model: absolutePath(encoder.path),
                                      threads: ProcessInfo.processInfo.activeProcessorCount, options: options,
                                      memory: memory, progress: progress)
            } else if text {
                try SearchIndex.build(fromTextFile: input, to: output, text: textOptions, options: options, memory: memory,
                                      progress: progress)
            } else {
                try SearchIndex.build(fromVectorFile: input, to: output, options: options, memory: memory, progress: progress)
            }
        }
        if showProgress { writeAll(2, "\r\u{1B}[K") }
        let info = try reportingErrors { try IndexInfo.read(output) }
        let (meta, bytes) = (info.meta, info.totalBytes)
        let elapsed = seconds(since: start)
        print("indexed \(meta.documents) documents, \(meta.terms) terms, \(meta.postings) postings, "
            + "\(bytes) bytes in \(formatted(elapsed, decimals: 2)) s "
            + "(\(Int(Double(meta.documents) / max(elapsed, 1e-9))) docs/s) -> \(output)")
    }
}

/// `path` made absolute against the current directory, so an index can find its model later.
func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

/// What a new collection is: vectors, text with BM25, or text encoded by a SPLADE model, and how
/// its segments are built. Shared by `index` and `add` (which creates a collection when absent).
struct CollectionOptions: ParsableArguments {
    @Flag(name: .long, help: "Renumber documents so similar ones are adjacent (faster pruning, same results).")
    var reorder = false

    @Option(name: .long, help: "Postings per block of the block-max table.")
    var blockSize = BuildOptions().blockSize

    @Option(name: .long, help: "Documents per BMP range, 1 to 256 (32 is a good choice); 0 builds no range index.")
    var rangeSize = BuildOptions().rangeSize

    @Flag(name: .long, help: "The input is text: build a BM25 index.")
    var text = false

    @Option(name: .long, help: "The input is text: encode it with a SPLADE model (splade:MODEL_DIR) and index the vectors.")
    var encoder: EncoderSpec?

    @Option(name: .long, help: "With --encoder: word pieces per document, [CLS] and [SEP] included.")
    var maxlen = 256

    @OptionGroup(title: "Text indexes (--text)") var analysis: AnalyzerOptions

    @OptionGroup(title: "Approximate search (--layout clustered)") var layout: LayoutOptions

    @Option(name: .long, help: "BM25 k1 (with --text).")
    var k1: Float = BM25().k1

    @Option(name: .long, help: "BM25 b (with --text).")
    var b: Float = BM25().b

    var options: BuildOptions {
        BuildOptions(blockSize: blockSize, rangeSize: rangeSize, reorder: reorder ? .cluster : .none, clustered: layout.settings)
    }

    /// The settings of a new collection made with these options.
    func settings() throws -> IndexSettings {
        if text {
            return IndexSettings(options, text: TextWeighting(analyzer: try analysis.resolved(), bm25: BM25(k1: k1, b: b)))
        }
        if let encoder {
            let model = try loadEncoder(encoder.path, maxLength: maxlen)
            return IndexSettings(options, encoder: model.info(model: absolutePath(encoder.path)))
        }
        return IndexSettings(options)
    }
}

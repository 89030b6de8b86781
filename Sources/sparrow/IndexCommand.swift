import ArgumentParser
import Sparrow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build an index from a sparse-vector JSONL file.",
        discussion: """
            Each input line is one document: {"id": "d1", "vector": {"token": 0.53, ...}} with an optional
            "content", "contents" or "text" string stored for display. Plain or gzip input.
            The first bad line stops the build with its file, line and field; an existing index at
            --output is replaced only when the new one is complete.

            Besides the posting lists, the index holds a block-max table (--block-size postings per
            block) and, with --range-size N, a BMP range index of N documents per range, which the
            bmp and range-taat algorithms need (the default algorithm does not; it adds about 60%
            to the index). --reorder renumbers
            documents so that documents with the same heaviest terms are adjacent, which tightens
            both and speeds up pruning; ids and results are unchanged.

            Examples:
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index
              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index --reorder --range-size 32
            """
    )

    @Option(name: .shortAndLong, help: "Documents, one JSON object per line (.jsonl or .jsonl.gz).")
    var input: String

    @Option(name: .shortAndLong, help: "The index directory to create or replace.")
    var output: String

    @Flag(name: .long, help: "Renumber documents so similar ones are adjacent (faster pruning, same results).")
    var reorder = false

    @Option(name: .long, help: "Postings per block of the block-max table.")
    var blockSize = BuildOptions().blockSize

    @Option(name: .long, help: "Documents per BMP range, 1 to 256 (32 is a good choice); 0 builds no range index.")
    var rangeSize = BuildOptions().rangeSize

    @Flag(name: .shortAndLong, help: "Print no progress line, only the summary.")
    var quiet = false

    var options: BuildOptions {
        BuildOptions(blockSize: blockSize, rangeSize: rangeSize, reorder: reorder ? .cluster : .none)
    }

    func validate() throws {
        if let problem = BuildOptions(blockSize: blockSize).problem { throw ValidationError("--block-size: \(problem).") }
        if let problem = BuildOptions(rangeSize: rangeSize).problem { throw ValidationError("--range-size: \(problem).") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let showProgress = !quiet && isatty(2) == 1
        var lastDraw = start
        let index = try reportingErrors {
            try SearchIndex.build(fromVectorFile: input, options: options, progress: showProgress ? { p in
                let now = ContinuousClock.now
                guard now - lastDraw > .milliseconds(250) else { return }
                lastDraw = now
                let elapsed = seconds(since: start)
                let rate = Double(p.documents) / max(elapsed, 1e-9)
                let eta = p.fraction > 0.01 ? elapsed * (1 - p.fraction) / p.fraction : 0
                writeAll(2, "\r\(p.documents) docs  \(Int(rate)) docs/s  \(Int(p.fraction * 100))%  ETA \(Int(eta))s   ")
            } : nil)
        }
        if showProgress { writeAll(2, "\r\u{1B}[K") }
        try reportingErrors { try index.write(to: output) }
        let info = try reportingErrors { try IndexInfo.read(output) }
        let (meta, bytes) = (info.meta, info.totalBytes)
        let elapsed = seconds(since: start)
        print("indexed \(meta.documents) documents, \(meta.terms) terms, \(meta.postings) postings, "
            + "\(bytes) bytes in \(formatted(elapsed, decimals: 2)) s "
            + "(\(Int(Double(meta.documents) / max(elapsed, 1e-9))) docs/s) -> \(output)")
    }
}

import ArgumentParser
import Foundation
import Sparrow
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index with sparse-vector or text queries.",
        discussion: """
            With --queries, every line of the file is a query and the results are written as a TREC
            run (qid Q0 docid rank score sparrow) to --output or stdout. With --query, one ad-hoc query
            is answered with a readable table that shows the stored text.

            On a sparse-vector index a query is a vector: {"id": "q1", "vector": {...}} lines, or a
            {"token": weight} object for --query. On a text (BM25) index a query is text: BEIR
            queries.jsonl ({"_id", "text"}), {"id", "text"} lines or a TREC topic TSV (qid<TAB>text),
            and --query takes plain text; it is analysed as the documents were, and a repeated word
            counts as often as it occurs.

            With --encoder, queries are text encoded by Sparrow: splade:MODEL_DIR runs the SPLADE model,
            idf:TABLE.json weights each distinct word piece by the table (OpenSearch's inference-free
            mode; --tokenizer DIR names the word-piece vocabulary). An index built with
            sparrow index --encoder refuses a query encoder with another vocabulary. Without --encoder,
            text queries on such an index are encoded with the model it records (its absolute path at
            build time); vector queries ({"id", "vector"} lines, or a JSON object for --query) are
            used as they are.

            In the run, documents with equal scores are listed by ascending id, as Anserini lists
            them, and each tied score is written one float step (about 1e-7 of it) below the one
            above it, so that trec_eval and every other tool evaluate that order (trec_eval would
            otherwise sort tied documents by descending id); Anserini steps its ties apart by 1e-6
            for the same reason. With this, BM25 runs evaluate exactly as Anserini's do.
            --raw-scores writes the exact scores in the engine's order instead. --remove-query
            drops a document whose id equals the query id, as Anserini's -removeQuery does.

            --eval QRELS scores the run right away (see sparrow eval): the metrics go to stdout when
            the run goes to --output, otherwise to stderr. The judged queries of --queries count, so
            one that retrieves nothing scores 0 (as trec_eval -c does; Anserini's regressions use -c).

            Examples:
              sparrow search --index /tmp/toy-index --query '{"manhattan": 1.5, "project": 1.0}' -k 5
              sparrow search --index /tmp/toy-index --queries Examples/toy/queries.jsonl --output run.trec
              sparrow search --index /tmp/toy-clustered --queries Examples/toy/queries.jsonl --recall 0.95 --output run.trec
              sparrow search --index /tmp/scifact-bm25 --query "vitamin d deficiency"
              sparrow search --index /tmp/scifact-bm25 --queries ../shared/data/scifact/queries.test.jsonl \\
                  -k 1000 --output run.trec --eval ../shared/data/scifact/qrels/test.tsv
              sparrow search --index /tmp/scifact-splade --encoder splade:../shared/data/models/splade-tiny \\
                  --queries ../shared/data/scifact/queries.test.jsonl --output run.trec --eval ../shared/data/scifact/qrels/test.tsv
            """
    )

    @Option(name: .shortAndLong, help: "The index directory.")
    var index: String

    @Option(name: .long, help: "A JSONL file of queries; writes a TREC run.")
    var queries: String?

    @Option(name: .long, help: "One query, shown as a table: a JSON object of token: weight pairs, or text (on a text index, or with an encoder).")
    var query: String?

    @Option(name: .customShort("k"), help: "How many results per query.")
    var k: Int = 10

    @Option(name: .shortAndLong, help: "Write the TREC run here instead of stdout.")
    var output: String?

    @Option(name: .long, help: "Query algorithm: \(AlgorithmChoice.allValueStrings.joined(separator: ", ")). All return the same results; auto picks the fastest the index supports.")
    var algorithm = AlgorithmChoice(nil)

    @Option(name: .long, help: "The run tag written in the last column of the TREC run.")
    var runTag: String = "sparrow"

    @Flag(name: .long, help: "Write each document's exact score and the engine's order of ties (the document indexed first), leaving the order of tied documents to the evaluator.")
    var rawScores = false

    @Flag(name: .long, help: "Leave out the document whose id is the query's id (Anserini's -removeQuery, which its BEIR regressions use).")
    var removeQuery = false

    @Option(name: .long, help: "Relevance judgments to score the run with (BEIR TSV or TREC qrels).")
    var eval: String?

    @Option(name: .long, help: "Threads that search a query file (default: all cores); the run is the same with any number.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup(title: "Text queries for learned sparse indexes") var queryEncoding: QueryEncoderOptions

    @OptionGroup(title: "Approximate search") var approximate: ApproximationOptions

    @OptionGroup var metricOptions: MetricOptions

    func validate() throws {
        guard k >= 1 else { throw ValidationError("-k must be at least 1 (got \(k)).") }
        guard (queries == nil) != (query == nil) else {
            throw ValidationError("Give exactly one of --queries FILE or --query '{\"token\": weight}'.")
        }
        guard !runTag.isEmpty, !runTag.contains(where: \.isWhitespace) else {
            throw ValidationError("--run-tag must be one word.")
        }
        if eval != nil && queries == nil { throw ValidationError("--eval needs --queries.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
        if (removeQuery || rawScores) && queries == nil {
            throw ValidationError("--remove-query and --raw-scores apply to runs: they need --queries.")
        }
        _ = try metricOptions.parsed()
        _ = try approximate.resolved(algorithm: algorithm.algorithm)
    }

    func run() throws {
        let searchIndex = try reportingErrors { try SearchIndex.open(at: index) }
        let queryEncoder = try queryEncoding.resolve(index: searchIndex, query: query, queries: queries)
        if let query {
            let record = try reportingErrors {
                if let queryEncoder { return queryEncoder.encode(query) }
                return searchIndex.textWeighting != nil ? try searchIndex.queryVector(text: query) : try parseQueryVector(query)
            }
            try printTable(searchIndex, record)
            return
        }
        let metrics = try metricOptions.parsed()
        let judgments = try eval.map { path in try reportingErrors { try Qrels.read(path: path) } }
        let records = try reportingErrors {
            try searchIndex.readQueries(fromFile: queries!, encoder: queryEncoder)
        }
        var ranking = Run()
        var out = ""
        var fd: Int32 = 1
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else {
                printError("error: cannot write \(output): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
        }
        defer { if output != nil { close(fd) } }
        func flush() throws {
            guard writeAll(fd, out) else {
                printError("error: cannot write \(output ?? "stdout"): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
            out = ""
        }
        var seenQueries = Set<ExactString>()
        for (record, line) in records where !seenQueries.insert(ExactString(record.id)).inserted {
            printError("error: \(InputError(path: queries!, line: line, field: "id", problem: "duplicate query id \"\(record.id)\""))")
            throw ExitCode(1)
        }
        if records.isEmpty && judgments != nil {
            printError("error: \(queries!) holds no query, so there is nothing to evaluate")
            throw ExitCode(1)
        }
        // Queries are searched on --threads threads, each taking the next query; the run is
        // written in query-file order, so it is the same with any number of threads.
        let started = ContinuousClock.now
        let answers = try searchAll(searchIndex, records.map(\.record))
        let searching = ContinuousClock.now - started
        for ((record, _), hits) in zip(records, answers) {
            var listed = hits.map { (doc: $0.id, score: $0.score) }
            if removeQuery { listed.removeAll { $0.doc == record.id } }
            if listed.count > k { listed.removeLast(listed.count - k) }
            if !rawScores { listed = rankingForRun(listed) }
            if judgments != nil {
                ranking.include(query: record.id)
                for hit in listed { ranking.append(query: record.id, doc: hit.doc, score: Double(hit.score)) }
            }
            for (i, hit) in listed.enumerated() {
                out += trecRunLine(queryID: record.id, documentID: hit.doc, rank: i + 1, score: hit.score, tag: runTag)
                out += "\n"
            }
            if out.utf8.count > 1 << 16 { try flush() }
        }
        try flush()
        if let output {
            let micros = Double(searching.components.seconds) * 1e6 + Double(searching.components.attoseconds) / 1e12
            let qps = micros > 0 ? Double(records.count) / micros * 1e6 : 0
            printError("wrote \(records.count) queries x top-\(k) to \(output) "
                + "(\(try approximate.resolved(algorithm: algorithm.algorithm).algorithm?.rawValue ?? algorithm.name(on: searchIndex)), "
                + "\(threads) thread(s), \(Int(qps)) queries/s)")
        }
        if let judgments {
            warnIfUnrelated(ranking, judgments, qrelsPath: eval!)
            let report = Evaluator.evaluate(run: ranking, qrels: judgments, metrics: metrics, includeUnretrieved: false)
                .report(perQuery: false)
            if output != nil { print(report, terminator: "") } else { printError(String(report.dropLast())) }
        }
    }

    /// The hits of every query, searched on `threads` threads; in query order.
    private func searchAll(_ index: SearchIndex, _ queries: [VectorRecord]) throws -> [[SearchHit]] {
        let slots = Mutex<[Result<[SearchHit], Error>?]>(Array(repeating: nil, count: queries.count))
        let next = Atomic<Int>(0)
        let wanted = removeQuery ? k + 1 : k
        let (algorithm, approximation) = try approximate.resolved(algorithm: algorithm.algorithm)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, queries.count))) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= queries.count { return }
                let result = Result { try index.search(queries[i], k: wanted, algorithm: algorithm, approximation: approximation) }
                slots.withLock { $0[i] = result }
            }
        }
        return try reportingErrors { try slots.withLock { $0 }.map { try $0!.get() } }
    }

    private func printTable(_ index: SearchIndex, _ record: VectorRecord) throws {
        let unknown = index.unknownTokens(of: record)
        if !unknown.isEmpty {
            printError("note: \(unknown.count) query token(s) not in the index: \(unknown.prefix(10).joined(separator: " "))")
        }
        let (algorithm, approximation) = try approximate.resolved(algorithm: algorithm.algorithm)
        let hits = try reportingErrors { try index.search(record, k: k, algorithm: algorithm, approximation: approximation) }
        if hits.isEmpty {
            print("no document matches the query")
            return
        }
        let idWidth = max(2, hits.map(\.id.count).max() ?? 0)
        print("rank  score      " + "id".padding(idWidth) + "  text")
        for hit in hits {
            var text = (index.text(of: hit.doc) ?? "").replacingNewlines()
            if text.count > 80 { text = String(text.prefix(77)) + "..." }
            print(String(hit.rank).padding(4) + "  " + formatted(Double(hit.score), decimals: 4).padding(9)
                + "  " + hit.id.padding(idWidth) + "  " + text)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func replacingNewlines() -> String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

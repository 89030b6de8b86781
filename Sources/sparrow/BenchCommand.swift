import ArgumentParser
import Foundation
import Sparrow

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure query latency of each algorithm on an index (release builds only).",
        discussion: """
            Opens the index, reads the query file, and for each algorithm runs every query once
            single-threaded after a warm-up, timing each search (query resolution, the algorithm
            and result ids). Prints per algorithm: mean, p50 and p99 latency in µs, queries per
            second, postings (and BMP ranges or clustered blocks) scored per query, and agreement with
            the exhaustive top-k: recall of its documents at k, recall@10 and recall@100 (from
            untimed runs at k = 10 and 100), and the share of queries with the identical ranking.

            Approximate settings: --recall, --query-cut, --heap-factor, --alpha and --beta apply to
            every algorithm run; --setting runs a list of settings instead of --algorithms, each
            ALGORITHM[:knob=value,...] (knobs query-cut, heap-factor, alpha, beta) or recall=R, e.g.
            --setting clustered:query-cut=8,heap-factor=0.9 --setting bmp:alpha=0.9 --setting recall=0.95.
            On a text (BM25) index the queries are text and the timing includes analysing them.
            With --encoder (or, for text queries, the model an index built by sparrow index --encoder
            records) the queries are text encoded once before timing; sparrow encode --latency
            times the encoders themselves.
            Pin the process to one core for stable figures: taskset -c 1 sparrow bench ...

            Examples:
              swift build -c release
              .build/release/sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index
              .build/release/sparrow bench --index /tmp/toy-index --queries Examples/toy/queries.jsonl -k 5
              .build/release/sparrow bench --index /tmp/toy-index --queries Examples/toy/queries.jsonl --algorithms bmp,maxscore --json
              .build/release/sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-clustered --layout clustered --cluster-min-documents 0
              .build/release/sparrow bench --index /tmp/toy-clustered --queries Examples/toy/queries.jsonl --setting recall=0.95 --setting clustered:query-cut=2
            """
    )

    @Option(name: .shortAndLong, help: "The index directory.")
    var index: String

    @Option(name: .long, help: "A file of queries: vectors, or text for a text index or with an encoder.")
    var queries: String

    @Option(name: .customShort("k"), help: "How many results per query.")
    var k: Int = 10

    @Option(name: .long, help: "Comma-separated algorithms to run, or \"all\" (\(AlgorithmChoice.allValueStrings.joined(separator: ", "))).")
    var algorithms: String = "all"

    @Option(name: .long, help: "Queries run before timing starts (cycling through the file).")
    var warmup: Int = 100

    @Option(name: .long, help: "Use only the first N queries of the file.")
    var limit: Int?

    @OptionGroup(title: "Text queries for learned sparse indexes") var queryEncoding: QueryEncoderOptions

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @OptionGroup(title: "Approximate search (applies to every algorithm run)") var approximate: ApproximationOptions

    @Option(name: .long, help: "A setting to run instead of --algorithms (repeatable): ALGORITHM[:query-cut=N,heap-factor=F,alpha=A,beta=B] or recall=R.")
    var setting: [String] = []

    @Flag(name: .long, help: "Open the index without verifying checksums (faster start on big indexes).")
    var noVerify = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("-k must be at least 1 (got \(k)).") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative.") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
        _ = try runs(defaultAlgorithm: .exhaustiveTAAT)
    }

    /// One configuration to time: an algorithm with its knobs, and the name it is reported under.
    struct Run {
        var name: String
        var algorithm: Algorithm
        var approximation: Approximation
    }

    /// The configurations to time, in order: the --setting list, else every --algorithms entry
    /// with the approximate-search options.
    func runs(defaultAlgorithm: Algorithm) throws -> [Run] {
        if setting.isEmpty {
            let (presetAlgorithm, approximation) = try approximate.resolved(algorithm: nil)
            let list = approximate.recall != nil && algorithms == "all" ? [presetAlgorithm!] : try chosen(defaultAlgorithm: defaultAlgorithm)
            let knobs = approximation.isExact ? "" : " " + Self.describe(approximation)
            return list.map { Run(name: $0.rawValue + knobs, algorithm: $0, approximation: approximation) }
        }
        return try setting.map { try Self.parse(setting: $0, defaultAlgorithm: defaultAlgorithm) }
    }

    /// A --setting value as a run.
    static func parse(setting: String, defaultAlgorithm: Algorithm) throws -> Run {
        if setting.hasPrefix("recall=") {
            guard let r = Double(setting.dropFirst(7)), let preset = Approximation.preset(recall: r) else {
                throw ValidationError("--setting \(setting): the recall presets are \(Approximation.presetRecalls.map { String($0) }.joined(separator: ", ")).")
            }
            let knobs = describe(preset.approximation)
            return Run(name: "recall \(r) (\(preset.algorithm.rawValue)\(knobs.isEmpty ? "" : " " + knobs))",
                       algorithm: preset.algorithm, approximation: preset.approximation)
        }
        let parts = setting.split(separator: ":", maxSplits: 1)
        guard let choice = AlgorithmChoice(argument: String(parts[0])) else {
            throw ValidationError("--setting \(setting): unknown algorithm \"\(parts[0])\"; known: \(AlgorithmChoice.allValueStrings.joined(separator: ", ")).")
        }
        var approximation = Approximation.exact
        for knob in parts.count > 1 ? parts[1].split(separator: ",") : [] {
            let kv = knob.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let value = Double(kv[1]) else {
                throw ValidationError("--setting \(setting): \"\(knob)\" is not knob=number.")
            }
            switch kv[0] {
            case "query-cut": approximation.queryCut = Int(value)
            case "heap-factor": approximation.heapFactor = Float(value)
            case "alpha": approximation.alpha = Float(value)
            case "beta": approximation.beta = Float(value)
            default: throw ValidationError("--setting \(setting): unknown knob \"\(kv[0])\" (query-cut, heap-factor, alpha, beta).")
            }
        }
        if let problem = approximation.problem { throw ValidationError("--setting \(setting): \(problem).") }
        let algorithm = choice.algorithm ?? defaultAlgorithm
        return Run(name: approximation.isExact ? algorithm.rawValue : "\(algorithm.rawValue) \(describe(approximation))",
                   algorithm: algorithm, approximation: approximation)
    }

    /// The knobs that differ from exact, as `knob=value` words.
    static func describe(_ a: Approximation) -> String {
        var words: [String] = []
        if let c = a.queryCut { words.append("query-cut=\(c)") }
        if let larger = a.largerSegments { words.append("query-cut=\(larger.queryCut) above \(larger.above) documents") }
        if a.heapFactor != 1 { words.append("heap-factor=\(a.heapFactor)") }
        if a.alpha != 1 { words.append("alpha=\(a.alpha)") }
        if a.beta != 1 { words.append("beta=\(a.beta)") }
        return words.joined(separator: ",")
    }

    /// The algorithms named by --algorithms, in order.
    func chosen(defaultAlgorithm: Algorithm) throws -> [Algorithm] {
        if algorithms == "all" { return Algorithm.allCases }
        return try algorithms.split(separator: ",").map { name in
            guard let choice = AlgorithmChoice(argument: String(name.trimmingCharacters(in: .whitespaces))) else {
                throw ValidationError("--algorithms: unknown algorithm \"\(name)\"; known: \(AlgorithmChoice.allValueStrings.joined(separator: ", ")).")
            }
            return choice.algorithm ?? defaultAlgorithm
        }
    }

    struct Row: Codable {
        var algorithm: String
        var queries: Int
        var meanMicros: Double
        var p50Micros: Double
        var p99Micros: Double
        var qps: Double
        var postingsPerQuery: Double
        var rangesPerQuery: Double
        var recallVsExhaustive: Double
        var recallAt10: Double
        var recallAt100: Double
        var identicalRankings: Double
    }

    struct Report: Codable {
        var index: String
        var queries: String
        var k: Int
        var documents: Int
        var postings: Int
        var indexBytes: Int
        var openSeconds: Double
        var defaultAlgorithm: String
        var results: [Row]
        var peakRSSBytes: Int
    }

    func run() throws {
        #if DEBUG
        printError("error: bench measures release builds only; run: swift build -c release && .build/release/sparrow bench ...")
        throw ExitCode(1)
        #else
        let openStart = ContinuousClock.now
        let searchIndex = try reportingErrors { try SearchIndex.open(at: index, verifyChecksums: !noVerify) }
        let openSeconds = seconds(since: openStart)
        let info = try reportingErrors { try IndexInfo.read(index) }
        let queryEncoder = try queryEncoding.resolve(index: searchIndex, query: nil, queries: queries)
        var records = try reportingErrors {
            try searchIndex.readQueries(fromFile: queries, encoder: queryEncoder)
        }.map(\.record)
        // On a text index the timed work includes analysing the query text, as a user's query does.
        let analyse = searchIndex.textWeighting != nil
        if let limit { records = Array(records.prefix(limit)) }
        guard !records.isEmpty else {
            printError("error: \(queries) holds no queries")
            throw ExitCode(1)
        }
        let list = try runs(defaultAlgorithm: searchIndex.defaultAlgorithm)
        try reportingErrors { for run in list { try searchIndex.requireSupport(for: run.algorithm) } }

        // The exhaustive answers, for agreement (analysed once: the same vectors for every run).
        let vectors = try records.map { analyse ? try searchIndex.queryVector(text: $0.text!) : $0 }
        let exact = try vectors.map { try searchIndex.search($0, k: k, algorithm: .exhaustiveTAAT).map(\.id) }
        let exact10 = try vectors.map { try searchIndex.search($0, k: 10, algorithm: .exhaustiveTAAT).map(\.id) }
        let exact100 = try vectors.map { try searchIndex.search($0, k: 100, algorithm: .exhaustiveTAAT).map(\.id) }
        func recallAt(_ depth: Int, _ want: [[String]], _ run: Run) throws -> Double {
            var sum = 0.0
            for (i, v) in vectors.enumerated() {
                let got = try searchIndex.search(v, k: depth, algorithm: run.algorithm, approximation: run.approximation).map(\.id)
                sum += Self.recall(got, want[i])
            }
            return sum / Double(vectors.count)
        }

        var rows: [Row] = []
        for run in list {
            let algorithm = run.algorithm
            for i in 0..<warmup {
                let record = records[i % records.count]
                _ = try searchIndex.search(analyse ? try searchIndex.queryVector(text: record.text!) : record,
                                           k: k, algorithm: algorithm, approximation: run.approximation)
            }
            var micros: [Double] = []
            micros.reserveCapacity(records.count)
            var postings = 0
            var ranges = 0
            var recall = 0.0
            var identical = 0
            for (i, record) in records.enumerated() {
                var stats = QueryStats()
                let started = ContinuousClock.now
                let query = analyse ? try searchIndex.queryVector(text: record.text!) : record
                let hits = try searchIndex.search(query, k: k, algorithm: algorithm, approximation: run.approximation, stats: &stats)
                let elapsed = ContinuousClock.now - started
                micros.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
                postings += stats.postingsScored
                ranges += stats.rangesScored
                let ids = hits.map(\.id)
                recall += Self.recall(ids, exact[i])
                if ids == exact[i] { identical += 1 }
            }
            let n = Double(records.count)
            let total = micros.reduce(0, +)
            micros.sort()
            rows.append(Row(
                algorithm: run.name, queries: records.count, meanMicros: total / n,
                p50Micros: percentile(micros, 0.50), p99Micros: percentile(micros, 0.99), qps: n / (total / 1e6),
                postingsPerQuery: Double(postings) / n, rangesPerQuery: Double(ranges) / n,
                recallVsExhaustive: recall / n, recallAt10: try recallAt(10, exact10, run),
                recallAt100: try recallAt(100, exact100, run), identicalRankings: Double(identical) / n))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let report = Report(
            index: index, queries: queries, k: k, documents: searchIndex.documentCount, postings: searchIndex.postingCount,
            indexBytes: info.totalBytes, openSeconds: openSeconds, defaultAlgorithm: searchIndex.defaultAlgorithm.rawValue,
            results: rows, peakRSSBytes: Int(usage.ru_maxrss) * 1024)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            printTable(report)
        }
        #endif
    }

    /// The share of `want` found in `got` (1 when `want` is empty).
    static func recall(_ got: [String], _ want: [String]) -> Double {
        guard !want.isEmpty else { return 1 }
        let wanted = Set(want)
        return Double(got.filter(wanted.contains).count) / Double(want.count)
    }

    /// Nearest-rank percentile of sorted values.
    func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    func printTable(_ r: Report) {
        print("index \(r.index): \(r.documents) documents, \(r.postings) postings, \(r.indexBytes) bytes, "
            + "opened in \(formatted(r.openSeconds, decimals: 3)) s; default algorithm \(r.defaultAlgorithm)")
        print("queries \(r.queries): \(r.results.first?.queries ?? 0), k = \(r.k), warm-up \(warmup)")
        let width = max(20, (r.results.map(\.algorithm.count).max() ?? 0) + 2)
        print("algorithm".padding(width) + "mean µs".leftPadding(10) + "p50 µs".leftPadding(10) + "p99 µs".leftPadding(10)
            + "QPS".leftPadding(10) + "postings/q".leftPadding(13) + "ranges/q".leftPadding(10)
            + "recall".leftPadding(8) + "R@10".leftPadding(8) + "R@100".leftPadding(8) + "same".leftPadding(7))
        for row in r.results {
            print(row.algorithm.padding(width) + formatted(row.meanMicros, decimals: 1).leftPadding(10)
                + formatted(row.p50Micros, decimals: 1).leftPadding(10) + formatted(row.p99Micros, decimals: 1).leftPadding(10)
                + formatted(row.qps, decimals: 0).leftPadding(10) + formatted(row.postingsPerQuery, decimals: 0).leftPadding(13)
                + formatted(row.rangesPerQuery, decimals: 0).leftPadding(10)
                + formatted(row.recallVsExhaustive, decimals: 4).leftPadding(8)
                + formatted(row.recallAt10, decimals: 4).leftPadding(8) + formatted(row.recallAt100, decimals: 4).leftPadding(8)
                + formatted(row.identicalRankings, decimals: 3).leftPadding(7))
        }
        print("peak RSS \(r.peakRSSBytes / 1_048_576) MiB")
    }
}

extension String {
    func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

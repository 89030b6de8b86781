import ArgumentParser
import Sparrow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct SparrowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparrow",
        abstract: "Sparrow: a search engine for sparse retrieval (learned sparse vectors, BM25, built-in encoders).",
        discussion: """
            Build an index from sparse vectors, then search it:

              sparrow index --input Examples/toy/documents.jsonl --output /tmp/toy-index
              sparrow search --index /tmp/toy-index --query '{"manhattan": 1.5, "project": 1.0}'
              sparrow search --index /tmp/toy-index --queries Examples/toy/queries.jsonl -k 10
              sparrow bench --index /tmp/toy-index --queries Examples/toy/queries.jsonl -k 5   # release build

            From text, with BM25 (Lucene's analyzer and scores) or a SPLADE model run by Sparrow:

              sparrow index --text --input corpus.jsonl --output /tmp/bm25
              sparrow index --encoder splade:MODEL_DIR --input corpus.jsonl --output /tmp/splade
              sparrow search --index /tmp/splade --encoder splade:MODEL_DIR --queries queries.jsonl --eval qrels.tsv
              sparrow eval --qrels qrels.tsv --run run.trec --metrics ndcg@10,recall@100

            A live collection takes writes while it is searched (a write-ahead log makes every
            acknowledged batch durable):

              sparrow add --index /tmp/live --input Examples/toy/documents.jsonl
              sparrow delete --index /tmp/live --id 3
              sparrow compact /tmp/live

            Serve collections over HTTP (a JSON API, a search page at /, metrics, OpenAPI):

              sparrow serve --data /tmp/sparrow-data
            """,
        subcommands: [IndexCommand.self, AddCommand.self, DeleteCommand.self, CompactCommand.self, RelayoutCommand.self, ServeCommand.self, StressWriteCommand.self, SearchCommand.self, EvalCommand.self, EncodeCommand.self, AnalyzeCommand.self, BenchCommand.self,
                      InfoCommand.self, CheckCommand.self]
    )
}

/// Runs `body`, turning Sparrow's errors into a one-line message on stderr and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as InputError {
        printError("error: \(error)")
    } catch let error as IndexError {
        printError("error: \(error)")
    } catch let error as ExitCode {
        throw error
    } catch let error as TokenizerError {
        printError("error: \(error)")
    }
    throw ExitCode(1)
}

func printError(_ message: String) {
    writeAll(2, message + "\n")
}

/// Writes a string to a file descriptor, retrying short writes; false on failure.
@discardableResult
func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var text = text
    return text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }
}

/// Redraws the progress line on stderr: a bar, the percentage, the count, the rate and the time
/// left, e.g. `[########............]  40%  2048/5183 docs  89 docs/s  ETA 35 s`.
func drawProgress(done: Int, total: Int?, fraction: Double, unit: String, since start: ContinuousClock.Instant) {
    let elapsed = seconds(since: start)
    let rate = Double(done) / max(elapsed, 1e-9)
    let f = min(1, max(0, fraction))
    let filled = Int(f * 20)
    let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "]"
    let count = total.map { "\(done)/\($0)" } ?? "\(done)"
    let eta = f > 0.01 ? "  ETA \(Int((elapsed * (1 - f) / f).rounded())) s" : ""
    let percent = String(Int(f * 100))
    writeAll(2, "\r\(bar) \(String(repeating: " ", count: 3 - percent.count))\(percent)%  \(count) \(unit)  "
        + "\(Int(rate)) \(unit)/s\(eta)\u{1B}[K")
}

/// Seconds since `start`, for summaries.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func formatted(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var s = String(rounded)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if have < decimals { s += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        s += "." + String(repeating: "0", count: decimals)
    }
    return s
}

/// `--algorithm`: a named algorithm, or `auto` to let the index choose.
struct AlgorithmChoice: ExpressibleByArgument {
    /// nil for `auto`.
    var algorithm: Algorithm?

    init(_ algorithm: Algorithm?) { self.algorithm = algorithm }

    init?(argument: String) {
        if argument == "auto" {
            algorithm = nil
        } else if let a = Algorithm(rawValue: argument) {
            algorithm = a
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + Algorithm.allCases.map(\.rawValue) }
    var defaultValueDescription: String { algorithm?.rawValue ?? "auto" }

    /// The algorithm's name as the index will run it.
    func name(on index: SearchIndex) -> String { (algorithm ?? index.defaultAlgorithm).rawValue }
}

/// The query knobs of approximate search, shared by `search` and `bench`.
struct ApproximationOptions: ParsableArguments {
    @Option(name: .long, help: "Approximate search holding this recall@10 floor: 0.90 or 0.95 (the clustered algorithm with measured knobs; exact on segments without --layout clustered), or 0.99 (exact search, the faster way there).")
    var recall: Double?

    @Option(name: .long, help: "clustered: visit the blocks of only the N heaviest query terms (default: all).")
    var queryCut: Int?

    @Option(name: .long, help: "clustered: skip a block whose summary bound is below this factor times the k-th score (default 1; lower visits more).")
    var heapFactor: Float?

    @Option(name: .long, help: "bmp: visit a range only while alpha times its bound reaches the k-th score (0 < alpha <= 1; default 1, exact).")
    var alpha: Float?

    @Option(name: .long, help: "bmp: use only the ceil(beta x |q|) heaviest query terms (0 < beta <= 1; default 1, exact).")
    var beta: Float?

    /// The algorithm (when a preset picks it) and the knobs, or a validation error.
    func resolved(algorithm: Algorithm?) throws -> (algorithm: Algorithm?, approximation: Approximation) {
        var approximation = Approximation.exact
        var algorithm = algorithm
        if let recall {
            guard algorithm == nil else {
                throw ValidationError("--recall picks the algorithm; leave out --algorithm \(algorithm!.rawValue).")
            }
            guard let preset = Approximation.preset(recall: recall) else {
                throw ValidationError("--recall: no preset for \(recall); the presets are \(Approximation.presetRecalls.map { String($0) }.joined(separator: ", ")).")
            }
            (algorithm, approximation) = preset
        }
        if let queryCut { approximation.queryCut = queryCut }
        if let heapFactor { approximation.heapFactor = heapFactor }
        if let alpha { approximation.alpha = alpha }
        if let beta { approximation.beta = beta }
        if let problem = approximation.problem { throw ValidationError("\(problem).") }
        return (algorithm, approximation)
    }
}

/// How a new collection's segments are laid out for approximate search (`index` and `add`).
extension ClusterSettings.Method: ExpressibleByArgument {}

struct LayoutOptions: ParsableArguments {
    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case inverted, clustered
    }

    @Option(name: .long, help: "inverted (posting lists only; exact search; the default) or clustered (adds Seismic-style blocks with summaries and a forward index, for approximate search with --recall).")
    var layout: Layout?

    @Option(name: .long, help: "clustered: how lists are cut into blocks: random-centroids (Seismic's) or leaders (documents sorted by their heaviest other terms).")
    var clusterMethod: ClusterSettings.Method = ClusterSettings().method

    @Option(name: .long, help: "clustered: rounds of k-means after random-centroids (0: Seismic's assignment; each round costs about one more assignment).")
    var kMeansRounds = ClusterSettings().kMeansRounds

    @Option(name: .long, help: "clustered: postings kept per term, heaviest first (0: all; default 2000 + documents/2000, plus 1 per 1800 documents beyond 1M: 2500 at 1M, 12000 at 10M).")
    var postingsPerTerm: Int?

    @Option(name: .long, help: "clustered: blocks per kept list, as a fraction of its length.")
    var blockFraction = ClusterSettings().blockFraction

    @Option(name: .long, help: "clustered: share of each block summary's weight mass kept (1: exact summaries; Seismic uses 0.4).")
    var summaryMass = ClusterSettings().summaryMass

    @Option(name: .long, help: "clustered: seed of the block centroids (the same seed builds the same files).")
    var clusterSeed = ClusterSettings().seed

    @Option(name: .long, help: "clustered: segments with fewer documents are searched exactly, without the layout.")
    var clusterMinDocuments = ClusterSettings().minDocuments

    @Flag(name: .long, inversion: .prefixedNo,
          help: "clustered: store the summaries by term (the default; faster approximate search) or, with --no-summaries-by-term, by block.")
    var summariesByTerm = ClusterSettings().summariesByTerm

    @Flag(name: .long, inversion: .prefixedNo,
          help: "clustered: store the compact forward records in block order (the default; fewer pages per candidate) or, with --no-records-by-block, in document order.")
    var recordsByBlock = ClusterSettings().recordsByBlock

    var settings: ClusterSettings? {
        guard layout == .clustered else { return nil }
        return ClusterSettings(method: clusterMethod, postingsPerTerm: postingsPerTerm, blockFraction: blockFraction, summaryMass: summaryMass,
                               kMeansRounds: kMeansRounds, seed: clusterSeed, minDocuments: clusterMinDocuments, summariesByTerm: summariesByTerm,
                               recordsByBlock: recordsByBlock)
    }
}

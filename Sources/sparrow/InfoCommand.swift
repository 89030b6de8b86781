import ArgumentParser
import Sparrow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sizes of an index's files, read from the directory.
struct IndexInfo {
    var meta: IndexMeta
    var files: [(name: String, bytes: Int)]
    var totalBytes: Int { files.reduce(0) { $0 + $1.bytes } }

    static func read(_ path: String) throws -> IndexInfo {
        let meta = try SearchIndex.meta(at: path)
        var names = ["meta.json"] + SearchIndex.files(of: meta)
        var st = stat()
        if stat(path + "/wal.log", &st) == 0 { names.append("wal.log") }
        let files = names.map { name -> (String, Int) in
            var st = stat()
            return (name, stat(path + "/" + name, &st) == 0 ? Int(st.st_size) : 0)
        }
        return IndexInfo(meta: meta, files: files)
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show an index's counts, sizes and format version.",
        discussion: """
            Example:
              sparrow info /tmp/toy-index
            """
    )

    @OptionGroup var location: IndexLocation

    func run() throws {
        let index = location.directory
        let info = try reportingErrors { try IndexInfo.read(index) }
        let m = info.meta
        print("index        \(index)")
        print("format       \(m.format) version \(m.formatVersion) (readable by version \(m.minReaderVersion)+), codec \(m.codec)")
        print("created by   \(m.createdBy)")
        let deleted = m.segments.reduce(0) { $0 + ($1.deleted ?? 0) }
        print("documents    \(m.documents)" + (deleted > 0 ? " live, \(deleted) deleted (dropped by the next merge)" : ""))
        print("segments     \(m.segments.count)" + (m.opstamp.map { ", last logged operation committed: \($0)" } ?? ""))
        for s in m.segments {
            print("  \(s.name)  \(s.documents) documents" + ((s.deleted ?? 0) > 0 ? " (\(s.deleted!) deleted)" : "")
                + ", \(s.postings) postings")
        }
        if let log = info.files.first(where: { $0.name == "wal.log" }) {
            print("log          \(log.bytes) bytes (writes since the last commit; replayed on open)")
        }
        print("terms        \(m.terms)")
        print("postings     \(m.postings)")
        print("block size   \(m.blockSize.map(String.init) ?? "none stored (computed on open)") postings")
        print("range size   \((m.rangeSize ?? 0) > 0 ? "\(m.rangeSize!) documents" : "no range index")")
        print("order        \(m.reorder ?? "none")")
        if let c = m.clustered {
            let clustered = m.segments.filter { m.settings.hasClusters(documents: $0.documents) }.count
            print("layout       clustered (\(c.method.rawValue)\(c.method == .randomCentroids ? " + \(c.kMeansRounds) k-means round(s)" : ""), postings per term \(c.postingsPerTerm.map(String.init) ?? "auto (rule \(c.postingsRule))"), "
                + "block fraction \(c.blockFraction), summary mass \(c.summaryMass), seed \(c.seed)\(c.summariesByTerm ? ", summaries by term" : "")\(c.recordsByBlock ? ", records by block" : "")); "
                + "\(clustered) of \(m.segments.count) segment(s) have it (those of at least \(c.minDocuments) documents)")
        } else {
            print("layout       inverted (no clustered layout)")
        }
        if let t = m.text {
            let analyzer = Analyzer(settings: t.analyzer).map(\.description) ?? "\(t.analyzer)"
            print("weights      \(t.model) k1 \(t.k1) b \(t.b), analyzer \(analyzer)")
            print("text stats   \(t.documentsWithTerms) documents with terms, \(t.totalTermCount) terms, "
                + "average length \(formatted(t.averageLength, decimals: 2))")
        } else if let e = m.encoder {
            print("weights      \(e.kind) vectors encoded by Sparrow, model \(e.model), maxlen \(e.maxLength)")
            print("vocabulary   \(e.vocabularySize) word pieces, fingerprint \(e.vocabularyFingerprint)")
        } else {
            print("weights      sparse vectors as given")
        }
        let perPosting = m.postings > 0 ? formatted(Double(info.totalBytes) / Double(m.postings), decimals: 2) : "-"
        print("bytes        \(info.totalBytes) (\(perPosting) per posting)")
        for f in info.files { print("  \(f.name.padding(30)) \(f.bytes)") }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every checksum and structural invariant of an index.",
        discussion: """
            Exits 0 when the index is sound, 1 otherwise, listing each problem.

            Example:
              sparrow check /tmp/toy-index
            """
    )

    @OptionGroup var location: IndexLocation

    func run() throws {
        let index = location.directory
        let report = SearchIndex.check(at: index)
        for f in report.files { print("checked \(f.name) (\(f.bytes) bytes)") }
        if report.isSound {
            print("ok: \(index) is sound")
            return
        }
        for p in report.problems { printError("error: \(p)") }
        throw ExitCode(1)
    }
}

/// The index directory, given as the argument (`sparrow info DIR`) or as `--index DIR` like the
/// other commands take it.
struct IndexLocation: ParsableArguments {
    @Argument(help: "The index directory.")
    var path: String?

    @Option(name: .shortAndLong, help: "The index directory (the same as the argument).")
    var index: String?

    func validate() throws {
        if path == nil && index == nil { throw ValidationError("give the index directory (as the argument, or with --index)") }
        if path != nil && index != nil { throw ValidationError("give the index directory once: as the argument or with --index") }
    }

    var directory: String { path ?? index! }
}

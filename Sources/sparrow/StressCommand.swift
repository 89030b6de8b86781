import ArgumentParser
import Foundation
import Sparrow

/// `sparrow stress-write`: a writer for the crash test. It writes random batches to a collection
/// and reports each on stdout, unbuffered, before writing it (`begin N upsert` and a line
/// `doc ID {"token": weight, …}` per document, or `begin N delete ID …`) and once it is
/// acknowledged (`ack N`). The test kills it at random moments and checks the collection against
/// what was acknowledged.
struct StressWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress-write",
        abstract: "Write random batches to a collection, reporting each acknowledgement (for crash tests).",
        shouldDisplay: false
    )

    @Option(name: .long, help: "The collection directory (created when absent).")
    var index: String

    @Option(name: .long, help: "Seed of the random batches.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Stop after this many batches.")
    var batches = 100_000

    @Option(name: .long, help: "Ids are d0 … d(N-1).")
    var ids = 300

    func run() throws {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(n))
        }
        let writer = try reportingErrors {
            try IndexWriter.open(at: index, creating: IndexSettings(blockSize: 4, rangeSize: 8),
                                 options: WriterOptions(fsync: .always, flushDocuments: 40, mergeFactor: 3))
        }
        for w in writer.warnings { printError("warning: \(w)") }
        for n in 0..<batches {
            var line: String
            if next(3) < 2 {
                var docs: [String: PreparedDocument] = [:]
                for _ in 0...next(15) {
                    let id = "d\(next(ids))"
                    var tokens: [String] = []
                    var weights: [Float] = []
                    for t in 0..<50 where next(8) == 0 {
                        tokens.append("t\(t)")
                        weights.append(Float(1 + next(1000)) / 100)
                    }
                    docs[id] = PreparedDocument(id: id, tokens: tokens, weights: weights)
                }
                let batch = docs.values.sorted { $0.id < $1.id }
                line = "begin \(n) upsert\n" + batch.map { d in
                    "doc \(d.id) {" + zip(d.tokens, d.weights).map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}\n"
                }.joined()
                writeAll(1, line)
                _ = try reportingErrors { try writer.upsert(batch) }
            } else {
                let victims = (0...next(8)).map { _ in "d\(next(ids))" }
                line = "begin \(n) delete \(victims.joined(separator: " "))\n"
                writeAll(1, line)
                _ = try reportingErrors { try writer.delete(ids: victims) }
            }
            writeAll(1, "ack \(n)\n")
            if next(20) == 0 { try reportingErrors { try writer.commit() } }
            if next(60) == 0 { try reportingErrors { try writer.compact() } }
        }
        try reportingErrors { try writer.close() }
    }
}

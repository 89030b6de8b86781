import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// Crash safety of live collections: `sparrow stress-write` writes random batches with fsync
/// `always` and reports each acknowledgement; the test kills it with SIGKILL at random moments
/// (during writes, flushes, merges and compactions alike), reopens the collection and checks that
/// every acknowledged write and delete is there, that the batch in flight is applied wholly or not
/// at all, and that the index passes the full check.
struct CrashTests {
    enum Operation {
        case upsert([String: VectorRecord])
        case delete([String])
    }

    /// The operations a run reported: the acknowledged ones, and the one in flight if any.
    static func parse(_ output: String) throws -> (acknowledged: [Operation], inFlight: Operation?) {
        var acknowledged: [Operation] = []
        var current: Operation?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let parts = line.split(separator: " ", maxSplits: 2)
            switch parts.first {
            case "begin":
                if parts.count == 3 && parts[2].hasPrefix("delete") {
                    current = .delete(parts[2].split(separator: " ").dropFirst().map(String.init))
                } else {
                    current = .upsert([:])
                }
            case "doc":
                // A line cut short by the kill is part of the batch in flight, which is then not checked
                // document by document: either outcome is allowed only if the whole batch is known.
                guard parts.count == 3, case .upsert(var docs) = current,
                      let r = try? parseQueryVector(String(parts[2])) else { current = nil; continue }
                docs[String(parts[1])] = VectorRecord(id: String(parts[1]), tokens: r.tokens, weights: r.weights)
                current = .upsert(docs)
            case "ack":
                if let c = current { acknowledged.append(c) }
                current = nil
            default:
                continue
            }
        }
        return (acknowledged, current)
    }

    static func apply(_ op: Operation, to model: inout [String: VectorRecord]) {
        switch op {
        case .upsert(let docs): for (id, d) in docs { model[id] = d }
        case .delete(let ids): for id in ids { model[id] = nil }
        }
    }

    static func matches(_ index: SearchIndex, _ model: [String: VectorRecord], ids: Int) -> Bool {
        for i in 0..<ids {
            let id = "d\(i)"
            let stored = index.document(id: id)
            guard let want = model[id] else {
                if stored != nil { return false }
                continue
            }
            guard let stored else { return false }
            let expected = Dictionary(uniqueKeysWithValues: zip(want.tokens, want.weights))
            let got = Dictionary(uniqueKeysWithValues: zip(stored.tokens, stored.weights))
            if expected != got { return false }
        }
        return index.documentCount == model.count
    }

    @Test("SIGKILL at random moments loses no acknowledged write and applies no batch by halves")
    func killedWriter() throws {
        let binary = sparrowExecutable
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the CLI first (swift build): \(binary)")
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let index = dir + "/c"
        var model: [String: VectorRecord] = [:]
        var rng = SeededRandom(seed: 42)
        var acknowledgedTotal = 0
        var inFlightApplied = 0
        for round in 0..<24 {
            let output = dir + "/out-\(round).txt"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["stress-write", "--index", index, "--seed", String(round + 1)]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(Int.random(in: 30_000...400_000, using: &rng)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the writer exited by itself")

            let (acknowledged, inFlight) = try Self.parse(String(decoding: readFileBytes(output), as: UTF8.self))
            acknowledgedTotal += acknowledged.count
            for op in acknowledged { Self.apply(op, to: &model) }
            let writer = try IndexWriter.open(at: index)
            let snapshot = writer.snapshot
            if Self.matches(snapshot, model, ids: 300) {
                // The batch in flight was not applied (or changed nothing).
            } else if let inFlight {
                var withInFlight = model
                Self.apply(inFlight, to: &withInFlight)
                let matched = Self.matches(snapshot, withInFlight, ids: 300)
                #expect(matched, "round \(round): the collection is neither the acknowledged state nor that plus the batch in flight")
                model = withInFlight
                inFlightApplied += 1
            } else {
                Issue.record("round \(round): an acknowledged write is missing or changed")
                return
            }
            try writer.close()
            let report = SearchIndex.check(at: index)
            #expect(report.isSound, "round \(round): \(report.problems)")
        }
        #expect(acknowledgedTotal > 100, "the writer acknowledged only \(acknowledgedTotal) batches in all rounds")
    }
}

import Foundation
import Sparrow
import SparrowTestSupport
import Synchronization
import Testing

/// Searches from several tasks while one writer inserts, deletes, commits and merges. Every search
/// must equal the naive answer over the snapshot it searched, and every snapshot must hold one of
/// the states the writer acknowledged (never half a batch).
///
/// Also run under the thread sanitizer: `swift test --sanitize=thread --filter ConcurrencyTests`.
struct ConcurrencyTests {
    /// What the tasks share.
    final class Board: Sendable {
        /// States the writer has acknowledged, as id → vector; starts empty.
        let states = Mutex<[[String: [String: Float]]]>([[:]])
        let done = Atomic<Bool>(false)
        let checked = Atomic<Int>(0)
    }

    static let ids = 150

    /// The live documents of a snapshot, by id.
    static func content(of index: SearchIndex) -> [String: [String: Float]] {
        var out: [String: [String: Float]] = [:]
        for i in 0..<ids {
            if let d = index.document(id: "d\(i)") {
                out[d.id] = Dictionary(uniqueKeysWithValues: zip(d.tokens, d.weights))
            }
        }
        return out
    }

    @Test("concurrent searches see consistent snapshots and exact answers while a writer works")
    func searchesDuringWrites() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let writer = try IndexWriter.open(at: dir + "/c", creating: IndexSettings(blockSize: 4, rangeSize: 8),
                                          options: WriterOptions(fsync: .none, flushDocuments: 30, mergeFactor: 3))
        let corpus = RandomCorpus(seed: 11, documentCount: 600, vocabularySize: 60, termsPerDocument: 1...10,
                                  queryCount: 6, termsPerQuery: 1...5, weights: .skewed)
        let board = Board()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var model: [String: [String: Float]] = [:]
                var rng = SeededRandom(seed: 5)
                defer { board.done.store(true, ordering: .releasing) }
                // At least 120 steps, and on until the readers have checked 60 searches, so they overlap.
                var step = 0
                while step < 120 || (board.checked.load(ordering: .relaxed) < 60 && step < 20_000) {
                    step += 1
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0..<6:
                        let batch = (0..<Int.random(in: 1...8, using: &rng)).map { _ -> VectorRecord in
                            let source = corpus.documents.randomElement(using: &rng)!
                            return VectorRecord(id: "d\(Int.random(in: 0..<Self.ids, using: &rng))", tokens: source.tokens,
                                                weights: source.weights)
                        }
                        var unique: [String: VectorRecord] = [:]
                        for r in batch { unique[r.id] = r }
                        // Publish the state before the write is applied, so a reader that sees it finds it.
                        for r in unique.values { model[r.id] = Dictionary(uniqueKeysWithValues: zip(r.tokens, r.weights)) }
                        board.states.withLock { $0.append(model) }
                        try writer.upsert(unique.values.sorted { $0.id < $1.id }.map(writer.prepare))
                    case 6..<8:
                        let victims = (0..<Int.random(in: 1...5, using: &rng)).map { _ in "d\(Int.random(in: 0..<Self.ids, using: &rng))" }
                        for id in victims { model[id] = nil }
                        board.states.withLock { $0.append(model) }
                        try writer.delete(ids: victims)
                    case 8:
                        try writer.commit()
                    default:
                        if step % 3 == 0 { try writer.compact() } else { try writer.commit() }
                    }
                }
            }
            for reader in 0..<3 {
                group.addTask {
                    var rng = SeededRandom(seed: UInt64(100 + reader))
                    while !board.done.load(ordering: .acquiring) {
                        let snapshot = writer.snapshot
                        let content = Self.content(of: snapshot)
                        let known = board.states.withLock { $0.contains(content) }
                        #expect(known, "reader \(reader): a snapshot holds a state the writer never acknowledged")
                        let records = content.keys.sorted().map { id in
                            VectorRecord(id: id, tokens: Array(content[id]!.keys), weights: Array(content[id]!.values))
                        }
                        let naive = NaiveScorer(records)
                        let query = corpus.queries.randomElement(using: &rng)!
                        let algorithm = Algorithm.allCases.randomElement(using: &rng)!
                        let expected = naive.search(query, k: 10)
                        let got = try snapshot.search(query, k: 10, algorithm: algorithm)
                        let problem = rankingDisagreement(got: got.map { ($0.id, $0.score) }, expected: expected,
                                                          trueScore: { naive.score(of: $0, query) }, tolerance: 0)
                        #expect(problem == nil, "reader \(reader), \(algorithm): \(problem ?? "")")
                        board.checked.add(1, ordering: .relaxed)
                    }
                }
            }
            try await group.waitForAll()
        }
        print("concurrency: \(board.checked.load(ordering: .relaxed)) searches checked")
        #expect(board.checked.load(ordering: .relaxed) >= 60)
        try writer.close()
    }
}

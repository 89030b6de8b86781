/// Compares a top-k ranking with the exact one, allowing only tied documents to differ.
///
/// Documents whose scores tie (within `tolerance`, relative; 0 means exactly) may swap places or,
/// at the cut-off, be exchanged. Everything else must be identical:
/// - the same number of results, no document twice;
/// - every returned score within `tolerance` (relative) of that document's true score;
/// - the score at every rank within `tolerance` of the expected score at that rank;
/// - the same set of documents in every group of near-tied expected scores but the last.
///
/// - Returns: nil when the rankings agree, else a sentence saying where they differ.
public func rankingDisagreement(got: [(id: String, score: Float)], expected: [(id: String, score: Float)],
                                trueScore: (String) -> Float, tolerance: Float) -> String? {
    func close(_ a: Float, _ b: Float) -> Bool {
        a == b || abs(a - b) <= tolerance * max(abs(a), abs(b))
    }
    guard got.count == expected.count else { return "\(got.count) results, expected \(expected.count)" }
    guard Set(got.map(\.id)).count == got.count else { return "a document appears twice" }
    for (rank, g) in got.enumerated() {
        let t = trueScore(g.id)
        guard close(g.score, t) else { return "rank \(rank + 1): \(g.id) scored \(g.score), its true score is \(t)" }
        guard close(g.score, expected[rank].score) else {
            return "rank \(rank + 1): score \(g.score) (\(g.id)), expected \(expected[rank].score) (\(expected[rank].id))"
        }
    }
    var start = 0
    while start < expected.count {
        var end = start + 1
        while end < expected.count && close(expected[end - 1].score, expected[end].score) { end += 1 }
        if end < expected.count {   // a complete group: the same documents, in any order
            let want = Set(expected[start..<end].map(\.id))
            let have = Set(got[start..<end].map(\.id))
            guard want == have else { return "ranks \(start + 1)...\(end): \(have.sorted()) instead of \(want.sorted())" }
        }
        start = end
    }
    return nil
}

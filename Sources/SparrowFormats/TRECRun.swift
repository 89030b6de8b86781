/// Writes a TREC run line: `qid Q0 docid rank score tag`.
///
/// Scores are printed with Swift's shortest round-trip representation, so a run file holds
/// exactly the `Float` the engine computed.
public func trecRunLine(queryID: String, documentID: String, rank: Int, score: Float, tag: String) -> String {
    "\(queryID) Q0 \(documentID) \(rank) \(score) \(tag)"
}

/// A query's ranking (best first) as it is written to a TREC run, so that every evaluator scores
/// what Anserini's runs give:
/// - documents with equal scores are listed in ascending id order (bytewise), as Anserini lists
///   them (it sorts ties by the id field);
/// - every score that does not fall below the one written before it (a tie) is written one
///   `Float` step (ulp) below that one instead, so the order survives evaluation. trec_eval, and
///   so `ir_measures` and ``Evaluator``, re-sort each query by score and put tied documents in
///   *descending* id order, whatever the rank column says. Anserini rounds its scores to 1e-4
///   and steps ties 1e-6 apart for the same reason; here a tie moves by a few ulps (about 1e-7
///   of the score) and other scores do not move.
///
/// ```swift
/// rankingForRun([("d2", 3), ("d9", 2), ("d1", 2), ("d5", 1)])
/// // [("d2", 3), ("d1", 2), ("d9", 2.nextDown), ("d5", 1)]
/// ```
public func rankingForRun(_ ranking: [(doc: String, score: Float)]) -> [(doc: String, score: Float)] {
    var out = ranking.sorted { a, b in
        a.score != b.score ? a.score > b.score : a.doc.utf8.lexicographicallyPrecedes(b.doc.utf8)
    }
    for i in out.indices.dropFirst() where !(out[i].score < out[i - 1].score) {
        out[i].score = out[i - 1].score.nextDown
    }
    return out
}

/// A ranking per query, as read from a TREC run file or produced by a search.
public struct Run: Sendable, Equatable {
    /// Query ids in the order they first appear.
    public private(set) var queryIDs: [String] = []
    /// The retrieved documents of each query with their scores, in file order.
    public private(set) var results: [String: [(doc: String, score: Double)]] = [:]

    /// An empty run.
    public init() {}

    /// Records that `query` was asked, even if it retrieves nothing: evaluation then scores it 0
    /// rather than skipping it.
    public mutating func include(query: String) {
        if results[query] == nil {
            queryIDs.append(query)
            results[query] = []
        }
    }

    /// Appends a retrieved document to `query`'s list.
    public mutating func append(query: String, doc: String, score: Double) {
        include(query: query)
        results[query]!.append((doc, score))
    }

    /// Appends one query's ranking (best first) as `sparrow search` writes it to a run file:
    /// ``rankingForRun(_:)`` (ties by ascending id, scores strictly decreasing).
    public mutating func append(query: String, ranking: [(doc: String, score: Float)]) {
        include(query: query)
        for hit in rankingForRun(ranking) { results[query]!.append((hit.doc, Double(hit.score))) }
    }

    public static func == (a: Run, b: Run) -> Bool {
        a.queryIDs == b.queryIDs && a.queryIDs.allSatisfy { q in
            a.results[q]!.elementsEqual(b.results[q]!) { $0.doc == $1.doc && $0.score == $1.score }
        }
    }

    /// Reads a TREC run file: `qid Q0 docid rank score tag` per line, whitespace-separated. The
    /// rank column is ignored (evaluation orders by score, as trec_eval does). A document listed
    /// twice for one query is an ``InputError``.
    public static func read(path: String) throws -> Run {
        var run = Run()
        var seen = Set<String>()
        try LineReader(path: path).forEachLine { line, number in
            let fields = splitFields(line)
            if fields.isEmpty { return }
            guard fields.count == 6 else {
                throw InputError(path: path, line: number,
                                 problem: "expected 6 fields (qid Q0 docid rank score tag), found \(fields.count)")
            }
            guard let score = Double(fields[4]), score.isFinite else {
                throw InputError(path: path, line: number, field: "score", problem: "\"\(fields[4])\" is not a finite number")
            }
            guard seen.insert(fields[0] + "\t" + fields[2]).inserted else {
                throw InputError(path: path, line: number, field: "docid",
                                 problem: "document \(fields[2]) is listed twice for query \(fields[0])")
            }
            run.append(query: fields[0], doc: fields[2], score: score)
        }
        return run
    }
}

/// Relevance judgments: a grade per judged (query, document) pair.
public struct Qrels: Sendable, Equatable {
    /// `judgments[query][doc]` is the grade.
    public private(set) var judgments: [String: [String: Int]] = [:]

    /// No judgments yet.
    public init() {}

    /// Records a grade; a different grade for a pair already judged is an error (returns false).
    public mutating func set(query: String, doc: String, grade: Int) -> Bool {
        if let old = judgments[query]?[doc], old != grade { return false }
        judgments[query, default: [:]][doc] = grade
        return true
    }

    /// Reads qrels in either layout, line by line:
    /// - BEIR TSV: a header `query-id<TAB>corpus-id<TAB>score`, then `qid<TAB>docid<TAB>grade`;
    /// - TREC: `qid iteration docid grade`, whitespace-separated.
    ///
    /// A file without any judgment is an error, and so is every line that is not one (other than
    /// the header).
    public static func read(path: String) throws -> Qrels {
        var qrels = Qrels()
        try LineReader(path: path).forEachLine { line, number in
            let fields = splitFields(line)
            if fields.isEmpty { return }
            let (query, doc, gradeText): (String, String, String)
            switch fields.count {
            case 3:
                // The BEIR header (query-id corpus-id score); any other line must hold a judgment.
                if number == 1 && Int(fields[2]) == nil && Self.headerWords.contains(fields[2].lowercased()) { return }
                (query, doc, gradeText) = (fields[0], fields[1], fields[2])
            case 4:
                (query, doc, gradeText) = (fields[0], fields[2], fields[3])
            default:
                throw InputError(path: path, line: number, problem:
                    "expected 3 fields (query-id corpus-id score) or 4 (qid 0 docid relevance), found \(fields.count)")
            }
            guard let grade = Int(gradeText) else {
                throw InputError(path: path, line: number, field: "relevance", problem: "\"\(gradeText)\" is not an integer")
            }
            guard qrels.set(query: query, doc: doc, grade: grade) else {
                throw InputError(path: path, line: number, field: "relevance",
                                 problem: "query \(query), document \(doc) is judged twice with different grades")
            }
        }
        if qrels.judgments.isEmpty {
            throw InputError(path: path, line: 0, problem: "holds no judgments (qid 0 docid relevance, or a BEIR TSV)")
        }
        return qrels
    }

    /// The last column's name in a BEIR qrels header.
    static let headerWords: Set<String> = ["score", "relevance", "rel", "grade", "label"]
}

/// The whitespace-separated fields of a line.
private func splitFields(_ line: UnsafeBufferPointer<UInt8>) -> [String] {
    var fields: [String] = []
    var start: Int?
    for i in 0...line.count {
        let space = i == line.count || line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D
        if space {
            if let s = start {
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: line[s..<i]), as: UTF8.self))
                start = nil
            }
        } else if start == nil {
            start = i
        }
    }
    return fields
}

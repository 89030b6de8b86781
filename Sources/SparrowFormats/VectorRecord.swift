import SparrowCore

/// One line of a sparse-vector JSONL file: a document or a query.
///
/// Accepted shapes (one JSON object per line; other keys such as `metadata` are ignored):
/// - Seismic / BEIR-encoded: `{"id": "d1", "vector": {"term": 0.53, …}, "content": "text"}`
/// - Anserini `JsonVectorCollection`: `{"id": "d1", "contents": "text", "vector": {"term": 53, …}}`
///
/// `id` may be a string or an integer; the stored text may be called `content`, `contents` or
/// `text` (the first present is kept).
public struct VectorRecord: Sendable, Equatable {
    /// The external id, as written (an integer id keeps its digits).
    public var id: String
    /// Tokens in the order they appear; no token repeats.
    public var tokens: [String]
    /// The weight of each token: finite, non-negative, exactly representable as `Float`'s rounding
    /// of the decimal text.
    public var weights: [Float]
    /// Text stored for display, if the line had one.
    public var text: String?

    public init(id: String, tokens: [String], weights: [Float], text: String? = nil) {
        self.id = id
        self.tokens = tokens
        self.weights = weights
        self.text = text
    }
}

/// Parses ``VectorRecord`` lines, reporting every problem with the file, line and field.
///
/// Keep one parser per input file: it reuses its scratch storage across lines.
public struct VectorRecordParser {
    public let path: String
    private var seen: Set<ExactString> = []

    public init(path: String) {
        self.path = path
    }

    /// Parses one line; returns nil for a blank line.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws(InputError) -> VectorRecord? {
        var id: String?
        var tokens: [String] = []
        var weights: [Float] = []
        var text: String?
        var sawVector = false
        var field: String?
        var token: String?   // the vector entry being read; the field name is built only on error
        seen.removeAll(keepingCapacity: true)

        func fail(_ problem: String) -> InputError {
            InputError(path: path, line: lineNumber, field: token.map { "vector.\($0)" } ?? field, problem: problem)
        }

        let present = try JSONScanner.readObjectLine(line, fail: fail) { s, key in
            field = key
            switch key {
            case "id":
                if id != nil { throw fail("appears twice") }
                id = try parseID(&s, fail)
            case "vector":
                if sawVector { throw fail("appears twice") }
                sawVector = true
                guard s.peekKind() == .object else {
                    throw fail("must be an object of token: weight pairs")
                }
                try s.forEachMember { s, key in
                    token = key
                    guard seen.insert(ExactString(key)).inserted else { throw fail("token appears twice in the vector") }
                    tokens.append(key)
                    weights.append(try parseWeight(&s, fail))
                    token = nil
                }
                field = nil
            case "content", "contents", "text":
                let value = try s.parseOptionalString(fail)
                if text == nil { text = value }
            default:
                try s.skipValue()
            }
            field = nil
        }
        if !present { return nil }
        field = nil
        guard let id else { field = "id"; throw fail("missing (every line needs an \"id\")") }
        guard sawVector else { field = "vector"; throw fail("missing (every line needs a \"vector\" object)") }
        return VectorRecord(id: id, tokens: tokens, weights: weights, text: text)
    }
}

func parseID(_ s: inout JSONScanner, _ fail: (String) -> InputError) throws -> String {
    let id: String
    switch s.peekKind() {
    case .string:
        id = try s.parseString()
    case .number:
        let token = try s.scanNumber()
        guard token.isInteger else { throw fail("must be a string or an integer") }
        id = String(decoding: UnsafeBufferPointer(rebasing: s.bytes[token.range]), as: UTF8.self)
    default:
        throw fail("must be a string or an integer")
    }
    if let problem = DocumentID.problem(with: id) { throw fail(problem) }
    return id
}

private func parseWeight(_ s: inout JSONScanner, _ fail: (String) -> InputError) throws -> Float {
    let startsWord = s.current == UInt8(ascii: "N") || s.current == UInt8(ascii: "I")
        || (s.current == UInt8(ascii: "-") && s.position + 1 < s.bytes.count
            && s.bytes[s.position + 1] == UInt8(ascii: "I"))
    if startsWord {
        throw fail("weight is not a finite number (\(s.scanWord()))")
    }
    switch s.peekKind() {
    case .number:
        switch SparseWeight.check(try s.parseDouble()) {
        case .success(let weight): return weight
        case .failure(let problem): throw fail(problem.message)
        }
    case .string:
        throw fail("weight must be a number, not a string")
    default:
        throw fail("weight must be a number")
    }
}

extension VectorRecordParser {
    /// True when the first non-blank line of `path` is a JSON object with a `"vector"` member,
    /// that is, when the file holds sparse vectors rather than text (`.tsv` files are text).
    /// A first line that is not a JSON object counts as text; the text reader then reports it.
    ///
    /// ```swift
    /// let vectors = try VectorRecordParser.holdsVectors(path: "queries.jsonl")
    /// ```
    public static func holdsVectors(path: String) throws -> Bool {
        if TextRecordReader.isTSV(path) { return false }
        struct Stop: Error {}
        var found = false
        do {
            try LineReader(path: path).forEachLine { line, number in
                let fail = { (problem: String) in InputError(path: path, line: number, problem: problem) }
                // readObjectLine is false only for a blank line; stop at the first other one,
                // whether it reads as an object (true) or not (nil).
                if (try? JSONScanner.readObjectLine(line, fail: fail, member: { s, key in
                    if key == "vector" { found = true }
                    try s.skipValue()
                })) != false { throw Stop() }
            }
        } catch is Stop {}
        return found
    }
}

/// The rule every sparse weight obeys, wherever it comes from (a file, a request): a finite,
/// non-negative number that fits a 32-bit float.
public enum SparseWeight {
    public struct Problem: Error, Sendable { public var message: String }

    /// The 32-bit weight of `value`, or why it cannot be one.
    public static func check(_ value: Double) -> Result<Float, Problem> {
        guard !value.isNaN else { return .failure(Problem(message: "weight is not a number")) }
        guard value >= 0 else { return .failure(Problem(message: "weight is negative (\(value))")) }
        let weight = Float(value)
        guard weight.isFinite else { return .failure(Problem(message: "weight \(value) is too large for a 32-bit float")) }
        return .success(weight + 0)  // turns -0 into +0
    }
}

/// The rule every external document id obeys: non-empty, without whitespace or control
/// characters (TREC run files separate fields by whitespace).
public enum DocumentID {
    /// Why `id` cannot name a document, or nil when it can.
    public static func problem(with id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "contains whitespace or a control character, which TREC run files cannot hold"
        }
        return nil
    }
}

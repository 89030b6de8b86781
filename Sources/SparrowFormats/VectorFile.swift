import SparrowCore
/// Reads every record of a sparse-vector JSONL file (plain or gzip), calling `body` with each
/// record and its line number. Blank lines are skipped; the first bad line stops the read with an
/// ``InputError``.
public func forEachVectorRecord(
    inFile path: String,
    progress: ((Double) -> Void)? = nil,
    _ body: (VectorRecord, Int) throws -> Void
) throws {
    var parser = VectorRecordParser(path: path)
    try LineReader(path: path).forEachLine(progress: progress) { line, number in
        if let record = try parser.parse(line, lineNumber: number) {
            try body(record, number)
        }
    }
}

/// Reads all records of a (small) sparse-vector JSONL file, such as a query file.
public func readVectorRecords(fromFile path: String) throws -> [(record: VectorRecord, line: Int)] {
    var out: [(record: VectorRecord, line: Int)] = []
    try forEachVectorRecord(inFile: path) { out.append(($0, $1)) }
    return out
}

/// Parses a query vector given on a command line: a bare `{"token": weight, …}` JSON object,
/// checked by the same rules as a file's `vector` field. The record's id is `query`.
/// ``SparseQuery/init(json:source:)`` is the library's spelling; this one stays for scripts.
public func parseQueryVector(_ json: String, source: String = "--query") throws(InputError) -> VectorRecord {
    var bytes = Array("{\"id\":\"query\",\"vector\":".utf8)
    bytes.append(contentsOf: json.utf8)
    bytes.append(UInt8(ascii: "}"))
    bytes.append(0)
    var parser = VectorRecordParser(path: source)
    let record = try bytes.withUnsafeBufferPointer { (all) throws(InputError) -> VectorRecord? in
        try parser.parse(UnsafeBufferPointer(rebasing: all[0..<(all.count - 1)]), lineNumber: 0)
    }
    guard let record else { throw InputError(path: source, line: 0, problem: "empty query") }
    return record
}

/// A query: tokens with weights, scored against documents by dot product.
///
/// ```swift
/// let q = try SparseQuery(json: #"{"sparrow": 1.2, "nest": 0.4}"#)
/// let r = SparseQuery(["sparrow": 1.2, "nest": 0.4])
/// ```
public struct SparseQuery: Sendable, Equatable {
    /// The query's tokens, each once.
    public var tokens: [String]
    /// The weight of each token (finite and non-negative to be searched).
    public var weights: [Float]

    public init(tokens: [String], weights: [Float]) {
        self.tokens = tokens
        self.weights = weights
    }

    /// A query from token → weight pairs (tokens in byte order, so the query is the same whatever
    /// the dictionary's order).
    public init(_ weights: [String: Float]) {
        let pairs = weights.sorted { ExactString($0.key) < ExactString($1.key) }
        self.init(tokens: pairs.map(\.key), weights: pairs.map(\.value))
    }

    /// Parses a `{"token": weight, …}` JSON object by the rules of a file's `vector` field; errors
    /// name `source` (the flag or file it came from).
    public init(json: String, source: String = "query") throws(InputError) {
        let record = try parseQueryVector(json, source: source)
        self.init(tokens: record.tokens, weights: record.weights)
    }
}

extension VectorRecord {
    /// The record's vector as a query.
    public var query: SparseQuery { SparseQuery(tokens: tokens, weights: weights) }
}

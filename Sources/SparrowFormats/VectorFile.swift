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

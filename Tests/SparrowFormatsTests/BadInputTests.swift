import SparrowFormats
import SparrowTestSupport
import Testing

/// Every malformed line is refused with the file, the line and the field named.
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var line: String
        var field: String?
        var problem: String   // a fragment the message must contain
        var testDescription: String { line }
    }

    static let cases: [Case] = [
        Case(line: #"{"id": "d2", "vector": {"a": 1.0"#, field: "vector", problem: "malformed JSON"),
        Case(line: #"not json"#, field: nil, problem: "not a JSON object"),
        Case(line: #"{"id": "d2", "vector": {"a": "0.5"}}"#, field: "vector.a", problem: "not a string"),
        Case(line: #"{"id": "d2", "vector": {"a": NaN}}"#, field: "vector.a", problem: "not a finite number (NaN)"),
        Case(line: #"{"id": "d2", "vector": {"a": Infinity}}"#, field: "vector.a", problem: "not a finite number (Infinity)"),
        Case(line: #"{"id": "d2", "vector": {"a": -Infinity}}"#, field: "vector.a", problem: "not a finite number (-Infinity)"),
        Case(line: #"{"id": "d2", "vector": {"a": 1e39}}"#, field: "vector.a", problem: "too large for a 32-bit float"),
        Case(line: #"{"id": "d2", "vector": {"a": -0.5}}"#, field: "vector.a", problem: "negative"),
        Case(line: #"{"id": "d2", "vector": {"a": 1, "a": 2}}"#, field: "vector.a", problem: "appears twice"),
        Case(line: #"{"vector": {"a": 1}}"#, field: "id", problem: "missing"),
        Case(line: #"{"id": "d2"}"#, field: "vector", problem: "missing"),
        Case(line: #"{"id": "d2", "vector": [1, 2]}"#, field: "vector", problem: "must be an object"),
        Case(line: #"{"id": 1.5, "vector": {}}"#, field: "id", problem: "string or an integer"),
        Case(line: #"{"id": "a b", "vector": {}}"#, field: "id", problem: "whitespace"),
        Case(line: #"{"id": "", "vector": {}}"#, field: "id", problem: "empty"),
        Case(line: #"{"id": "d2", "vector": {}, "id": "d3"}"#, field: "id", problem: "appears twice"),
        Case(line: #"{"id": "d2", "vector": {"a": 01}}"#, field: "vector.a", problem: "malformed JSON"),
        Case(line: #"{"id": "d2", "vector": {"a": 1}} trailing"#, field: nil, problem: "after the JSON object"),
        Case(line: #"{"id": "d\ud800", "vector": {}}"#, field: "id", problem: "surrogate"),
        Case(line: #"{"id": "d2", "vector": {}, "content": 5}"#, field: "content", problem: "must be a string"),
    ]

    @Test("a bad line is reported with file, line and field", arguments: cases)
    func reported(_ c: Case) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/docs.jsonl"
        writeFile(path, "{\"id\": \"d1\", \"vector\": {\"a\": 1}}\n\n" + c.line + "\n{\"id\": \"d9\", \"vector\": {}}\n")
        var seen: [String] = []
        let error = #expect(throws: InputError.self) {
            try forEachVectorRecord(inFile: path) { record, _ in seen.append(record.id) }
        }
        #expect(seen == ["d1"])
        #expect(error?.path == path)
        #expect(error?.line == 3)
        #expect(error?.field == c.field)
        #expect(error?.problem.contains(c.problem) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix("\(path):3: ") == true)
    }

    @Test func invalidUTF8IsRefused() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/docs.jsonl"
        writeFile(path, Array(#"{"id": "d"#.utf8) + [0xFF] + Array(#"", "vector": {}}"#.utf8))
        let error = #expect(throws: InputError.self) { try readVectorRecords(fromFile: path) }
        #expect(error?.line == 1 && error?.field == "id" && error?.problem.contains("UTF-8") == true)
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: InputError.self) { try readVectorRecords(fromFile: "/nonexistent/docs.jsonl") }
        #expect(error?.description.contains("/nonexistent/docs.jsonl") == true)
        #expect(error?.problem.contains("cannot open") == true)
    }

    @Test("a truncated gzip file is an error naming where reading stopped")
    func truncatedGzip() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let lines = (0..<2000).map { #"{"id": "d\#($0)", "vector": {"tok\#($0 % 97)": 0.\#($0 % 9 + 1)}}"# }
        writeGzip(dir + "/full.jsonl.gz", lines.joined(separator: "\n") + "\n")
        let full = readFileBytes(dir + "/full.jsonl.gz")
        writeFile(dir + "/cut.jsonl.gz", Array(full.prefix(full.count * 2 / 3)))
        #expect(try readVectorRecords(fromFile: dir + "/full.jsonl.gz").count == 2000)
        var read = 0
        let error = #expect(throws: InputError.self) {
            try forEachVectorRecord(inFile: dir + "/cut.jsonl.gz") { _, _ in read += 1 }
        }
        #expect(error?.problem.contains("truncated") == true, "\(error?.description ?? "")")
        #expect(error?.path == dir + "/cut.jsonl.gz")
        #expect(error.map { $0.line > 1 && $0.line <= 2001 } == true)
        #expect(read < 2000)
    }

    @Test func queryVectorFromCommandLine() throws {
        let q = try parseQueryVector(#"{"brother": 2.4, "son": 1}"#)
        #expect(q.tokens == ["brother", "son"] && q.weights == [2.4, 1])
        let error = #expect(throws: InputError.self) { try parseQueryVector(#"{"a": -1}"#) }
        #expect(error?.field == "vector.a")
    }
}

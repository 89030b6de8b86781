import Foundation
import SparrowCore
import SparrowFormats
import SparrowTestSupport
import Testing

/// The line parser against Foundation's JSON parser on varied, valid lines.
struct ParserTests {
    static let strings = ["plain", "caf\u{E9}", "e\u{301}", "\u{6F22}\u{5B57}", "emoji \u{1F600}", "quote\"back\\slash",
                          "tab\tnl\n", "##ing", "[CLS]", "ctrl\u{1}", "\u{2028}sep", "â€™ mojibake"]

    @Test("random lines parse as Foundation parses them")
    func differentialAgainstFoundation() throws {
        var rng = SeededRandom(seed: 42)
        for i in 0..<400 {
            var tokens: [String] = []
            var weights: [Float] = []
            for j in 0..<Int.random(in: 0...12, using: &rng) {
                let t = Self.strings.randomElement(using: &rng)! + String(j)
                tokens.append(t)
                let style = Int.random(in: 0..<4, using: &rng)
                weights.append(style == 0 ? Float(Int.random(in: 0...100, using: &rng))
                               : style == 1 ? Float.random(in: 0...1e-3, using: &rng)
                               : Float.random(in: 0...30, using: &rng))
            }
            let text: String? = i % 2 == 0 ? Self.strings.randomElement(using: &rng)! : nil
            var line = "{\"metadata\": {\"a\": [1, 2.5e3, null, true, {\"b\": \"c\"}]}, \"id\": \(i % 3 == 0 ? String(i) : jsonString("q\(i)"))"
            line += ", \"vector\": {" + zip(tokens, weights).map { "\(jsonString($0)) : \($1)" }.joined(separator: ",") + "}"
            if let text { line += ", \"contents\": \(jsonString(text))" }
            line += "}"

            var bytes = Array(line.utf8)
            bytes.append(0)
            var parser = VectorRecordParser(path: "x")
            let record = try bytes.withUnsafeBufferPointer {
                try parser.parse(UnsafeBufferPointer(rebasing: $0[0..<($0.count - 1)]), lineNumber: 1)
            }
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let vector = object["vector"] as! [String: Any]
            #expect(record?.tokens.count == vector.count)
            for (t, w) in zip(record!.tokens, record!.weights) {
                let expected = (vector[t] as! NSNumber).doubleValue
                #expect(w == Float(expected), "token \(t)")
            }
            #expect(record?.id == "\(object["id"]!)")
            #expect(record?.text == object["contents"] as? String)
            // Tokens keep their bytes: canonically equivalent spellings stay distinct.
            #expect(Set(record!.tokens.map { Array($0.utf8) }).count == record!.tokens.count)
        }
    }

    @Test("plain, gzip, CRLF and a missing final newline read the same records")
    func fileVariants() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let lines = (0..<100).map { #"{"id": \#($0), "vector": {"a": \#($0).5, "b\u00e9": 1e-2}}"# }
        writeFile(dir + "/plain.jsonl", lines.joined(separator: "\n") + "\n")
        writeFile(dir + "/crlf.jsonl", lines.joined(separator: "\r\n"))
        writeGzip(dir + "/gz.jsonl.gz", lines.joined(separator: "\n") + "\n")
        let plain = try readVectorRecords(fromFile: dir + "/plain.jsonl").map(\.record)
        #expect(plain.count == 100)
        #expect(plain[7] == VectorRecord(id: "7", tokens: ["a", "b\u{E9}"], weights: [7.5, 0.01]))
        #expect(try readVectorRecords(fromFile: dir + "/crlf.jsonl").map(\.record) == plain)
        #expect(try readVectorRecords(fromFile: dir + "/gz.jsonl.gz").map(\.record) == plain)
    }

    @Test("a line longer than the read buffer is read whole")
    func longLine() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let tokens = (0..<200_000).map { "token\($0)" }
        let line = "{\"id\": \"big\", \"vector\": {" + tokens.map { "\"\($0)\": 1" }.joined(separator: ",") + "}}"
        writeFile(dir + "/big.jsonl", line + "\n{\"id\": \"small\", \"vector\": {}}\n")
        let records = try readVectorRecords(fromFile: dir + "/big.jsonl")
        #expect(records.map(\.record.id) == ["big", "small"])
        #expect(records[0].record.tokens.count == 200_000)
        #expect(records.map(\.line) == [1, 2])
    }

    @Test("a query file is told apart as vectors or text by its first line")
    func holdsVectors() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let cases: [(name: String, content: String, vectors: Bool)] = [
            ("v.jsonl", "\n  \n{\"id\": \"q1\", \"vector\": {\"a\": 1}}\n", true),
            ("late.jsonl", "{\"metadata\": {\"vector\": 1}, \"id\": 7, \"vector\": {}}\n", true),
            ("beir.jsonl", "{\"_id\": \"1\", \"text\": \"vector spaces\"}\n{\"id\": \"q2\", \"vector\": {}}\n", false),
            ("nested.jsonl", "{\"id\": \"q1\", \"text\": \"t\", \"metadata\": {\"vector\": 1}}\n", false),
            ("broken.jsonl", "not json\n", false),
            ("empty.jsonl", "", false),
            ("topics.tsv", "{\"id\": \"q1\", \"vector\": {}}\n", false),
        ]
        for c in cases {
            writeFile(dir + "/" + c.name, c.content)
            #expect(try VectorRecordParser.holdsVectors(path: dir + "/" + c.name) == c.vectors, "\(c.name)")
        }
        #expect(throws: InputError.self) { try VectorRecordParser.holdsVectors(path: dir + "/missing.jsonl") }
    }
}

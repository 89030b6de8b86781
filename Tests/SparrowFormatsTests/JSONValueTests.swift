import Foundation
import SparrowCore
@testable import SparrowFormats
import Testing

/// The request-body JSON reader: strict RFC 8259, a tree, and errors that name the JSON path.
struct JSONValueTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func failure(_ text: String) -> JSONParseError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test("values, nesting, order of members and number texts are kept")
    func values() throws {
        let v = try parse(#" {"a": [1, 2.5e1, -0, true, false, null, "x\u00e9\n"], "b": {"c": {}}, "z": 12345678901234567890} "#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["a", "b", "z"])
        #expect(v["a"] == .array([.number(1, text: "1"), .number(25, text: "2.5e1"), .number(-0.0, text: "-0"), .bool(true), .bool(false), .null, .string("xé\n")]))
        #expect(v["b"]?["c"] == .object(JSONObject()))
        #expect(v["z"]?.number == 12345678901234567890 && v["z"] == .number(12345678901234567890, text: "12345678901234567890"))
        #expect(v["missing"] == nil && v["a"]?["x"] == nil)
    }

    @Test("what parses serialises to JSON that parses back to the same tree")
    func roundTrip() throws {
        for text in [#"{"k": 10, "vector": {"a b": 1.5, "\"q\"": 0, "\t": 3e-7}}"#, #"[[], {}, "", [null, [true]]]"#, #""\u0001\u001f""#, "-1.25E+3"] {
            let v = try parse(text)
            #expect(try parse(v.serialized) == v, "\(text) → \(v.serialized)")
        }
        #expect(JSONValue.object(["a": .int(3), "b": .float(0.1), "c": .string("\"")]).serialized == #"{"a":3,"b":0.1,"c":"\""}"#)
    }

    @Test("errors name the JSON path and the byte of the problem")
    func errorPaths() {
        let cases: [(String, String, String)] = [
            (#"{"documents": [{"id": "a"}, {"vector": {"x": NaN}}]}"#, "documents[1].vector.x", "not a JSON number"),
            (#"{"a": {"b": [1, 2, }]}}"#, "a.b[2]", "expected a value"),
            (#"{"a": 1, "a": 2}"#, "a", "appears twice"),
            (#"{"a": tru}"#, "a", "invalid value"),
            (#"{"a": 1} x"#, "", "after the JSON value"),
            (#"{"a" 1}"#, "a", "':'"),
            (#"[01]"#, "[0]", "leading zero"),
            ("", "", "expected a value"),
            (#"{"s": "\ud800"}"#, "s", "surrogate"),
        ]
        for (text, path, message) in cases {
            guard let e = failure(text) else { Issue.record("\(text) parsed"); continue }
            #expect(e.path == path && e.message.contains(message), "\(text): \(e)")
            #expect(e.offset >= 0 && e.offset <= text.utf8.count)
        }
        // The offset is where the offending token starts.
        #expect(failure(#"{"x": NaN}"#)?.offset == 6)
        #expect(failure(#"{"x": nope}"#)?.offset == 6)
    }

    @Test("duplicate keys are found in small and in large objects")
    func duplicates() {
        for n in [2, 7, 8, 9, 300] {
            let members = (0..<n).map { #""k\#($0)": \#($0)"# }
            #expect(failure("{" + members.joined(separator: ",") + "}") == nil, "\(n) distinct keys")
            for repeatOf in [0, n / 2, n - 1] {
                let text = "{" + (members + [#""k\#(repeatOf)": 0"#]).joined(separator: ",") + "}"
                #expect(failure(text)?.message.contains("twice") == true, "\(n) keys, k\(repeatOf) again")
            }
        }
    }

    @Test("keys equal as Swift strings (canonically equivalent) are repeats, in small and large objects alike")
    func equivalentKeys() throws {
        // "\u{212A}" (KELVIN SIGN) is canonically equivalent to "K"; "e\u{301}" to "\u{E9}".
        for (a, b) in [("K", "\u{212A}"), ("\u{212A}", "K"), ("\u{E9}", "e\u{301}")] {
            for n in [0, 3, 8, 40] {
                let members = (0..<n).map { #""k\#($0)": \#($0)"# } + [#""\#(a)": 1"#, #""\#(b)": 2"#]
                #expect(failure("{" + members.joined(separator: ",") + "}")?.message.contains("twice") == true, "\(n) keys, then \(a) and \(b)")
                let vector = "{\"vector\": {" + members.joined(separator: ",") + "}}"
                #expect(try sparseRead(vector) == nil, "\(n) tokens, then \(a) and \(b)")
            }
        }
    }

    @Test("nesting is limited, so a hostile body cannot exhaust the stack")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(failure(deep)?.message.contains("nesting") == true)
        let ok = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(failure(ok) == nil)
    }

    @Test("NDJSON: one value per non-blank line; an error names the value and the byte in the whole body")
    func lines() throws {
        let body = "{\"id\": 1}\n\n  \r\n{\"id\": 2}\n{\"id\": 3, \"v\": [1,}\n"
        do {
            _ = try JSONValue.parseLines(Array(body.utf8), prefix: "documents")
            Issue.record("parsed")
        } catch {
            #expect(error.path == "documents[2].v[1]", "\(error)")
            #expect(error.offset == Array(body.utf8).lastIndex(of: UInt8(ascii: "}")), "\(error)")
        }
        let ok = try JSONValue.parseLines(Array("{\"a\": 1}\r\n{\"a\": 2}".utf8), prefix: "d")
        #expect(ok.map { $0["a"]?.number } == [1, 2])
    }

    @Test("numbers read exactly as strtod reads them, on the fast path and off it")
    func numbersMatchStrtod() throws {
        var texts = ["0", "-0", "0.0", "1", "-1", "0.1", "0.2", "0.3", "1e22", "1e23", "-1e-22", "1e-23", "9007199254740992",
                     "9007199254740993", "12345678901234567890", "1234567890123456789", "0.000000000000000000001234",
                     "123456789012345678901234e-10", "2.2250738585072014e-308", "1.7976931348623157e308", "5e-324",
                     "1e-400", "1e400", "4.9e-324", "0e99999", "1.0000000000000002", "3.141592653589793", "100e-2", "0.5E+1"]
        // Seeded random texts around the fast path's limits: up to 21 digits, powers of ten to ±30.
        var seeded = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let digits = String((0..<Int.random(in: 1...21, using: &seeded)).map { _ in Character(String(Int.random(in: 0...9, using: &seeded))) })
            var t = Bool.random(using: &seeded) ? "-" : ""
            let integer = digits.drop { $0 == "0" }
            let split = Int.random(in: 0...digits.count, using: &seeded)
            t += integer.isEmpty ? "0" : String(integer.prefix(max(1, split)))
            let rest = integer.dropFirst(max(1, split))
            if !rest.isEmpty { t += "." + rest }
            if Bool.random(using: &seeded) { t += ["e", "E"].randomElement(using: &seeded)! + ["", "+", "-"].randomElement(using: &seeded)! + String(Int.random(in: 0...30, using: &seeded)) }
            texts.append(t)
        }
        for text in texts {
            guard case .number(let value, _) = try parse(#"{"w": "# + text + "}")["w"] else { Issue.record("\(text) is not a number"); continue }
            let expected = strtod(text, nil)
            #expect(value.bitPattern == expected.bitPattern, "\(text): \(value) against strtod's \(expected)")
        }
    }

    /// Reads `text` with the sparse member `vector`, checking it against the tree: nil, or the
    /// tree's members but `vector`, and the vector ``JSONMembers`` would read from the tree.
    func sparseRead(_ text: String) throws -> SparseQuery?? {
        let read = Array(text.utf8).withUnsafeBufferPointer { JSONValue.parse($0, sparseMember: "vector") }
        guard let (rest, vector) = read else { return .none }
        let tree = try parse(text)
        guard case .object(let all) = tree, case .object(let others) = rest else { Issue.record("not objects: \(text)"); return .none }
        #expect(others.keys == all.keys.filter { $0 != "vector" || vector == nil }, "\(text)")
        #expect(others.keys.allSatisfy { others[$0] == all[$0] }, "\(text)")
        if let vector {
            guard case .object(let v) = all["vector"]! else { Issue.record("tree's vector is not an object: \(text)"); return .none }
            #expect(vector.tokens == v.keys, "\(text)")
            #expect(vector.weights == v.values.map { Float($0.number!) }, "\(text)")
        }
        return .some(vector)
    }

    @Test("a search body's vector read straight from the bytes is what the tree holds; anything else is left to the tree")
    func sparseMember() throws {
        let large = (0..<300).map { #""t\#($0)": \#(Double($0) / 7)"# }.joined(separator: ", ")
        for text in [###"{"k": 10, "vector": {"a": 1, "b b": 0.25, "\u00e9": 3e-3, "##s": 0}}"###, #"{"vector": {}}"#,
                     #"{"vector": {"x": 2}, "algorithm": "maxscore", "content": false}"#, "{\"vector\": {\(large)}, \"k\": 5}",
                     #" { "text": "a query" , "k": 3 } "#, #"{"vector": null, "text": "x"}"#, #"{"vector": [1, 2]}"#] {
            #expect(try sparseRead(text) != nil, "\(text)")
        }
        #expect(try sparseRead(#"{"vector": {"a": 1.5}}"#)??.tokens == ["a"])
        #expect(try sparseRead(#"{"vector": null}"#)! == nil)
        // Refused: malformed JSON, repeats, weights the tree's reader refuses, a top level that is not an object.
        for text in [#"{"vector": {"a": 1, "a": 2}}"#, "{\"vector\": {\(large), \"t150\": 1}}", #"{"vector": {"a": 1}, "vector": {"b": 1}}"#,
                     #"{"vector": null, "vector": {"b": 1}}"#, #"{"vector": {"b": 1}, "vector": null}"#, #"{"vector": {"a": -1}}"#,
                     #"{"vector": {"a": "1"}}"#, #"{"vector": {"a": NaN}}"#, #"{"vector": {"a": 1e39}}"#, #"{"vector": {"a": {"b": 1}}}"#,
                     #"{"vector": {"a": 1}"#, #"{"vector": {"a": 1}} x"#, #"[{"vector": {"a": 1}}]"#, #"{"k": 1, "k": 2, "vector": {}}"#, ""] {
            #expect(try sparseRead(text) == nil, "\(text)")
        }
    }

    @Test("keys that collide in the hash table are still told apart, and a long probe moves to a set")
    func collidingKeys() throws {
        // 80 keys whose hashes agree in their low 8 bits: a table of 256 slots puts them in one run.
        var colliding: [String] = []
        var i = 0
        while colliding.count < 80 {
            let key = "c\(i)"
            if KeyTable.hash(key)! & 255 == 0 { colliding.append(key) }
            i += 1
        }
        var table = KeyTable()
        var keys: [String] = []
        for key in colliding {
            let inserted = table.insert(key, among: keys)
            #expect(inserted)
            keys.append(key)
        }
        for key in colliding {
            let inserted = table.insert(key, among: keys)
            #expect(!inserted, "\(key) again")
        }
        let inserted = table.insert("c0x", among: keys)
        #expect(inserted)
        let text = "{" + colliding.map { #""\#($0)": 1"# }.joined(separator: ",") + "}"
        #expect(failure(text) == nil)
        #expect(failure(String(text.dropLast()) + #", "\#(colliding[40])": 2}"#)?.message.contains("twice") == true)
    }
}

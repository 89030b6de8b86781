import SparrowFormats
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
}

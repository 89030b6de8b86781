/// A JSON document read into a tree: for request bodies, which are small, nested and of many
/// shapes (ingest files, large and of one shape, are read by ``VectorRecordParser`` without one).
///
/// Parsing is strict RFC 8259 (no `NaN`, no comments, no trailing commas, no duplicate keys) and
/// reports where it failed as a JSON path, so a client learns which member is malformed:
///
/// ```swift
/// let value = try JSONValue.parse(Array(#"{"k": 10, "vector": {"a": 1}}"#.utf8))
/// value["vector"]?["a"]?.number   // 1.0
/// ```
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, with its source text (so integers beyond 2^53 and `1.0` versus `1` stay visible).
    case number(Double, text: String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var number: Double? { if case .number(let v, _) = self { return v } else { return nil } }
    public var string: String? { if case .string(let v) = self { return v } else { return nil } }

    /// A number from a Swift integer.
    public static func int(_ v: Int) -> JSONValue { .number(Double(v), text: String(v)) }
    /// A number from a 32-bit float (its shortest decimal form that reads back exactly).
    public static func float(_ v: Float) -> JSONValue { .number(Double(v), text: v.isFinite ? "\(v)" : "null") }
    /// An object from key-value pairs, in order (later duplicates are the caller's mistake).
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(JSONObject(keys: pairs.map(\.key), values: pairs.map(\.value)))
    }

    /// The value as compact JSON text.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the value as compact JSON text to `out`.
    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(_, let text): out += text
        case .string(let s): out += jsonString(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.members.enumerated() {
                if i > 0 { out += "," }
                out += jsonString(k)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    /// What kind of value this is, for messages (`"a string"`, `"an object"`, …).
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// The members of a JSON object, in document order, with unique keys.
public struct JSONObject: Sendable, Equatable {
    public var keys: [String]
    public var values: [JSONValue]

    public init(keys: [String] = [], values: [JSONValue] = []) {
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> JSONValue? {
        keys.firstIndex(of: key).map { values[$0] }
    }

    public var members: Zip2Sequence<[String], [JSONValue]> { zip(keys, values) }

    /// Adds a member after the others (`key` must not be there yet).
    public mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }
}

/// Why a JSON document did not parse: what, at which byte, inside which member.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the value being read (`documents[3].vector.foo`), empty at the top level.
    public var path: String
    /// The 0-based byte offset of the problem.
    public var offset: Int
    public var message: String

    public var description: String {
        (path.isEmpty ? "" : "at \(path): ") + "\(message) (byte \(offset))"
    }
}

extension JSONValue {
    /// The deepest nesting a document may have.
    public static let maximumDepth = 128

    /// Parses `bytes` as one JSON value (surrounding whitespace allowed). `prefix` starts every
    /// path in an error (`documents[3]` for the fourth line of NDJSON).
    public static func parse(_ bytes: [UInt8], prefix: String = "") throws(JSONParseError) -> JSONValue {
        // The scanner's number reader needs a NUL after the buffer.
        var padded = bytes
        padded.append(0)
        return try padded.withUnsafeBufferPointer { (all) throws(JSONParseError) -> JSONValue in
            var reader = TreeReader(scanner: JSONScanner(UnsafeBufferPointer(rebasing: all[0..<bytes.count])), path: [])
            do throws(JSONScanner.Failure) {
                let value = try reader.value(depth: 0)
                reader.scanner.skipWhitespace()
                guard reader.scanner.atEnd else {
                    throw JSONScanner.Failure(message: "unexpected \(reader.scanner.describeCurrent()) after the JSON value")
                }
                return value
            } catch {
                throw JSONParseError(path: reader.pathString(prefix: prefix), offset: reader.scanner.position, message: error.message)
            }
        }
    }

    /// Parses newline-delimited JSON: one value per non-blank line; an error names the line's
    /// position among the values as `prefix[i]`.
    public static func parseLines(_ bytes: [UInt8], prefix: String) throws(JSONParseError) -> [JSONValue] {
        var values: [JSONValue] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = Array(bytes[start..<end])
            if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
                do {
                    values.append(try parse(line, prefix: "\(prefix)[\(values.count)]"))
                } catch {
                    var e = error
                    e.offset += start
                    throw e
                }
            }
            start = end + 1
        }
        return values
    }
}

/// Builds the tree, keeping the path of the value being read for error messages.
private struct TreeReader {
    enum Step { case key(String), index(Int) }
    var scanner: JSONScanner
    var path: [Step]

    func pathString(prefix: String) -> String {
        var s = prefix
        for step in path {
            switch step {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    mutating func value(depth: Int) throws(JSONScanner.Failure) -> JSONValue {
        guard depth < JSONValue.maximumDepth else {
            throw JSONScanner.Failure(message: "nesting deeper than \(JSONValue.maximumDepth) levels")
        }
        scanner.skipWhitespace()
        switch scanner.peekKind() {
        case .string:
            return .string(try scanner.parseString())
        case .number:
            let start = scanner.position
            let v = try scanner.parseDouble()
            let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[start..<scanner.position]), as: UTF8.self)
            return .number(v, text: text)
        case .object:
            scanner.position &+= 1
            var object = JSONObject()
            if scanner.consume(UInt8(ascii: "}")) { return .object(object) }
            // Duplicate keys are looked for in a set once an object is larger than a few members
            // (a sparse vector has hundreds; a linear search made parsing quadratic).
            var seen: Set<String> = []
            repeat {
                scanner.skipWhitespace()
                guard scanner.current == UInt8(ascii: "\"") else {
                    throw JSONScanner.Failure(message: "expected a quoted key but found \(scanner.describeCurrent())")
                }
                let key = try scanner.parseString()
                path.append(.key(key))
                let repeated: Bool
                if object.keys.count < 8 {
                    repeated = object.keys.contains(key)
                } else {
                    if seen.isEmpty { seen = Set(object.keys) }
                    repeated = !seen.insert(key).inserted
                }
                if repeated { throw JSONScanner.Failure(message: "key appears twice") }
                try scanner.expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
                object.append(key, try value(depth: depth + 1))
                path.removeLast()
            } while scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(object)
        case .array:
            scanner.position &+= 1
            var items: [JSONValue] = []
            if scanner.consume(UInt8(ascii: "]")) { return .array(items) }
            repeat {
                path.append(.index(items.count))
                items.append(try value(depth: depth + 1))
                path.removeLast()
            } while scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        case .literal:
            let start = scanner.position
            switch scanner.scanWord() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            case let word:
                scanner.position = start   // the error points at the word
                throw JSONScanner.Failure(message: "invalid value '\(word)'")
            }
        case .invalid:
            if scanner.current == UInt8(ascii: "N") || scanner.current == UInt8(ascii: "I") {
                let start = scanner.position
                let word = scanner.scanWord()
                scanner.position = start
                throw JSONScanner.Failure(message: "'\(word)' is not a JSON number (weights must be finite)")
            }
            throw JSONScanner.Failure(message: "expected a value but found \(scanner.describeCurrent())")
        }
    }
}

import SparrowCore

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
public enum JSONValue: Sendable, Equatable {
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
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the value as compact JSON text to `out`.
    public func write(to out: inout String) {
        out += serialized
    }

    /// Appends the UTF-8 of the value as compact JSON text to `out` (bytes append far faster than
    /// a `String` grows, which matters for answers written per request).
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(_, let text): out.append(contentsOf: text.utf8)
        case .string(let s): appendJSONString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for i in o.keys.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(o.keys[i], to: &out)
                out.append(UInt8(ascii: ":"))
                o.values[i].write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
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
        try bytes.withUnsafeBufferPointer { (all) throws(JSONParseError) -> JSONValue in try parse(all, prefix: prefix) }
    }

    /// Parses the bytes `bytes` points at as one JSON value (as ``parse(_:prefix:)-([UInt8],_)``).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, prefix: String = "") throws(JSONParseError) -> JSONValue {
        var reader = TreeReader(scanner: JSONScanner(bytes), path: [])
        do throws(JSONScanner.Failure) {
            return try reader.document()
        } catch {
            throw JSONParseError(path: reader.pathString(prefix: prefix), offset: reader.scanner.position, message: error.message)
        }
    }

    /// Parses `bytes` as a JSON object whose member `key`, when it is an object of token: weight
    /// pairs, is read straight into a ``SparseQuery`` instead of a tree (a search request's
    /// vector: most of its bytes, and most of the cost of a tree). Returns the object without that
    /// member, and the vector (nil when the member is absent or not an object).
    ///
    /// Returns nil when the text is not such an object: malformed JSON, a repeated member, a
    /// vector whose weights are not all finite, non-negative numbers, or with a repeated token.
    /// The caller then reads it with ``parse(_:prefix:)-([UInt8],_)`` and ``JSONMembers``, which
    /// say what is wrong; whatever this accepts, they read the same way.
    ///
    /// ```swift
    /// let (rest, vector) = JSONValue.parse(bytes, sparseMember: "vector")!
    /// ```
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, sparseMember key: String) -> (object: JSONValue, vector: SparseQuery?)? {
        var reader = TreeReader(scanner: JSONScanner(bytes), path: [])
        reader.sparseMember = key
        guard let value = try? reader.document(), case .object = value else { return nil }
        return (value, reader.sparse)
    }

    /// Parses newline-delimited JSON: one value per non-blank line; an error names the line's
    /// position among the values as `prefix[i]`.
    public static func parseLines(_ bytes: [UInt8], prefix: String) throws(JSONParseError) -> [JSONValue] {
        var values: [JSONValue] = []
        var start = 0
        var pacer = YieldPacer()   // a batch of documents: write work a server paces
        while start < bytes.count {
            pacer.point()
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
    /// The member of the top-level object read as a sparse vector into ``sparse`` (when it is an object).
    var sparseMember: String?
    var sparse: SparseQuery?

    /// One value and nothing after it but whitespace.
    mutating func document() throws(JSONScanner.Failure) -> JSONValue {
        let value = try value(depth: 0)
        scanner.skipWhitespace()
        guard scanner.atEnd else {
            throw JSONScanner.Failure(message: "unexpected \(scanner.describeCurrent()) after the JSON value")
        }
        return value
    }

    /// A `{"token": weight, …}` object: the same tokens, in order, and weights as ``JSONMembers``
    /// reads from a tree. Any other value, a repeated token or a weight that ``SparseWeight``
    /// refuses is a failure (for the caller to read the text again with the tree).
    mutating func sparseVector() throws(JSONScanner.Failure) -> SparseQuery {
        scanner.position &+= 1
        var vector = SparseQuery(tokens: [], weights: [])
        if scanner.consume(UInt8(ascii: "}")) { return vector }
        var seen = KeyTable()
        repeat {
            scanner.skipWhitespace()
            guard scanner.current == UInt8(ascii: "\"") else { throw JSONScanner.Failure(message: "expected a token") }
            let token = try scanner.parseString()
            try checkUnique(token, among: vector.tokens, seen: &seen)
            try scanner.expect(UInt8(ascii: ":"), "':'")
            scanner.skipWhitespace()
            guard scanner.peekKind() == .number, case .success(let weight) = SparseWeight.check(try scanner.parseDouble()) else {
                throw JSONScanner.Failure(message: "not a weight")
            }
            vector.tokens.append(token)
            vector.weights.append(weight)
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
        return vector
    }

    /// Fails when `key` is among the keys of an object read so far. Objects larger than a few
    /// members are looked up in a hash table (a sparse vector has hundreds; a linear search made
    /// parsing quadratic).
    func checkUnique(_ key: String, among keys: [String], seen: inout KeyTable) throws(JSONScanner.Failure) {
        let repeated = keys.count < 8 ? keys.contains(key) : !seen.insert(key, among: keys)
        if repeated { throw JSONScanner.Failure(message: "key appears twice") }
    }
}

/// The keys of one object, to find a repeated one: open addressing on FNV-1a of the UTF-8 bytes,
/// several times cheaper than `Set<String>` (seeded SipHash, rehashing as it grows) for the
/// short ASCII keys of a sparse vector.
///
/// Repeats are keys equal as Swift strings, that is canonically equivalent (`"\u{212A}"`, KELVIN
/// SIGN, repeats `"K"`). Bytes decide that only among ASCII keys, so the first key that is not
/// ASCII moves the table to a `Set<String>`. So does a probe longer than 32 slots: keys crafted to
/// collide (FNV is not keyed) cannot make it quadratic.
struct KeyTable {
    /// Indexes into the keys, -1 for an empty slot; a power of two at least twice the keys.
    private var slots: [Int32] = []
    private var fallback: Set<String>?
    static let longestProbe = 32

    /// Adds `key`, about to be appended to `keys` (which holds every key added before), or returns
    /// false when it is there already.
    mutating func insert(_ key: String, among keys: [String]) -> Bool {
        if fallback == nil, let hash = Self.hash(key), let inserted = insertInTable(key, hash: hash, among: keys) {
            return inserted
        }
        if fallback == nil {
            fallback = Set(keys)
            slots = []
        }
        return fallback!.insert(key).inserted
    }

    /// `insert` by the hash table, or nil when the table gives up (a key that is not ASCII among
    /// `keys`, or too long a probe).
    private mutating func insertInTable(_ key: String, hash: Int, among keys: [String]) -> Bool? {
        if slots.count < 2 * (keys.count + 1) {
            slots = [Int32](repeating: -1, count: max(32, (2 * (keys.count + 1)).nextPowerOfTwo))
            for (i, k) in keys.enumerated() {
                guard let h = Self.hash(k), place(Int32(i), hash: h) else { return nil }
            }
        }
        let mask = slots.count - 1
        var slot = hash & mask
        var probes = 0
        while slots[slot] >= 0 {
            if keys[Int(slots[slot])] == key { return false }
            probes += 1
            if probes > Self.longestProbe { return nil }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(keys.count)
        return true
    }

    /// Places a key known to be new; false after too long a probe.
    private mutating func place(_ index: Int32, hash: Int) -> Bool {
        let mask = slots.count - 1
        var slot = hash & mask
        var probes = 0
        while slots[slot] >= 0 {
            probes += 1
            if probes > Self.longestProbe { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = index
        return true
    }

    /// FNV-1a of an ASCII key's bytes; nil for a key that is not ASCII.
    static func hash(_ key: String) -> Int? {
        var key = key
        return key.withUTF8 { bytes in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes {
                guard b < 0x80 else { return nil }
                h = (h ^ UInt64(b)) &* 0x100_0000_01b3
            }
            return Int(truncatingIfNeeded: h ^ (h >> 29))
        }
    }
}

extension Int {
    /// The least power of two at least `self` (which must be positive).
    fileprivate var nextPowerOfTwo: Int { 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}

extension TreeReader {
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
            var seen = KeyTable()
            var sawSparse = false
            repeat {
                scanner.skipWhitespace()
                guard scanner.current == UInt8(ascii: "\"") else {
                    throw JSONScanner.Failure(message: "expected a quoted key but found \(scanner.describeCurrent())")
                }
                let key = try scanner.parseString()
                path.append(.key(key))
                try checkUnique(key, among: object.keys, seen: &seen)
                try scanner.expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
                let isSparse = depth == 0 && key == sparseMember
                if isSparse {
                    // Read into `sparse` when an object, kept out of `object`: a second one is a repeat too.
                    if sawSparse { throw JSONScanner.Failure(message: "key appears twice") }
                    sawSparse = true
                }
                if isSparse, scanner.consume(UInt8(ascii: "{")) {
                    scanner.position &-= 1
                    sparse = try sparseVector()
                } else {
                    object.append(key, try value(depth: depth + 1))
                }
                path.removeLast()
            } while scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(object)
        case .array:
            scanner.position &+= 1
            var items: [JSONValue] = []
            if scanner.consume(UInt8(ascii: "]")) { return .array(items) }
            // A top-level array is a batch of documents: write work a server paces.
            var pacer = depth == 0 ? YieldPacer() : nil
            repeat {
                pacer?.point()
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

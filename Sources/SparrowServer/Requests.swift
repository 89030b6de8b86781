import Sparrow

// Request bodies: parsed into a ``JSONValue`` tree, then read member by member with the JSON path
// of each, so that every 400 names the member at fault (`documents[17].vector.foo`).

/// Parses a request body as JSON; an empty body is `{}` when `emptyIsObject`.
func parseBody(_ bytes: [UInt8], emptyIsObject: Bool = false, prefix: String = "") throws(FieldError) -> JSONValue {
    if emptyIsObject && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object(JSONObject()) }
    do {
        return try JSONValue.parse(bytes, prefix: prefix)
    } catch {
        throw FieldError(malformed: error)
    }
}

/// A document of a `POST …/documents` batch.
struct DocumentInput: Sendable {
    var id: String
    var vector: SparseQuery?
    var text: String?
    var content: String?
    /// Its JSON path, `documents[i]`.
    var path: String
}

/// Reads a batch of documents: a JSON array, or NDJSON (one object per line).
func parseDocuments(_ bytes: [UInt8]) throws(FieldError) -> [DocumentInput] {
    let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    let items: [JSONValue]
    if first == UInt8(ascii: "[") {
        guard case .array(let a) = try parseBody(bytes, prefix: "documents") else { throw FieldError("documents", "must be an array") }
        items = a
    } else {
        do {
            items = try JSONValue.parseLines(bytes, prefix: "documents")
        } catch {
            throw FieldError(malformed: error)
        }
    }
    guard !items.isEmpty else { throw FieldError("documents", "the batch is empty: send a JSON array or NDJSON of {\"id\", \"vector\"|\"text\"} objects") }
    var pacer = YieldPacer()
    return try items.enumerated().map { (i, item) throws(FieldError) -> DocumentInput in
        pacer.point()
        let path = "documents[\(i)]"
        let m = try JSONMembers(item, path: path, allowed: ["id", "vector", "text", "content"])
        guard let id = try m.id("id") else { throw FieldError(m.at("id"), "missing (every document needs an \"id\")") }
        let (vector, text) = try m.vectorOrText()
        return DocumentInput(id: id, vector: vector, text: text, content: try m.string("content"), path: path)
    }
}

/// One query of `POST …/search` (or of a batch).
struct SearchInput: Sendable {
    var vector: SparseQuery?
    var text: String?
    var k: Int
    var algorithm: Algorithm?
    var approximation: Approximation = .exact
    var content: Bool
}

/// Reads a search request's body. Its vector is read straight from the bytes when the body is
/// well formed (most of a search body is its vector, and a tree of it costs more than reading it);
/// any other body is read through the tree, which says what is wrong with it.
func parseSearch(_ body: [UInt8], maxK: Int) throws(FieldError) -> SearchInput {
    let direct = body.withUnsafeBufferPointer { bytes -> SearchInput? in
        guard let (rest, vector) = JSONValue.parse(bytes, sparseMember: "vector") else { return nil }
        return try? parseSearch(rest, vector: vector, path: "", maxK: maxK)
    }
    if let direct { return direct }
    return try parseSearch(parseBody(body), path: "", maxK: maxK)
}

/// Reads one query; `vector` is its vector when read already, and then not in `value`.
func parseSearch(_ value: JSONValue, vector read: SparseQuery? = nil, path: String, maxK: Int) throws(FieldError) -> SearchInput {
    let m = try JSONMembers(value, path: path, allowed: ["vector", "text", "k", "content"] + SearchOptions.fields)
    let (vector, text) = try m.vectorOrText(read: read)
    let options = try SearchOptions(m)
    return SearchInput(vector: vector, text: text, k: try m.integer("k", in: 1...maxK) ?? 10,
                       algorithm: options.algorithm, approximation: options.approximation, content: try m.bool("content") ?? true)
}

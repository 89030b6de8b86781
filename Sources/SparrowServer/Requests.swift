import Sparrow

// Request bodies: parsed into a ``JSONValue`` tree, then read member by member with the JSON path
// of each, so that every 400 names the member at fault (`documents[17].vector.foo`).

/// The members of one JSON object of a request, read with their paths; members not in `allowed`
/// are refused, so a misspelt option is an error rather than silently ignored.
struct Members {
    let object: JSONObject
    let path: String

    init(_ value: JSONValue, path: String, allowed: [String]) throws(APIError) {
        guard case .object(let object) = value else {
            throw APIError.invalid(path, "must be a JSON object, not \(value.kindDescription)")
        }
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(Self.join(path, unknown),
                "unknown field; expected one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        self.object = object
        self.path = path
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func at(_ key: String) -> String { Self.join(path, key) }

    /// The member `key`, with `null` read as absent.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw APIError.invalid(at(key), "must be a string, not \(v.kindDescription)") }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw APIError.invalid(at(key), "must be true or false, not \(v.kindDescription)") }
        return b
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let d, _) = v, d.rounded() == d, d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw APIError.invalid(at(key), "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(d)
    }

    func number(_ key: String) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let d, _) = v else { throw APIError.invalid(at(key), "must be a number, not \(v.kindDescription)") }
        return d
    }

    /// A document id (see ``documentID(_:path:)``), or nil when absent.
    func id(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        return try documentID(v, path: at(key))
    }

    /// A sparse vector `{"token": weight, ...}`: weights finite, non-negative numbers.
    func vector(_ key: String) throws(APIError) -> SparseQuery? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else {
            throw APIError.invalid(at(key), "must be an object of token: weight pairs, not \(v.kindDescription)")
        }
        var weights: [Float] = []
        weights.reserveCapacity(o.values.count)
        for (token, w) in o.members {
            guard case .number(let d, _) = w else {
                throw APIError.invalid(at(key) + "." + token, "weight must be a number, not \(w.kindDescription)")
            }
            switch SparseWeight.check(d) {
            case .success(let weight): weights.append(weight)
            case .failure(let problem): throw APIError.invalid(at(key) + "." + token, problem.message)
            }
        }
        return SparseQuery(tokens: o.keys, weights: weights)
    }

    /// The members `vector` and `text`, exactly one of which must be present.
    func vectorOrText() throws(APIError) -> (vector: SparseQuery?, text: String?) {
        let vector = try vector("vector")
        let text = try string("text")
        switch (vector, text) {
        case (nil, nil): throw APIError.invalid(path, "needs a \"vector\" or a \"text\"")
        case (.some, .some): throw APIError.invalid(at("text"), "give a \"vector\" or a \"text\", not both")
        default: return (vector, text)
        }
    }
}

/// A document id: a string or an integer, non-empty, without whitespace or control characters
/// (TREC run files cannot hold them).
func documentID(_ v: JSONValue, path: String) throws(APIError) -> String {
    let id: String
    switch v {
    case .string(let s): id = s
    case .number(let d, let text) where d.rounded() == d && !text.contains(where: { ".eE".contains($0) }): id = text
    default: throw APIError.invalid(path, "must be a string or an integer, not \(v.kindDescription)")
    }
    if let problem = DocumentID.problem(with: id) { throw APIError.invalid(path, problem) }
    return id
}

/// Parses a request body as JSON; an empty body is `{}` when `emptyIsObject`.
func parseBody(_ bytes: [UInt8], emptyIsObject: Bool = false, prefix: String = "") throws(APIError) -> JSONValue {
    if emptyIsObject && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object(JSONObject()) }
    do {
        return try JSONValue.parse(bytes, prefix: prefix)
    } catch {
        throw APIError(malformed: error)
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
func parseDocuments(_ bytes: [UInt8]) throws(APIError) -> [DocumentInput] {
    let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    let items: [JSONValue]
    if first == UInt8(ascii: "[") {
        guard case .array(let a) = try parseBody(bytes, prefix: "documents") else { throw APIError.invalid("documents", "must be an array") }
        items = a
    } else {
        do {
            items = try JSONValue.parseLines(bytes, prefix: "documents")
        } catch {
            throw APIError(malformed: error)
        }
    }
    guard !items.isEmpty else { throw APIError.invalid("documents", "the batch is empty: send a JSON array or NDJSON of {\"id\", \"vector\"|\"text\"} objects") }
    return try items.enumerated().map { (i, item) throws(APIError) -> DocumentInput in
        let path = "documents[\(i)]"
        let m = try Members(item, path: path, allowed: ["id", "vector", "text", "content"])
        guard let id = try m.id("id") else { throw APIError.invalid(m.at("id"), "missing (every document needs an \"id\")") }
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

func parseSearch(_ value: JSONValue, path: String, maxK: Int) throws(APIError) -> SearchInput {
    let m = try Members(value, path: path, allowed: ["vector", "text", "k", "algorithm", "content", "recall", "query_cut",
                                                     "heap_factor", "alpha", "beta"])
    let (vector, text) = try m.vectorOrText()
    var algorithm: Algorithm?
    if let name = try m.string("algorithm") {
        guard let a = Algorithm(rawValue: name) else {
            throw APIError.invalid(m.at("algorithm"), "unknown algorithm \"\(name)\"; choose one of "
                + Algorithm.allCases.map(\.rawValue).joined(separator: ", "))
        }
        algorithm = a
    }
    var approximation = Approximation.exact
    if let recall = try m.number("recall") {
        guard let preset = Approximation.preset(recall: recall) else {
            throw APIError.invalid(m.at("recall"), "no preset for this recall; choose one of "
                + Approximation.presetRecalls.map { String($0) }.joined(separator: ", "))
        }
        guard algorithm == nil else {
            throw APIError.invalid(m.at("algorithm"), "a recall preset picks the algorithm; leave out \"algorithm\"")
        }
        (algorithm, approximation) = (preset.algorithm, preset.approximation)
    }
    if let cut = try m.integer("query_cut", in: 1...100_000) { approximation.queryCut = cut }
    // Each knob is checked as it is set (the preset's are valid), so a problem is that knob's.
    for (key, knob) in [("heap_factor", \Approximation.heapFactor), ("alpha", \.alpha), ("beta", \.beta)] {
        guard let v = try m.number(key) else { continue }
        approximation[keyPath: knob] = Float(v)
        if let problem = approximation.problem { throw APIError.invalid(m.at(key), problem) }
    }
    return SearchInput(vector: vector, text: text, k: try m.integer("k", in: 1...maxK) ?? 10,
                       algorithm: algorithm, approximation: approximation, content: try m.bool("content") ?? true)
}

/// The settings of `PUT /collections/{name}`.
func parseSettings(_ value: JSONValue) throws(APIError) -> (settings: IndexSettings, encoderPath: String?, fsync: FsyncPolicy?) {
    let m = try Members(value, path: "", allowed: ["text", "encoder", "block_size", "range_size", "reorder", "fsync", "layout",
                                                   "clustered"])
    var settings = IndexSettings()
    var fsync: FsyncPolicy?
    if let text = try m.string("fsync") {
        guard let policy = FsyncPolicy(text) else {
            throw APIError.invalid("fsync", "must be \"always\", \"interval:MS\" or \"none\"")
        }
        fsync = policy
    }
    if let b = try m.integer("block_size", in: 1...65_536) { settings.blockSize = b }
    if let r = try m.integer("range_size", in: 0...256) { settings.rangeSize = r }
    if try m.bool("reorder") == true { settings.reorder = .cluster }
    switch try m.string("layout") ?? "inverted" {
    case "inverted": break
    case "clustered": settings.clustered = ClusterSettings()
    default: throw APIError.invalid("layout", "must be \"inverted\" or \"clustered\"")
    }
    if let c = m.value("clustered") {
        guard settings.clustered != nil else { throw APIError.invalid("clustered", "needs \"layout\": \"clustered\"") }
        let cm = try Members(c, path: "clustered", allowed: ["postings_per_term", "block_fraction", "summary_mass", "seed", "min_documents"])
        if let n = try cm.integer("postings_per_term", in: 0...Int(Int32.max)) { settings.clustered!.postingsPerTerm = n }
        // Each fraction is checked as it is set (the defaults are valid), so a problem is its own.
        for (key, knob) in [("block_fraction", \ClusterSettings.blockFraction), ("summary_mass", \.summaryMass)] {
            guard let f = try cm.number(key) else { continue }
            settings.clustered![keyPath: knob] = f
            if let problem = settings.clustered!.problem { throw APIError.invalid(cm.at(key), problem) }
        }
        if let s = try cm.integer("seed", in: 0...Int.max) { settings.clustered!.seed = UInt64(s) }
        if let n = try cm.integer("min_documents", in: 0...Int(Int32.max)) { settings.clustered!.minDocuments = n }
    }
    var encoderPath: String?
    if let spec = try m.string("encoder") {
        guard spec.hasPrefix("splade:"), spec.count > 7 else {
            throw APIError.invalid("encoder", "must be \"splade:MODEL_DIR\" (a directory with a SPLADE model)")
        }
        encoderPath = String(spec.dropFirst(7))
    }
    if let t = m.value("text") {
        var analyzer = Analyzer.english
        var bm25 = BM25()
        switch t {
        case .bool(false): break
        case .bool(true): settings.text = TextWeighting(analyzer: analyzer, bm25: bm25)
        case .object:
            let tm = try Members(t, path: "text", allowed: ["analyzer", "k1", "b"])
            if let name = try tm.string("analyzer") {
                guard let a = Analyzer.named(name) else {
                    throw APIError.invalid("text.analyzer", "unknown analyzer \"\(name)\"; choose one of "
                        + Analyzer.presets.map(\.name).joined(separator: ", "))
                }
                analyzer = a
            }
            if let k1 = try tm.number("k1") {
                guard k1 >= 0, k1.isFinite else { throw APIError.invalid("text.k1", "must be a non-negative number") }
                bm25.k1 = Float(k1)
            }
            if let b = try tm.number("b") {
                guard (0...1).contains(b) else { throw APIError.invalid("text.b", "must be a number from 0 to 1") }
                bm25.b = Float(b)
            }
            settings.text = TextWeighting(analyzer: analyzer, bm25: bm25)
        default:
            throw APIError.invalid("text", "must be true, false or an object {\"analyzer\", \"k1\", \"b\"}")
        }
        if settings.text != nil && encoderPath != nil {
            throw APIError.invalid("encoder", "a collection is either text with BM25 or encoded by a model, not both")
        }
        if settings.text != nil && settings.clustered != nil {
            throw APIError.invalid("layout", IndexSettings.textClusteredProblem)
        }
    }
    return (settings, encoderPath, fsync)
}

import Foundation
import SparrowIndex
import SparrowQuery

// Collection settings and search options written as JSON, read the same way by every front end
// that takes them as JSON: the HTTP server's request bodies and the C ABI's option strings (and so
// the Python package). Every refusal names the JSON path of the member at fault.

/// A JSON member that was refused: its path (`documents[17].vector.foo`, nil for the whole value)
/// and why.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String?
    public var message: String
    /// Whether the text was not JSON at all (rather than JSON with a bad member).
    public var isMalformed = false

    public init(_ field: String?, _ message: String) {
        self.field = (field?.isEmpty ?? true) ? nil : field
        self.message = message
    }

    /// A value that does not parse as JSON, naming where.
    public init(malformed error: JSONParseError) {
        self.init(error.path, "malformed JSON: \(error.message) (byte \(error.offset))")
        isMalformed = true
    }

    public var description: String { (field.map { "\($0): " } ?? "") + message }
}

/// The members of one JSON object, read with their paths; members not in `allowed` are refused, so
/// a misspelt option is an error rather than silently ignored.
public struct JSONMembers {
    public let object: JSONObject
    public let path: String

    public init(_ value: JSONValue, path: String, allowed: [String]) throws(FieldError) {
        guard case .object(let object) = value else {
            throw FieldError(path, "must be a JSON object, not \(value.kindDescription)")
        }
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw FieldError(Self.join(path, unknown),
                "unknown field; expected one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        self.object = object
        self.path = path
    }

    public static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The path of the member `key`.
    public func at(_ key: String) -> String { Self.join(path, key) }

    /// The member `key`, with `null` read as absent.
    public func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    public func string(_ key: String) throws(FieldError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw FieldError(at(key), "must be a string, not \(v.kindDescription)") }
        return s
    }

    public func bool(_ key: String) throws(FieldError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw FieldError(at(key), "must be true or false, not \(v.kindDescription)") }
        return b
    }

    public func integer(_ key: String, in range: ClosedRange<Int>) throws(FieldError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let d, _) = v, d.rounded() == d, d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw FieldError(at(key), "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(d)
    }

    public func number(_ key: String) throws(FieldError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let d, _) = v else { throw FieldError(at(key), "must be a number, not \(v.kindDescription)") }
        return d
    }

    /// A write-ahead log fsync policy: `"always"`, `"interval:MS"` or `"none"`.
    public func fsync(_ key: String) throws(FieldError) -> FsyncPolicy? {
        guard let text = try string(key) else { return nil }
        guard let policy = FsyncPolicy(text) else { throw FieldError(at(key), "must be \"always\", \"interval:MS\" or \"none\"") }
        return policy
    }

    /// A document id (see ``documentID(_:path:)``), or nil when absent.
    public func id(_ key: String) throws(FieldError) -> String? {
        guard let v = value(key) else { return nil }
        return try Self.documentID(v, path: at(key))
    }

    /// A sparse vector `{"token": weight, ...}`: weights finite, non-negative numbers.
    public func vector(_ key: String) throws(FieldError) -> SparseQuery? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else {
            throw FieldError(at(key), "must be an object of token: weight pairs, not \(v.kindDescription)")
        }
        var weights: [Float] = []
        weights.reserveCapacity(o.values.count)
        for (token, w) in o.members {
            guard case .number(let d, _) = w else {
                throw FieldError(at(key) + "." + token, "weight must be a number, not \(w.kindDescription)")
            }
            switch SparseWeight.check(d) {
            case .success(let weight): weights.append(weight)
            case .failure(let problem): throw FieldError(at(key) + "." + token, problem.message)
            }
        }
        return SparseQuery(tokens: o.keys, weights: weights)
    }

    /// The members `vector` and `text`, exactly one of which must be present. `read` is the
    /// vector when it was read from the text already (``JSONValue/parse(_:sparseMember:)``, which
    /// leaves it out of the object).
    public func vectorOrText(read: SparseQuery? = nil) throws(FieldError) -> (vector: SparseQuery?, text: String?) {
        let vector = if let read { read } else { try vector("vector") }
        let text = try string("text")
        switch (vector, text) {
        case (nil, nil): throw FieldError(path, "needs a \"vector\" or a \"text\"")
        case (.some, .some): throw FieldError(at("text"), "give a \"vector\" or a \"text\", not both")
        default: return (vector, text)
        }
    }

    /// A document id: a string or an integer, non-empty, without whitespace or control characters
    /// (TREC run files cannot hold them).
    public static func documentID(_ v: JSONValue, path: String) throws(FieldError) -> String {
        let id: String
        switch v {
        case .string(let s): id = s
        case .number(let d, let text) where d.rounded() == d && !text.contains(where: { ".eE".contains($0) }): id = text
        default: throw FieldError(path, "must be a string or an integer, not \(v.kindDescription)")
        }
        if let problem = DocumentID.problem(with: id) { throw FieldError(path, problem) }
        return id
    }
}

/// A collection's settings as JSON:
///
/// ```json
/// {"text": {"analyzer": "english", "k1": 0.9, "b": 0.4}, "block_size": 128, "range_size": 32,
///  "reorder": false, "fsync": "always", "layout": "inverted"}
/// ```
///
/// `{}` is a collection of sparse vectors; `"text": true` (or an object) one of text scored with
/// BM25; `"encoder": "splade:MODEL_DIR"` one of text encoded by that model; `"layout": "clustered"`
/// (with an optional `"clustered": {"postings_per_term", "block_fraction", "summary_mass",
/// "k_means_rounds", "seed", "min_documents", "summaries_by_term", "records_by_block"}`) adds the layout for approximate search.
public struct CollectionSpec: Sendable {
    public var settings: IndexSettings
    /// The model directory of `"encoder"`, loaded by ``resolve()``.
    public var encoderPath: String?
    /// The write-ahead log's fsync policy, when given.
    public var fsync: FsyncPolicy?

    public init(json value: JSONValue) throws(FieldError) {
        let m = try JSONMembers(value, path: "", allowed: ["text", "encoder", "block_size", "range_size", "reorder", "fsync",
                                                           "layout", "clustered"])
        var settings = IndexSettings()
        fsync = try m.fsync("fsync")
        if let b = try m.integer("block_size", in: 1...65_536) { settings.blockSize = b }
        if let r = try m.integer("range_size", in: 0...256) { settings.rangeSize = r }
        if try m.bool("reorder") == true { settings.reorder = .cluster }
        switch try m.string("layout") ?? "inverted" {
        case "inverted": break
        case "clustered": settings.clustered = ClusterSettings()
        default: throw FieldError("layout", "must be \"inverted\" or \"clustered\"")
        }
        if let c = m.value("clustered") {
            guard settings.clustered != nil else { throw FieldError("clustered", "needs \"layout\": \"clustered\"") }
            let cm = try JSONMembers(c, path: "clustered", allowed: ["postings_per_term", "block_fraction", "summary_mass", "k_means_rounds",
                                                                     "seed", "min_documents", "summaries_by_term", "records_by_block"])
            if let n = try cm.integer("postings_per_term", in: 0...Int(Int32.max)) { settings.clustered!.postingsPerTerm = n }
            // Each fraction is checked as it is set (the defaults are valid), so a problem is its own.
            for (key, knob) in [("block_fraction", \ClusterSettings.blockFraction), ("summary_mass", \.summaryMass)] {
                guard let f = try cm.number(key) else { continue }
                settings.clustered![keyPath: knob] = f
                if let problem = settings.clustered!.problem { throw FieldError(cm.at(key), problem) }
            }
            if let r = try cm.integer("k_means_rounds", in: 0...ClusterSettings.maxKMeansRounds) { settings.clustered!.kMeansRounds = r }
            if let s = try cm.integer("seed", in: 0...Int.max) { settings.clustered!.seed = UInt64(s) }
            if let n = try cm.integer("min_documents", in: 0...Int(Int32.max)) { settings.clustered!.minDocuments = n }
            if let b = try cm.bool("summaries_by_term") { settings.clustered!.summariesByTerm = b }
            if let b = try cm.bool("records_by_block") { settings.clustered!.recordsByBlock = b }
        }
        if let spec = try m.string("encoder") {
            guard spec.hasPrefix("splade:"), spec.count > 7 else {
                throw FieldError("encoder", "must be \"splade:MODEL_DIR\" (a directory with a SPLADE model)")
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
                let tm = try JSONMembers(t, path: "text", allowed: ["analyzer", "k1", "b"])
                if let name = try tm.string("analyzer") {
                    guard let a = Analyzer.named(name) else {
                        throw FieldError("text.analyzer", "unknown analyzer \"\(name)\"; choose one of "
                            + Analyzer.presets.map(\.name).joined(separator: ", "))
                    }
                    analyzer = a
                }
                if let k1 = try tm.number("k1") {
                    guard k1 >= 0, k1.isFinite else { throw FieldError("text.k1", "must be a non-negative number") }
                    bm25.k1 = Float(k1)
                }
                if let b = try tm.number("b") {
                    guard (0...1).contains(b) else { throw FieldError("text.b", "must be a number from 0 to 1") }
                    bm25.b = Float(b)
                }
                settings.text = TextWeighting(analyzer: analyzer, bm25: bm25)
            default:
                throw FieldError("text", "must be true, false or an object {\"analyzer\", \"k1\", \"b\"}")
            }
            if settings.text != nil && encoderPath != nil {
                throw FieldError("encoder", "a collection is either text with BM25 or encoded by a model, not both")
            }
            if settings.text != nil && settings.clustered != nil {
                throw FieldError("layout", IndexSettings.textClusteredProblem)
            }
        }
        self.settings = settings
    }

    /// Parses `text` as JSON (empty or blank text is `{}`) and reads it as settings.
    public init(json text: String) throws(FieldError) {
        try self.init(json: JSONValue.parseOptions(text))
    }

    /// The settings, with the encoder's description when `"encoder"` names a model, and that model:
    /// it is loaded to check it and to record its vocabulary's fingerprint.
    public func resolve() throws(FieldError) -> (settings: IndexSettings, encoder: SpladeEncoder?) {
        guard let encoderPath else { return (settings, nil) }
        do {
            let model = try SpladeEncoder(directory: encoderPath, maxLength: 256)
            var settings = settings
            settings.encoder = model.info(model: URL(fileURLWithPath: encoderPath).standardizedFileURL.path)
            return (settings, model)
        } catch {
            throw FieldError("encoder", "cannot load the model: \(error)")
        }
    }
}

/// How to search, as JSON: `{"algorithm": "maxscore"}`, a recall preset `{"recall": 0.95}`, or the
/// raw knobs of approximate search `{"query_cut", "heap_factor", "alpha", "beta"}`.
public struct SearchOptions: Sendable, Equatable {
    /// The algorithm; nil lets the index choose.
    public var algorithm: Algorithm?
    public var approximation: Approximation = .exact

    public init(algorithm: Algorithm? = nil, approximation: Approximation = .exact) {
        self.algorithm = algorithm
        self.approximation = approximation
    }

    /// The members of search options `m` may hold.
    public static let fields = ["algorithm", "recall", "query_cut", "heap_factor", "alpha", "beta"]

    /// Reads the options from `m` (whose other members are the caller's).
    public init(_ m: JSONMembers) throws(FieldError) {
        if let name = try m.string("algorithm") {
            guard let a = Algorithm(rawValue: name) else {
                throw FieldError(m.at("algorithm"), "unknown algorithm \"\(name)\"; choose one of "
                    + Algorithm.allCases.map(\.rawValue).joined(separator: ", "))
            }
            algorithm = a
        }
        if let recall = try m.number("recall") {
            guard let preset = Approximation.preset(recall: recall) else {
                throw FieldError(m.at("recall"), "no preset for this recall; choose one of "
                    + Approximation.presetRecalls.map { String($0) }.joined(separator: ", "))
            }
            guard algorithm == nil else {
                throw FieldError(m.at("algorithm"), "a recall preset picks the algorithm; leave out \"algorithm\"")
            }
            (algorithm, approximation) = (preset.algorithm, preset.approximation)
        }
        if let cut = try m.integer("query_cut", in: 1...100_000) { approximation.queryCut = cut }
        // Each knob is checked as it is set (the preset's are valid), so a problem is that knob's.
        for (key, knob) in [("heap_factor", \Approximation.heapFactor), ("alpha", \.alpha), ("beta", \.beta)] {
            guard let v = try m.number(key) else { continue }
            approximation[keyPath: knob] = Float(v)
            if let problem = approximation.problem { throw FieldError(m.at(key), problem) }
        }
    }

    /// Parses `text` as a JSON object of options only (empty or blank text is `{}`).
    public init(json text: String) throws(FieldError) {
        try self.init(JSONMembers(JSONValue.parseOptions(text), path: "", allowed: Self.fields))
    }
}

extension JSONValue {
    /// `text` parsed as JSON, blank text as `{}`.
    public static func parseOptions(_ text: String) throws(FieldError) -> JSONValue {
        if text.allSatisfy(\.isWhitespace) { return .object(JSONObject()) }
        do {
            return try JSONValue.parse(Array(text.utf8))
        } catch {
            throw FieldError(malformed: error)
        }
    }
}

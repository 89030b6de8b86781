import Foundation
import Hummingbird
import Sparrow

/// What the routes do, apart from HTTP plumbing.
struct API: Sendable {
    let store: CollectionStore
    let configuration: ServerConfiguration

    /// The request body, up to the configured limit (413 beyond).
    func body(_ request: Request) async throws -> [UInt8] {
        var buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Runs blocking work on the collection's worker, answering 503 if it takes longer than the
    /// request timeout (the work still completes: a write acknowledged late is still applied).
    func blocking<T: Sendable>(_ c: ServedCollection, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await c.run(timeout: configuration.requestTimeout, body)
    }

    // MARK: Collections

    func create(name: String, body: [UInt8]) async throws -> Response {
        try CollectionStore.requireValidName(name)
        let spec = try CollectionSpec(json: parseBody(body, emptyIsObject: true))
        let c = try store.create(name: name, settings: spec.resolve().settings, fsync: spec.fsync)
        return jsonResponse(describe(c), status: .created)
    }

    /// A collection's description: counts, segments, size, settings and writer activity.
    func describe(_ c: ServedCollection) -> JSONValue {
        let snapshot = c.writer.snapshot
        let activity = c.writer.activity
        let s = snapshot.settings
        var settings = JSONObject(keys: ["block_size", "range_size", "reorder", "fsync"],
                                  values: [.int(s.blockSize), .int(s.rangeSize), .bool(s.reorder != .none),
                                           .string(c.writer.options.fsync.description)])
        if let t = s.text {
            settings.append("text", .object(["analyzer": .string(snapshot.analyzer?.description ?? t.model),
                                             "k1": .number(t.k1, text: "\(Float(t.k1))"), "b": .number(t.b, text: "\(Float(t.b))")]))
        } else if let e = s.encoder {
            settings.append("encoder", .string("\(e.kind):\(e.model)"))
        }
        settings.append("layout", .string(s.clustered == nil ? "inverted" : "clustered"))
        if let c = s.clustered {
            settings.append("clustered", .object([
                "postings_per_term": c.postingsPerTerm.map(JSONValue.int) ?? .null, "block_fraction": .number(c.blockFraction, text: "\(c.blockFraction)"),
                "summary_mass": .number(c.summaryMass, text: "\(c.summaryMass)"), "k_means_rounds": .int(c.kMeansRounds), "seed": .int(Int(truncatingIfNeeded: c.seed)),
                "min_documents": .int(c.minDocuments), "summaries_by_term": .bool(c.summariesByTerm),
                "records_by_block": .bool(c.recordsByBlock)]))
        }
        return .object([
            "name": .string(c.name), "kind": .string(c.kind),
            "documents": .int(snapshot.documentCount), "deleted": .int(snapshot.deletedCount),
            "segments": .int(snapshot.segmentCount), "terms": .int(snapshot.termCount), "postings": .int(snapshot.postingCount),
            "size_bytes": .int(directorySize(c.writer.path)), "log_bytes": .int(activity.logBytes),
            "buffered_documents": .int(activity.bufferedDocuments), "merges_completed": .int(activity.mergesCompleted),
            "merging": .bool(activity.merging), "settings": .object(settings),
        ])
    }

    // MARK: Documents

    func upsert(_ c: ServedCollection, body: [UInt8]) async throws -> Response {
        let start = ContinuousClock.now
        let kind = c.kind
        let name = c.name
        let writer = c.writer
        // Parsing a batch takes as long as scoring many queries: it runs on the worker too.
        let result = try await blocking(c) { () throws -> UpsertResult in
            let documents = try parseDocuments(body)
            for d in documents {
                if kind == "text", d.vector != nil {
                    throw APIError.invalid(d.path + ".vector", "collection \"\(name)\" analyses text with BM25: send \"text\", not a vector")
                }
                if kind == "vectors", d.text != nil {
                    throw APIError.invalid(d.path + ".text", "collection \"\(name)\" holds sparse vectors: send \"vector\" (it has no encoder for text)")
                }
            }
            if kind == "encoded", documents.contains(where: { $0.vector != nil }) {
                // Vectors sent to an encoded collection must use the model's vocabulary.
                let vocabulary = try writer.recordedEncoder().tokenizer.ids
                for d in documents {
                    if let v = d.vector, let bad = v.tokens.first(where: { vocabulary[$0] == nil }) {
                        throw APIError.invalid(d.path + ".vector." + bad, "token is not in the vocabulary of the collection's encoder")
                    }
                }
            }
            var prepared = [PreparedDocument?](repeating: nil, count: documents.count)
            let texts = documents.indices.filter { documents[$0].vector == nil }
            if !texts.isEmpty {
                let done = try writer.prepare(texts: texts.map { (documents[$0].id, documents[$0].text!) })
                for (i, p) in zip(texts, done) { prepared[i] = p }
            }
            for (i, d) in documents.enumerated() {
                if let v = d.vector { prepared[i] = PreparedDocument(id: d.id, tokens: v.tokens, weights: v.weights, text: d.content) }
                if let content = d.content { prepared[i]!.text = content }
            }
            do {
                return try writer.upsert(prepared.map { $0! }, source: "documents", lines: Array(1...documents.count))
            } catch let error as InputError {
                throw APIError.invalid("documents[\(error.line - 1)]" + (error.field.map { "." + $0 } ?? ""), error.problem)
            }
        }
        return jsonResponse(.object([
            "added": .int(result.added), "replaced": .int(result.replaced), "took_us": .int(microseconds(since: start)),
        ]))
    }

    func document(_ c: ServedCollection, id: String) throws -> Response {
        guard let d = c.writer.snapshot.document(id: id) else { throw APIError.notFound("no document \"\(id)\" in collection \"\(c.name)\"") }
        let vector = JSONValue.object(JSONObject(keys: d.tokens, values: d.weights.map(JSONValue.float)))
        return jsonResponse(.object(["id": .string(d.id), "content": d.text.map(JSONValue.string) ?? .null, "vector": vector]))
    }

    func delete(_ c: ServedCollection, id: String) async throws -> Response {
        let writer = c.writer
        let deleted = try await blocking(c) { try writer.delete(ids: [id]) }
        guard deleted > 0 else { throw APIError.notFound("no document \"\(id)\" in collection \"\(c.name)\"") }
        return jsonResponse(.object(["deleted": .int(deleted)]))
    }

    func deleteBatch(_ c: ServedCollection, body: [UInt8]) async throws -> Response {
        let m = try JSONMembers(parseBody(body), path: "", allowed: ["ids"])
        guard case .array(let items)? = m.value("ids") else { throw APIError.invalid("ids", "must be an array of document ids") }
        let batch = try items.enumerated().map { (i, item) throws(FieldError) in try JSONMembers.documentID(item, path: "ids[\(i)]") }
        let writer = c.writer
        let deleted = try await blocking(c) { try writer.delete(ids: batch) }
        return jsonResponse(.object(["deleted": .int(deleted)]))
    }

    // MARK: Search

    func search(_ c: ServedCollection, _ q: SearchInput, path: String = "") throws -> JSONValue {
        let start = ContinuousClock.now
        let snapshot = c.writer.snapshot
        let hits: [SearchHit]
        do {
            let vector = try q.vector ?? snapshot.queryVector(text: q.text!, recorded: c.writer.recordedEncoder)
            guard let vector else {
                throw APIError.invalid(JSONMembers.join(path, "text"), "collection \"\(c.name)\" holds sparse vectors and has no encoder: send a \"vector\"")
            }
            hits = try snapshot.search(vector, k: q.k, algorithm: q.algorithm, approximation: q.approximation)
        } catch let error as IndexError where error.code == .invalidArgument {
            throw APIError.invalid(JSONMembers.join(path, q.algorithm != nil && !snapshot.supports(q.algorithm!) ? "algorithm" : "vector"), error.detail)
        }
        let took = microseconds(since: start)
        return .object([
            "hits": .array(hits.map { hit in
                q.content
                    ? .object(["id": .string(hit.id), "score": .float(hit.score), "content": snapshot.text(of: hit.doc).map(JSONValue.string) ?? .null])
                    : .object(["id": .string(hit.id), "score": .float(hit.score)])
            }),
            "took_us": .int(took),
        ])
    }

    /// `POST /collections/{name}/search`: the answer to a request body (the route and
    /// ``SearchFastPath`` both answer through this).
    func searchRequest(collection name: String, body: [UInt8]) throws -> JSONValue {
        let c = try store.collection(named: name)
        let query = try parseSearch(body, maxK: configuration.maxK)
        return try search(c, query)
    }

    func searchBatch(_ c: ServedCollection, body: [UInt8]) throws -> Response {
        let start = ContinuousClock.now
        let m = try JSONMembers(parseBody(body), path: "", allowed: ["queries"])
        guard case .array(let items)? = m.value("queries") else { throw APIError.invalid("queries", "must be an array of queries") }
        guard items.count <= configuration.maxBatchQueries else {
            throw APIError.invalid("queries", "holds \(items.count) queries; at most \(configuration.maxBatchQueries) per request")
        }
        let queries = try items.enumerated().map { (i, q) throws(FieldError) in try parseSearch(q, path: "queries[\(i)]", maxK: configuration.maxK) }
        let results = try queries.enumerated().map { i, q in try search(c, q, path: "queries[\(i)]") }
        return jsonResponse(.object(["results": .array(results), "took_us": .int(microseconds(since: start))]))
    }
}

func microseconds(since start: ContinuousClock.Instant) -> Int {
    let d = ContinuousClock.now - start
    return Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
}

func directorySize(_ path: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.reduce(0) { total, name in
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? NSNumber)?.intValue ?? 0
        return total + size
    }
}

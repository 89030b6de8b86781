import CSparrow
import Foundation
import Sparrow
import Synchronization

// The functions `sparrow.h` declares. Each checks its arguments, runs through `status(_:)` and
// returns a status; see the header for the contract of each.

nonisolated(unsafe) let version = strdup("0.14.0")!

@_cdecl("sparrow_last_error")
public func cLastError() -> UnsafePointer<CChar> { LastError.current }

@_cdecl("sparrow_version")
public func cVersion() -> UnsafePointer<CChar> { UnsafePointer(version) }

// MARK: Opening and building

@_cdecl("sparrow_open")
public func cOpen(_ path: UnsafePointer<CChar>?, _ optionsJSON: UnsafePointer<CChar>?,
                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        guard let out else { throw CallError.invalid("out is NULL") }
        let path = try string(path, "path")
        let m = try JSONMembers(JSONValue.parseOptions(optionalString(optionsJSON, "options_json") ?? ""), path: "",
                                allowed: ["fsync", "read_only"])
        var options = WriterOptions()
        if let fsync = try m.fsync("fsync") { options.fsync = fsync }
        guard SearchIndex.holdsIndex(at: path) else { throw IndexError(.notFound, path: path, "holds no index") }
        if try m.bool("read_only") == true {
            out.pointee = Registry.register(IndexHandle(index: try SearchIndex.open(at: path), model: nil))
        } else {
            out.pointee = Registry.register(IndexHandle(writer: try IndexWriter.open(at: path, options: options)))
        }
    }
}

@_cdecl("sparrow_create")
public func cCreate(_ path: UnsafePointer<CChar>?, _ settingsJSON: UnsafePointer<CChar>?,
                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        guard let out else { throw CallError.invalid("out is NULL") }
        let path = try string(path, "path")
        let spec = try collectionSpec(settingsJSON)
        if SearchIndex.holdsIndex(at: path) {
            throw CallError.invalid("\(path) holds an index already; open it with sparrow_open")
        }
        let writer = try IndexWriter.open(at: path, creating: spec.resolve().settings, options: writerOptions(spec))
        out.pointee = Registry.register(IndexHandle(writer: writer))
    }
}

@_cdecl("sparrow_build")
public func cBuild(_ path: UnsafePointer<CChar>?, _ ids: CStrings?, _ vectors: UnsafePointer<sparrow_csr>?,
                   _ settingsJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        guard let out else { throw CallError.invalid("out is NULL") }
        let path = try optionalString(path, "path")
        let spec = try collectionSpec(settingsJSON)
        guard spec.settings.text == nil, spec.encoderPath == nil else {
            throw CallError.invalid("these settings make a text collection; build it from texts with sparrow_build_text")
        }
        let settings = spec.settings
        let queries = try rows(vectors, "vectors")
        let ids = try documentIDs(ids, count: queries.count)
        let documents = zip(ids, queries).map { PreparedDocument(id: $0, tokens: $1.tokens, weights: $1.weights) }
        out.pointee = Registry.register(try build(documents, settings: settings, spec: spec, path: path, model: nil))
    }
}

@_cdecl("sparrow_build_text")
public func cBuildText(_ path: UnsafePointer<CChar>?, _ ids: CStrings?, _ texts: CStrings?, _ n: Int,
                       _ settingsJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        guard let out else { throw CallError.invalid("out is NULL") }
        let path = try optionalString(path, "path")
        let spec = try collectionSpec(settingsJSON)
        let resolved = try spec.resolve()
        let model = resolved.encoder
        var settings = resolved.settings
        if settings.encoder == nil && settings.text == nil { settings.text = TextWeighting(analyzer: .english, bm25: BM25()) }
        let ids = try documentIDs(ids, count: n)
        let texts = try strings(texts, count: n, "texts")
        let documents = try settings.prepare(texts: Array(zip(ids, texts)), path: path ?? "", threads: threadCount(0)) {
            try model ?? SpladeEncoder.recorded(settings.encoder, path: path ?? "")
        }
        out.pointee = Registry.register(try build(documents, settings: settings, spec: spec, path: path, model: model))
    }
}

@_cdecl("sparrow_close")
public func cClose(_ index: OpaquePointer?) -> Int32 {
    status {
        guard let index else { return }
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        Registry.release(index)
        try handle.writer?.close()
    }
}

// MARK: Writing

@_cdecl("sparrow_upsert")
public func cUpsert(_ index: OpaquePointer?, _ ids: CStrings?, _ vectors: UnsafePointer<sparrow_csr>?,
                    _ added: UnsafeMutablePointer<UInt64>?, _ replaced: UnsafeMutablePointer<UInt64>?) -> Int32 {
    status {
        let writer = try Registry.object(index, as: IndexHandle.self, "index").requireWriter()
        guard writer.collectionSettings.text == nil, writer.collectionSettings.encoder == nil else {
            throw CallError.invalid("this collection holds text: add texts with sparrow_upsert_text")
        }
        let queries = try rows(vectors, "vectors")
        let ids = try documentIDs(ids, count: queries.count)
        let result = try upsert(writer, zip(ids, queries).map { PreparedDocument(id: $0, tokens: $1.tokens, weights: $1.weights) })
        store(UInt64(result.added), added)
        store(UInt64(result.replaced), replaced)
    }
}

@_cdecl("sparrow_upsert_text")
public func cUpsertText(_ index: OpaquePointer?, _ ids: CStrings?, _ texts: CStrings?, _ n: Int,
                        _ added: UnsafeMutablePointer<UInt64>?, _ replaced: UnsafeMutablePointer<UInt64>?) -> Int32 {
    status {
        let writer = try Registry.object(index, as: IndexHandle.self, "index").requireWriter()
        let ids = try documentIDs(ids, count: n)
        let texts = try strings(texts, count: n, "texts")
        let documents = try writer.prepare(texts: Array(zip(ids, texts)))
        let result = try upsert(writer, documents)
        store(UInt64(result.added), added)
        store(UInt64(result.replaced), replaced)
    }
}

@_cdecl("sparrow_delete")
public func cDelete(_ index: OpaquePointer?, _ ids: CStrings?, _ n: Int, _ deleted: UnsafeMutablePointer<UInt64>?) -> Int32 {
    status {
        let writer = try Registry.object(index, as: IndexHandle.self, "index").requireWriter()
        let ids = try strings(ids, count: n, "ids")
        store(UInt64(try writer.delete(ids: ids)), deleted)
    }
}

@_cdecl("sparrow_commit")
public func cCommit(_ index: OpaquePointer?) -> Int32 {
    status { try Registry.object(index, as: IndexHandle.self, "index").requireWriter().commit() }
}

// MARK: Searching

@_cdecl("sparrow_search")
public func cSearch(_ index: OpaquePointer?, _ queries: UnsafePointer<sparrow_csr>?, _ k: Int, _ optionsJSON: UnsafePointer<CChar>?,
                    _ threads: Int, _ ids: UnsafeMutablePointer<CChar>?, _ idWidth: Int, _ scores: UnsafeMutablePointer<Float>?,
                    _ counts: UnsafeMutablePointer<UInt32>?, _ neededIDWidth: UnsafeMutablePointer<Int>?) -> Int32 {
    status {
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        let rows = try rows(queries, "queries")
        let output = try SearchOutput(rows: rows.count, k: k, ids: ids, idWidth: idWidth, scores: scores, counts: counts)
        let options = try searchOptions(optionsJSON)
        let snapshot = try handle.snapshot
        try output.run(threads: threads, neededIDWidth: neededIDWidth) { r in
            try snapshot.search(rows[r], k: k, algorithm: options.algorithm, approximation: options.approximation)
        }
    }
}

@_cdecl("sparrow_search_text")
public func cSearchText(_ index: OpaquePointer?, _ texts: CStrings?, _ n: Int, _ k: Int, _ optionsJSON: UnsafePointer<CChar>?,
                        _ threads: Int, _ ids: UnsafeMutablePointer<CChar>?, _ idWidth: Int, _ scores: UnsafeMutablePointer<Float>?,
                        _ counts: UnsafeMutablePointer<UInt32>?, _ neededIDWidth: UnsafeMutablePointer<Int>?) -> Int32 {
    status {
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        let texts = try strings(texts, count: n, "texts")
        let output = try SearchOutput(rows: n, k: k, ids: ids, idWidth: idWidth, scores: scores, counts: counts)
        let options = try searchOptions(optionsJSON)
        let snapshot = try handle.snapshot
        try output.run(threads: threads, neededIDWidth: neededIDWidth) { r in
            try snapshot.search(handle.queryVector(text: texts[r], in: snapshot), k: k, algorithm: options.algorithm,
                                approximation: options.approximation)
        }
    }
}

@_cdecl("sparrow_stats")
public func cStats(_ index: OpaquePointer?, _ out: UnsafeMutablePointer<sparrow_info>?) -> Int32 {
    status {
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        guard let out else { throw CallError.invalid("out is NULL") }
        let s = try handle.snapshot
        out.pointee = sparrow_info(
            documents: UInt64(s.documentCount), terms: UInt64(s.termCount), postings: UInt64(s.postingCount),
            segments: UInt64(s.segmentCount), deleted: UInt64(s.deletedCount), clustered_segments: UInt64(s.clusteredSegmentCount),
            kind: s.settings.text != nil ? 1 : s.settings.encoder != nil ? 2 : 0, writable: handle.writer != nil ? 1 : 0)
    }
}

// MARK: Sharded text collections

@_cdecl("sparrow_corpus_statistics")
public func cCorpusStatistics(_ index: OpaquePointer?, _ json: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                              _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    status {
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        let corpus = try handle.base.corpusStatistics()
        var text = ""
        let df = corpus.documentFrequencies.sorted { $0.key < $1.key }
        JSONValue.object(JSONObject(keys: ["documents", "total_terms", "df"], values: [
            .int(corpus.documentsWithTerms), .int(corpus.totalTermCount),
            .object(JSONObject(keys: df.map(\.key), values: df.map { .int($0.value) })),
        ])).write(to: &text)
        let size = text.utf8.count + 1
        store(size, needed)
        guard let json, capacity >= size else {
            throw CallError(status: SPARROW_BUFFER_TOO_SMALL, message: "the statistics need \(size) bytes; the buffer has \(capacity)")
        }
        text.withCString { json.update(from: $0, count: size) }
    }
}

@_cdecl("sparrow_set_global_statistics")
public func cSetGlobalStatistics(_ index: OpaquePointer?, _ json: UnsafePointer<CChar>?) -> Int32 {
    status {
        let handle = try Registry.object(index, as: IndexHandle.self, "index")
        let text = try optionalString(json, "json") ?? ""
        if text.allSatisfy(\.isWhitespace) { return try handle.share(nil) }
        let m = try JSONMembers(JSONValue.parseOptions(text), path: "", allowed: ["documents", "total_terms", "df"])
        guard let documents = try m.integer("documents", in: 0...Int(Int64.max >> 1)) else { throw FieldError("documents", "missing") }
        guard let total = try m.integer("total_terms", in: 0...Int(Int64.max >> 1)) else { throw FieldError("total_terms", "missing") }
        var df: [String: Int] = [:]
        if let v = m.value("df") {
            guard case .object(let o) = v else { throw FieldError("df", "must be an object of term: document count") }
            for (term, n) in o.members {
                guard case .number(let d, _) = n, d.rounded() == d, d >= 0, d <= Double(documents) else {
                    throw FieldError("df." + term, "must be an integer from 0 to documents (\(documents))")
                }
                df[term] = Int(d)
            }
        }
        try handle.share(CorpusStatistics(documentsWithTerms: documents, totalTermCount: total, documentFrequencies: df))
    }
}

// MARK: Encoding

@_cdecl("sparrow_encoder_open")
public func cEncoderOpen(_ modelDir: UnsafePointer<CChar>?, _ maxLength: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        guard let out else { throw CallError.invalid("out is NULL") }
        let dir = try string(modelDir, "model_dir")
        guard (0...8192).contains(maxLength) else { throw CallError.invalid("max_length \(maxLength) is outside 0...8192") }
        out.pointee = Registry.register(EncoderHandle(try SpladeEncoder(directory: dir, maxLength: maxLength == 0 ? 256 : maxLength)))
    }
}

@_cdecl("sparrow_encode")
public func cEncode(_ encoder: OpaquePointer?, _ texts: CStrings?, _ n: Int, _ threads: Int,
                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status {
        let handle = try Registry.object(encoder, as: EncoderHandle.self, "encoder")
        guard let out else { throw CallError.invalid("out is NULL") }
        let texts = try strings(texts, count: n, "texts")
        let vectors = handle.encoder.encode(texts, threads: threadCount(threads))
        out.pointee = Registry.register(VectorsHandle(vectors.map { ($0.tokens, $0.weights) }))
    }
}

@_cdecl("sparrow_vectors_csr")
public func cVectorsCSR(_ vectors: OpaquePointer?, _ out: UnsafeMutablePointer<sparrow_csr>?) -> Int32 {
    status {
        let v = try Registry.object(vectors, as: VectorsHandle.self, "vectors")
        guard let out else { throw CallError.invalid("out is NULL") }
        out.pointee = sparrow_csr(rows: v.rows, indptr: UnsafePointer(v.indptr.baseAddress), indices: UnsafePointer(v.indices.baseAddress),
                                  values: UnsafePointer(v.values.baseAddress), vocab: UnsafePointer(v.vocab.baseAddress),
                                  vocab_size: v.vocabCount)
    }
}

@_cdecl("sparrow_vectors_free")
public func cVectorsFree(_ vectors: OpaquePointer?) -> Int32 { free(vectors, as: VectorsHandle.self, "vectors") }

@_cdecl("sparrow_encoder_free")
public func cEncoderFree(_ encoder: OpaquePointer?) -> Int32 { free(encoder, as: EncoderHandle.self, "encoder") }

// MARK: Helpers

private func free<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ name: String) -> Int32 {
    status {
        guard let handle else { return }
        _ = try Registry.object(handle, as: type, name)
        Registry.release(handle)
    }
}

private func collectionSpec(_ json: UnsafePointer<CChar>?) throws -> CollectionSpec {
    try CollectionSpec(json: optionalString(json, "settings_json") ?? "")
}

private func searchOptions(_ json: UnsafePointer<CChar>?) throws -> SearchOptions {
    try SearchOptions(json: optionalString(json, "options_json") ?? "")
}

private func writerOptions(_ spec: CollectionSpec) -> WriterOptions {
    var options = WriterOptions()
    if let fsync = spec.fsync { options.fsync = fsync }
    return options
}

func threadCount(_ threads: Int) -> Int {
    threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
}

/// Builds `documents` in memory; with a path, writes the index there and opens it as a collection.
private func build(_ documents: [PreparedDocument], settings: IndexSettings, spec: CollectionSpec, path: String?,
                   model: SpladeEncoder?) throws -> IndexHandle {
    let index: SearchIndex
    do {
        index = try SearchIndex.build(documents: documents, settings: settings, source: "row", lines: Array(0..<documents.count))
    } catch let error as InputError {
        throw rowError(error)
    }
    guard let path else { return IndexHandle(index: index, model: model) }
    try index.write(to: path)
    return IndexHandle(writer: try IndexWriter.open(at: path, options: writerOptions(spec)))
}

/// Upserts a batch, naming the row of a refused document.
private func upsert(_ writer: IndexWriter, _ documents: [PreparedDocument]) throws -> UpsertResult {
    do {
        return try writer.upsert(documents, source: "row", lines: Array(0..<documents.count))
    } catch let error as InputError {
        throw rowError(error)
    }
}

/// A refused document of a batch whose "lines" are its rows, counted from 0 as C counts.
private func rowError(_ error: InputError) -> CallError {
    let problem = error.problem.replacingOccurrences(of: "first used on line", with: "first used in row")
    return CallError.invalid("row \(error.line)" + (error.field.map { ", \($0)" } ?? "") + ": \(problem)")
}

/// The caller's result buffers for `rows` queries of `k` hits.
struct SearchOutput: @unchecked Sendable {
    let rows: Int
    let k: Int
    let ids: UnsafeMutablePointer<CChar>
    let idWidth: Int
    let scores: UnsafeMutablePointer<Float>
    let counts: UnsafeMutablePointer<UInt32>

    init(rows: Int, k: Int, ids: UnsafeMutablePointer<CChar>?, idWidth: Int, scores: UnsafeMutablePointer<Float>?,
         counts: UnsafeMutablePointer<UInt32>?) throws {
        guard k >= 1 else { throw CallError.invalid("k must be at least 1, not \(k)") }
        guard idWidth >= 1 else { throw CallError.invalid("id_width must be at least 1, not \(idWidth)") }
        guard rows.multipliedReportingOverflow(by: k).overflow == false,
              (rows * k).multipliedReportingOverflow(by: idWidth).overflow == false else {
            throw CallError.invalid("\(rows) queries × k \(k) × id_width \(idWidth) overflows")
        }
        if rows == 0 {   // nothing is written: the buffers may be NULL
            (self.rows, self.k, self.idWidth) = (0, k, idWidth)
            (self.ids, self.scores, self.counts) = (Self.nowhere.assumingMemoryBound(to: CChar.self),
                                                    Self.nowhere.assumingMemoryBound(to: Float.self),
                                                    Self.nowhere.assumingMemoryBound(to: UInt32.self))
            return
        }
        guard let ids, let scores, let counts else { throw CallError.invalid("ids, scores and counts must not be NULL") }
        (self.rows, self.k, self.ids, self.idWidth, self.scores, self.counts) = (rows, k, ids, idWidth, scores, counts)
    }

    /// Where the buffers of an empty batch point: never written.
    private nonisolated(unsafe) static let nowhere = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)

    /// Runs `search` for every row on up to `threads` threads, writing each row's hits; the first
    /// error (by row) is thrown after all rows ran.
    func run(threads: Int, neededIDWidth: UnsafeMutablePointer<Int>?, _ search: @Sendable (Int) throws -> [SearchHit]) throws {
        let next = Atomic<Int>(0)
        let widest = Atomic<Int>(0)
        let failure = Mutex<(row: Int, error: any Error)?>(nil)
        let workers = min(threadCount(threads), max(rows, 1))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let r = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard r < rows else { return }
                do {
                    let hits = try search(r)
                    widest.max(write(hits, row: r))
                } catch {
                    clear(row: r, from: 0)
                    failure.withLock { f in if f == nil || f!.row > r { f = (r, error) } }
                }
            }
        }
        if let (row, error) = failure.withLock({ $0 }) {
            if rows == 1 { throw error }
            throw CallError(status: code(of: error), message: "query \(row): \(describe(error))")
        }
        let width = widest.load(ordering: .relaxed)
        store(width, neededIDWidth)
        if width > idWidth {
            throw CallError(status: SPARROW_BUFFER_TOO_SMALL, message: "an id has \(width) bytes; id_width is \(idWidth)")
        }
    }

    /// Writes one row's hits; returns the longest id's byte count.
    private func write(_ hits: [SearchHit], row: Int) -> Int {
        var widest = 0
        for (j, hit) in hits.enumerated() {
            let slot = ids + (row * k + j) * idWidth
            var id = hit.id
            let n = id.withUTF8 { bytes in
                let n = min(bytes.count, idWidth)
                UnsafeMutableRawPointer(slot).copyMemory(from: bytes.baseAddress!, byteCount: n)
                return bytes.count
            }
            if n < idWidth { (slot + n).update(repeating: 0, count: idWidth - n) }
            widest = Swift.max(widest, n)
            scores[row * k + j] = hit.score
        }
        counts[row] = UInt32(hits.count)
        clear(row: row, from: hits.count)
        return widest
    }

    private func clear(row: Int, from j: Int) {
        guard j < k else { return }
        (ids + (row * k + j) * idWidth).update(repeating: 0, count: (k - j) * idWidth)
        (scores + row * k + j).update(repeating: 0, count: k - j)
        if j == 0 { counts[row] = 0 }
    }
}

extension Atomic<Int> {
    /// Raises the value to at least `value`.
    func max(_ value: Int) {
        var current = load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

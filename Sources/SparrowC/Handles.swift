import CSparrow
import Foundation
import Sparrow
import Synchronization

// The objects behind the C interface's opaque handles, and the registry that lets a call refuse a
// handle that was closed or never was one instead of dereferencing it.

/// Every live handle, by address, holding its object alive; a stale or foreign pointer is an
/// error, not a crash.
enum Registry {
    private static let live = Mutex<[UInt: any AnyObject & Sendable]>([:])

    static func register(_ object: some AnyObject & Sendable) -> OpaquePointer {
        let p = Unmanaged.passUnretained(object).toOpaque()
        live.withLock { $0[UInt(bitPattern: p)] = object }
        return OpaquePointer(p)
    }

    /// The object behind `handle`, if it is a live handle of type `T`.
    static func object<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ name: String) throws -> T {
        guard let handle else { throw CallError.invalid("\(name) is NULL") }
        let key = UInt(bitPattern: UnsafeMutableRawPointer(handle))
        guard let object = live.withLock({ $0[key] }) else {
            throw CallError.invalid("\(name) is not an open handle (closed already, or never opened)")
        }
        guard let typed = object as? T else { throw CallError.invalid("\(name) is a handle of another kind") }
        return typed
    }

    /// Forgets `handle`, returning its object (nil when it was not live).
    @discardableResult
    static func release(_ handle: OpaquePointer) -> (any AnyObject & Sendable)? {
        let key = UInt(bitPattern: UnsafeMutableRawPointer(handle))
        return live.withLock { $0.removeValue(forKey: key) }
    }
}

/// An index: a collection on disk (with its writer) or an index built in memory (read-only).
final class IndexHandle: Sendable {
    let writer: IndexWriter?
    private let fixed: SearchIndex?
    /// The model of an index of encoded text without a writer (a writer loads its own): the one it
    /// was built with, or the one it records, loaded on the first text query.
    private let model: Mutex<SpladeEncoder?>
    /// A shard's collection-wide BM25 statistics, and the last snapshot scored with them.
    private let shared = Mutex<(global: CorpusStatistics?, base: SearchIndex?, view: SearchIndex?)>((nil, nil, nil))

    init(writer: IndexWriter) {
        self.writer = writer
        fixed = nil
        model = Mutex(nil)
    }

    init(index: SearchIndex, model: SpladeEncoder?) {
        writer = nil
        fixed = index
        self.model = Mutex(model)
    }

    /// The index as it is now, scored with its own statistics.
    var base: SearchIndex { writer?.snapshot ?? fixed! }

    /// The index as it is now, scored with the global statistics when they are set.
    var snapshot: SearchIndex {
        get throws {
            let base = self.base
            return try shared.withLock { s in
                guard let global = s.global else { return base }
                if s.base !== base {
                    s.view = try base.sharing(global)
                    s.base = base
                }
                return s.view!
            }
        }
    }

    func share(_ global: CorpusStatistics?) throws {
        let base = self.base
        let view = try global.map { try base.sharing($0) }   // checks them before anything changes
        shared.withLock { $0 = (global, base, view) }
    }

    /// The writer, or an error saying this index cannot change.
    func requireWriter() throws -> IndexWriter {
        guard let writer else {
            throw CallError(status: SPARROW_READ_ONLY, message:
                "this index is read-only (built in memory, or opened read_only); build it with a path, or open it for writing, to add or delete documents")
        }
        return writer
    }

    /// The query vector of `text`: analysed in a BM25 collection, encoded by the model of an
    /// encoded one.
    func queryVector(text: String, in index: SearchIndex) throws -> SparseQuery {
        guard let vector = try index.queryVector(text: text, recorded: encoder) else {
            throw CallError.invalid("this index holds sparse vectors and has no encoder: search it with vectors")
        }
        return vector
    }

    /// The model that encodes this index's text queries.
    func encoder() throws -> SpladeEncoder {
        if let writer { return try writer.recordedEncoder() }
        return try model.withLock { cached in
            if let cached { return cached }
            let loaded = try SpladeEncoder.recorded(fixed!.settings.encoder, path: "")
            cached = loaded
            return loaded
        }
    }
}

/// A SPLADE model.
final class EncoderHandle: Sendable {
    let encoder: SpladeEncoder
    init(_ encoder: SpladeEncoder) { self.encoder = encoder }
}

/// Vectors an encoder made, held as CSR arrays whose addresses stay put until the handle is freed.
final class VectorsHandle: @unchecked Sendable {
    let indptr: UnsafeMutableBufferPointer<Int64>
    let indices: UnsafeMutableBufferPointer<UInt32>
    let values: UnsafeMutableBufferPointer<Float>
    let vocab: UnsafeMutableBufferPointer<UnsafePointer<CChar>?>

    init(_ vectors: [(tokens: [String], weights: [Float])]) {
        var terms: [String: UInt32] = [:]
        var order: [String] = []
        let entries = vectors.reduce(0) { $0 + $1.tokens.count }
        indptr = .allocate(capacity: vectors.count + 1)
        indices = .allocate(capacity: max(entries, 1))
        values = .allocate(capacity: max(entries, 1))
        var j = 0
        indptr[0] = 0
        for (r, v) in vectors.enumerated() {
            for (t, w) in zip(v.tokens, v.weights) {
                let id = terms[t] ?? {
                    terms[t] = UInt32(order.count)
                    order.append(t)
                    return UInt32(order.count - 1)
                }()
                indices[j] = id
                values[j] = w
                j += 1
            }
            indptr[r + 1] = Int64(j)
        }
        vocab = .allocate(capacity: max(order.count, 1))
        for (i, t) in order.enumerated() { vocab[i] = UnsafePointer(strdup(t)) }
        vocabCount = order.count
        rows = vectors.count
    }

    let vocabCount: Int
    let rows: Int

    deinit {
        for i in 0..<vocabCount { free(UnsafeMutableRawPointer(mutating: vocab[i])) }
        indptr.deallocate()
        indices.deallocate()
        values.deallocate()
        vocab.deallocate()
    }
}

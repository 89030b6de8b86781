import Foundation
import Logging
import Sparrow
import Synchronization

/// One collection the server holds: a live index directory under the data directory, and its
/// writer (which also hands out the snapshots searches read).
public final class ServedCollection: Sendable {
    public let name: String
    public let writer: IndexWriter
    /// Blocking work (parsing batches, logging with fsync, encoding, commits) runs here, off the
    /// threads that answer searches, one job at a time per collection, at a lower priority.
    let worker: Worker

    init(name: String, writer: IndexWriter) {
        self.name = name
        self.writer = writer
        self.worker = Worker(name: "sparrow.collection.\(name)")
    }

    /// What the collection holds: `vectors`, `text` (BM25) or `encoded` (a SPLADE model).
    public var kind: String {
        let settings = writer.collectionSettings
        return settings.text != nil ? "text" : settings.encoder != nil ? "encoded" : "vectors"
    }

    /// Runs `body` on the collection's worker and waits for it without blocking a thread; after
    /// `timeout` the wait ends with a 503 (`body` still runs to its end).
    func run<T: Sendable>(timeout: Duration, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let answered = Mutex(false)
        return try await withCheckedThrowingContinuation { continuation in
            @Sendable func answer(_ result: Result<T, any Error>) {
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(with: result) }
            }
            worker.async { answer(Result { try body() }) }
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                answer(.failure(APIError(.serviceUnavailable, "timeout",
                    "the request took longer than the server's timeout; a write may still be applied")))
            }
        }
    }
}

/// The collections under one data directory: each subdirectory holding an index is a collection
/// named after it. Creating and deleting collections is safe while others are searched.
public final class CollectionStore: Sendable {
    public let root: String
    public let options: WriterOptions
    private let collections = Mutex<[String: ServedCollection]>([:])
    /// Problems met while opening the collections (torn log tails cut, and so on).
    public let warnings: [String]

    /// Opens every collection under `root` (created when missing).
    public init(root: String, options: WriterOptions = WriterOptions()) throws {
        self.root = root
        self.options = options
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } else if !isDirectory.boolValue {
            throw IndexError(.invalidArgument, path: root, "is a file; --data must name a directory")
        }
        var found: [String: ServedCollection] = [:]
        var warnings: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() where Self.isValidName(name) {
            let path = root + "/" + name
            guard SearchIndex.holdsIndex(at: path) || FileManager.default.fileExists(atPath: path + "/wal.log") else { continue }
            var collectionOptions = options
            if let fsync = Self.storedFsync(path) { collectionOptions.fsync = fsync }
            let writer = try IndexWriter.open(at: path, options: collectionOptions)
            warnings += writer.warnings.map { "collection \(name): \($0)" }
            found[name] = ServedCollection(name: name, writer: writer)
        }
        self.warnings = warnings
        collections.withLock { $0 = found }
    }

    /// What the server keeps about a collection besides its index: its fsync policy.
    static let settingsFile = "serve.json"

    /// The fsync policy kept with the collection at `path`, if any.
    static func storedFsync(_ path: String) -> FsyncPolicy? {
        guard let data = FileManager.default.contents(atPath: path + "/" + settingsFile),
              let text = (try? JSONValue.parse(Array(data)))?["fsync"]?.string else { return nil }
        return FsyncPolicy(text)
    }

    /// Whether `name` may name a collection: 1 to 64 of `A-Z a-z 0-9 _ -`, so it is always one
    /// directory entry inside the data directory.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }

    static func requireValidName(_ name: String) throws(APIError) {
        guard isValidName(name) else {
            throw APIError.invalid("name", "collection names are 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        }
    }

    /// The collection `name`, or a 404.
    public func collection(named name: String) throws(APIError) -> ServedCollection {
        try Self.requireValidName(name)
        guard let c = collections.withLock({ $0[name] }) else {
            throw APIError.notFound("no collection named \"\(name)\"")
        }
        return c
    }

    /// Every collection, by name.
    public var all: [ServedCollection] {
        collections.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    /// Creates collection `name` with `settings`; a 409 when it exists. `fsync`, when given,
    /// replaces the server's policy for this collection and is kept with it (`serve.json`).
    public func create(name: String, settings: IndexSettings, fsync: FsyncPolicy? = nil) throws -> ServedCollection {
        try Self.requireValidName(name)
        return try collections.withLock { all in
            let path = root + "/" + name
            if all[name] != nil || FileManager.default.fileExists(atPath: path) {
                throw APIError(.conflict, "conflict", "collection \"\(name)\" exists")
            }
            var collectionOptions = options
            if let fsync { collectionOptions.fsync = fsync }
            let writer = try IndexWriter.open(at: path, creating: settings, options: collectionOptions)
            if let fsync {
                let json = Data(JSONValue.object(["fsync": .string(fsync.description)]).serialized.utf8)
                try json.write(to: URL(fileURLWithPath: path + "/" + Self.settingsFile), options: .atomic)
            }
            let c = ServedCollection(name: name, writer: writer)
            all[name] = c
            return c
        }
    }

    /// Deletes collection `name` and its files; a 404 when there is none.
    public func remove(name: String) throws {
        try Self.requireValidName(name)
        let removed = collections.withLock { $0.removeValue(forKey: name) }
        guard let removed else { throw APIError.notFound("no collection named \"\(name)\"") }
        _ = try? removed.worker.sync { try removed.writer.close() }
        try FileManager.default.removeItem(atPath: root + "/" + name)
    }

    /// Commits every collection (the server does it periodically, so the logs stay short).
    public func commitAll() -> [String] { forEachWriter("commit") { try $0.commit() } }

    /// Commits and closes every collection (at shutdown).
    public func closeAll() -> [String] { forEachWriter("close") { try $0.close() } }

    /// Runs `body` on every collection's writer, on its worker after the work queued there; the
    /// problems, one line each.
    private func forEachWriter(_ what: String, _ body: @escaping (IndexWriter) throws -> Void) -> [String] {
        all.compactMap { c in
            do {
                try c.worker.sync { try body(c.writer) }
                return nil
            } catch {
                return "collection \(c.name): \(what) failed: \(error)"
            }
        }
    }
}

import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import Sparrow
import SparrowServer
import SparrowTestSupport

/// A response as the tests read it: status, the JSON body parsed (nil when it is not JSON) and
/// the raw text.
struct Reply {
    var status: HTTPResponse.Status
    var json: JSONValue?
    var text: String
    var headers: HTTPFields

    /// `error.code` and `error.field` of an error body.
    var errorCode: String? { json?["error"]?["code"]?.string }
    var errorField: String? { json?["error"]?["field"]?.string }
}

/// Sends one request through `client`.
func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
          headers: HTTPFields = [:]) async throws -> Reply {
    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
        let text = String(buffer: response.body)
        return Reply(status: response.status, json: try? JSONValue.parse(Array(text.utf8)), text: text, headers: response.headers)
    }
}

/// Runs `body` against a router-level test server over a new data directory, then closes the
/// collections and removes the directory.
func withServer(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                _ body: @Sendable (any TestClientProtocol, CollectionStore) async throws -> Void) async throws {
    let dir = makeTemporaryDirectory()
    defer { removeTree(dir) }
    let store = try CollectionStore(root: dir + "/data", options: WriterOptions(fsync: .none))
    var configuration = ServerConfiguration()
    configure(&configuration)
    var logger = Logger(label: "sparrow-test")
    logger.logLevel = .warning
    let app = Application(router: SparrowService.router(store: store, configuration: configuration), logger: logger)
    try await app.test(.router) { client in try await body(client, store) }
    _ = store.closeAll()
}

/// The hits of a search reply as (id, score) pairs; scores read back exactly (shortest
/// round-tripping decimal form).
func hits(_ reply: Reply) -> [(id: String, score: Float)] {
    guard case .array(let items)? = reply.json?["hits"] else { return [] }
    return items.map { ($0["id"]?.string ?? "", Float($0["score"]?.number ?? .nan)) }
}

/// A vector as a JSON object literal.
func vectorJSON(_ r: VectorRecord) -> String {
    "{" + zip(r.tokens, r.weights).map { "\(jsonString($0)): \($1)" }.joined(separator: ", ") + "}"
}

/// The toy collection's documents and queries, as files and as records.
enum Toy {
    static let documentsPath = repositoryRoot + "/Examples/toy/documents.jsonl"
    static let queriesPath = repositoryRoot + "/Examples/toy/queries.jsonl"
    static var documentsText: String { String(decoding: readFileBytes(documentsPath), as: UTF8.self) }
    static func queries() throws -> [VectorRecord] { try readVectorRecords(fromFile: queriesPath).map(\.record) }
}

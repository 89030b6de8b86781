import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import Sparrow
import SparrowServer
import SparrowTestSupport

#if canImport(Glibc)
import Glibc
#endif

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

/// What a test server runs over: a store in a new data directory, a configuration, a quiet logger.
struct TestServerParts {
    let dir = makeTemporaryDirectory()
    let store: CollectionStore
    let configuration: ServerConfiguration
    let logger: Logger

    init(_ configure: (inout ServerConfiguration) -> Void) throws {
        store = try CollectionStore(root: dir + "/data", options: WriterOptions(fsync: .none))
        var configuration = ServerConfiguration()
        configure(&configuration)
        self.configuration = configuration
        var logger = Logger(label: "sparrow-test")
        logger.logLevel = .warning
        self.logger = logger
    }

    /// Closes the collections and removes the directory.
    func close() {
        _ = store.closeAll()
        removeTree(dir)
    }

    /// The router-level application (no socket).
    var routerApplication: some ApplicationProtocol {
        Application(router: SparrowService.router(store: store, configuration: configuration), logger: logger)
    }
}

/// Runs `body` against a router-level test server over a new data directory, then closes the
/// collections and removes the directory.
func withServer(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                _ body: @Sendable (any TestClientProtocol, CollectionStore) async throws -> Void) async throws {
    let parts = try TestServerParts(configure)
    defer { parts.close() }
    try await parts.routerApplication.test(.router) { client in try await body(client, parts.store) }
}

/// A socket call that failed (with errno), or an answer that is not HTTP.
struct SocketFailure: Error { var message: String }

/// A blocking TCP connection to 127.0.0.1:`port` whose reads give up after `timeout` seconds; the
/// caller closes it.
func connectLoopback(port: Int, timeout: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketFailure(message: "socket: \(errno)") }
    var limit = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        let failure = SocketFailure(message: "connect: \(errno)")
        close(fd)
        throw failure
    }
    return fd
}

/// Sends all of `bytes` on `fd`.
func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw SocketFailure(message: "send: \(errno)") }
        sent += n
    }
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

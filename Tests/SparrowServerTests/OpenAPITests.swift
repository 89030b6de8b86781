import Foundation
import Hummingbird
import HummingbirdTesting
import Sparrow
import SparrowServer
import SparrowTestSupport
import Testing

/// The OpenAPI document and the routes agree: the same operations, and each operation, called
/// with a valid request, answers with a status the document lists.
struct OpenAPITests {
    static func document() throws -> JSONValue {
        try JSONValue.parse(readFileBytes(repositoryRoot + "/docs/openapi.json"))
    }

    /// (path, method) of every operation in the document.
    static func operations(_ doc: JSONValue) -> [(path: String, method: String, operation: JSONValue)] {
        guard case .object(let paths)? = doc["paths"] else { return [] }
        return paths.members.flatMap { path, item -> [(String, String, JSONValue)] in
            guard case .object(let methods) = item else { return [] }
            return methods.members.filter { $0.0 != "parameters" }.map { (path, $0.0, $0.1) }
        }
    }

    @Test("the served document is docs/openapi.json, and it lists exactly the router's operations")
    func sameOperations() async throws {
        let doc = try Self.document()
        #expect(doc["openapi"]?.string == "3.1.0")
        let documented = Set(Self.operations(doc).map { "\($0.method.uppercased()) \($0.path)" })
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let store = try CollectionStore(root: dir)
        let router = SparrowService.router(store: store, configuration: ServerConfiguration())
        // The router spells parameters :name; the document {name}. The page and its icon are not API.
        let routed = Set(router.routes.map { route -> String in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue) /\(path)"
        }).subtracting(["GET /", "GET /favicon.svg"])
        #expect(routed == documented, "only routed: \(routed.subtracting(documented)); only documented: \(documented.subtracting(routed))")
        try await withServer { client, _ in
            let r = try await call(client, .get, "/openapi.json")
            #expect(r.status == .ok && r.json == doc)
        }
    }

    @Test("every documented operation, called with a valid request, answers with a documented status")
    func walk() async throws {
        let doc = try Self.document()
        // A body for each operation that takes one.
        let bodies: [String: String] = [
            "createCollection": #"{"range_size": 8}"#,
            "upsertDocuments": #"[{"id": "d1", "vector": {"x": 1, "y": 2}}, {"id": "d2", "vector": {"x": 3}}]"#,
            "deleteDocuments": #"{"ids": ["d2"]}"#,
            "search": #"{"vector": {"x": 1}, "k": 2}"#,
            "searchBatch": #"{"queries": [{"vector": {"x": 1}}, {"vector": {"y": 1}, "algorithm": "bmp"}]}"#,
        ]
        // Creation first and deletion last, so that every operation has something to act on.
        let order = ["createCollection", "upsertDocuments", "getDocument", "search", "searchBatch", "getCollection",
                     "listCollections", "deleteDocuments", "health", "ready", "metrics", "openapi", "deleteDocument", "deleteCollection"]
        let operations = Self.operations(doc)
        #expect(Set(operations.compactMap { $0.operation["operationId"]?.string }) == Set(order))
        try await withServer { client, _ in
            for id in order {
                let op = operations.first { $0.operation["operationId"]?.string == id }!
                let uri = op.path.replacingOccurrences(of: "{name}", with: "walk").replacingOccurrences(of: "{id}", with: "d1")
                let r = try await call(client, HTTPRequest.Method(op.method.uppercased())!, uri, bodies[id])
                guard case .object(let responses)? = op.operation["responses"] else { Issue.record("\(id) lists no responses"); continue }
                #expect(responses.keys.contains(String(r.status.code)), "\(id): \(r.status.code) \(r.text)")
                #expect(r.status.code < 300, "\(id): \(r.text)")
                // JSON responses are JSON and carry the required members of their schema.
                if let schema = op.operation["responses"]?[String(r.status.code)]?["content"]?["application/json"]?["schema"],
                   case .array(let required)? = resolve(schema, in: doc)["required"] {
                    for name in required.compactMap(\.string) {
                        #expect(r.json?[name] != nil, "\(id): no \(name) in \(r.text)")
                    }
                }
            }
        }
    }

    func resolve(_ schema: JSONValue, in doc: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.string else { return schema }
        return ref.split(separator: "/").dropFirst().reduce(doc) { $0[String($1)] ?? .null }
    }
}

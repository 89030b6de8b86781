import Foundation
import Hummingbird
import HummingbirdTesting
import Sparrow
import SparrowServer
import SparrowTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The searches answered on the event loop (`SearchFastPath`, in the live server only) against
/// the router's answers to the same requests (HummingbirdTesting's router mode, no socket).
@Suite(.serialized)
struct FastPathTests {
    /// Runs `body` with a live server and a router-level one over the same new store holding the
    /// toy collection.
    static func withBoth(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                         _ body: @Sendable (_ live: any TestClientProtocol, _ router: any TestClientProtocol, _ port: Int) async throws -> Void) async throws {
        let parts = try TestServerParts(configure)
        defer { parts.close() }
        let liveApp = SparrowService.application(store: parts.store, configuration: parts.configuration, logger: parts.logger)
        let auth: HTTPFields = parts.configuration.apiKey.map { [.authorization: "Bearer " + $0] } ?? [:]
        try await parts.routerApplication.test(.router) { router in
            #expect(try await call(router, .put, "/collections/toy", "{}", headers: auth).status == .created)
            #expect(try await call(router, .post, "/collections/toy/documents", Toy.documentsText, headers: auth).status == .ok)
            try await liveApp.test(.live) { live in try await body(live, router, live.port!) }
        }
    }

    /// An answer with its timing removed, for comparing two answers to one request.
    static func comparable(_ reply: Reply) -> String {
        guard case .object(let object)? = reply.json else { return reply.text }
        let kept = object.members.filter { $0.0 != "took_us" }
        return JSONValue.object(JSONObject(keys: kept.map(\.0), values: kept.map(\.1))).serialized
    }

    /// `sparrow_event_loop_searches` as `/metrics` shows it (0 before the first).
    static func eventLoopSearches(_ client: any TestClientProtocol, headers: HTTPFields = [:]) async throws -> Int {
        let text = try await call(client, .get, "/metrics", headers: headers).text
        let line = text.split(separator: "\n").first { $0.hasPrefix("sparrow_event_loop_searches ") }
        return line.flatMap { Int($0.split(separator: " ").last!) } ?? 0
    }

    @Test("searches over a live connection answer as the router does, and good ones are answered on the event loop")
    func sameAnswers() async throws {
        try await Self.withBoth { live, router, _ in
            var bodies: [String] = []
            for q in try Toy.queries() {
                let v = vectorJSON(q)
                bodies += ["{\"vector\": \(v)}", "{\"vector\": \(v), \"k\": 2, \"content\": false}",
                           "{\"vector\": \(v), \"k\": 5, \"algorithm\": \"maxscore\"}"]
            }
            let good = bodies.count
            // Each fails in the handler and is handed to the router, which answers with its error.
            bodies += ["{\"vector\": {\"manhattan\": \"x\"}}", "{\"vector\": {\"manhattan\": 1}, \"k\": 0}", "{\"vector\": {}, \"nope\": 1}",
                       "{\"vector\": {\"manhattan\": 1}", "", "{\"text\": \"manhattan\"}", "{\"vector\": {\"manhattan\": 1}, \"algorithm\": \"x\"}"]
            let before = try await Self.eventLoopSearches(live)
            for body in bodies {
                for uri in ["/collections/toy/search", "/collections/toy/search?pretty=1"] {
                    let a = try await call(live, .post, uri, body)
                    let b = try await call(router, .post, uri, body)
                    #expect(a.status == b.status, "\(body)")
                    #expect(Self.comparable(a) == Self.comparable(b), "\(body)")
                    #expect(a.headers[.contentType] == "application/json")
                    #expect(a.headers[.server] == "Sparrow" && a.headers[.date] != nil)
                }
            }
            for uri in ["/collections/none/search", "/collections/bad%20name/search", "/collections/toy/search/x"] {
                let a = try await call(live, .post, uri, "{\"vector\": {\"manhattan\": 1}}")
                let b = try await call(router, .post, uri, "{\"vector\": {\"manhattan\": 1}}")
                #expect(a.status == b.status && Self.comparable(a) == Self.comparable(b), "\(uri)")
            }
            #expect(try await Self.eventLoopSearches(live) - before == 2 * good)
            // The route's request counter counts them with the router's own.
            let metrics = try await call(live, .get, "/metrics").text
            #expect(metrics.contains("hb_requests{http_route=\"/collections/{name}/search\",http_request_method=\"POST\",http_response_status_code=\"200\"}"))
        }
    }

    @Test("with an API key, only authorised searches are answered on the event loop; the others get the router's 401")
    func apiKey() async throws {
        try await Self.withBoth({ $0.apiKey = "s3cret" }) { live, router, _ in
            let auth: HTTPFields = [.authorization: "Bearer s3cret"]
            let body = "{\"vector\": {\"manhattan\": 1.5}, \"k\": 3}"
            let before = try await Self.eventLoopSearches(live, headers: auth)
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "s3cret"]] {
                let a = try await call(live, .post, "/collections/toy/search", body, headers: headers)
                let b = try await call(router, .post, "/collections/toy/search", body, headers: headers)
                #expect(a.status == .unauthorized && a.text == b.text)
            }
            #expect(try await Self.eventLoopSearches(live, headers: auth) == before)
            let a = try await call(live, .post, "/collections/toy/search", body, headers: auth)
            let b = try await call(router, .post, "/collections/toy/search", body, headers: auth)
            #expect(a.status == .ok && Self.comparable(a) == Self.comparable(b))
            #expect(try await Self.eventLoopSearches(live, headers: auth) == before + 1)
        }
    }

    /// Sends `requests` on one connection in one write and reads `count` answers (status, body).
    static func pipelined(port: Int, _ requests: [(path: String, body: String)], count: Int) throws -> [(Int, String)] {
        let fd = try connectLoopback(port: port, timeout: 60)
        defer { close(fd) }
        var bytes: [UInt8] = []
        for r in requests {
            let payload = Array(r.body.utf8)
            bytes += Array("POST \(r.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(payload.count)\r\n\r\n".utf8) + payload
        }
        try sendAll(fd, bytes)
        // Reads answers (each with a Content-Length) until `count` are complete.
        var received: [UInt8] = []
        var answers: [(Int, String)] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while answers.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            try #require(n > 0, "the server closed the connection or timed out after \(answers.count) answers")
            received += buffer[0..<n]
            while let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                guard received.count >= end.upperBound + length else { break }
                answers.append((Int(head.dropFirst(9).prefix(3)) ?? 0, String(decoding: received[end.upperBound..<(end.upperBound + length)], as: UTF8.self)))
                received.removeFirst(end.upperBound + length)
            }
        }
        return answers
    }

    @Test("pipelined requests are answered in order: a search behind an unanswered write waits for it")
    func pipelining() async throws {
        try await Self.withBoth { live, _, port in
            let before = try await Self.eventLoopSearches(live)
            let search = (path: "/collections/toy/search", body: "{\"vector\": {\"zebra\": 1.0}, \"k\": 1, \"content\": false}")
            let answers = try Self.pipelined(port: port, [
                search,
                (path: "/collections/toy/documents", body: "{\"id\": \"z1\", \"vector\": {\"zebra\": 2.0}}"),
                search, search,
                (path: "/collections/toy/documents/delete", body: "{\"ids\": [\"z1\"]}"),
                search,
            ], count: 6)
            #expect(answers.map(\.0) == [200, 200, 200, 200, 200, 200])
            #expect(answers[0].1.contains("\"hits\":[]"))
            #expect(answers[1].1.contains("\"added\":1"))
            #expect(answers[2].1.contains("\"id\":\"z1\"") && answers[3].1.contains("\"id\":\"z1\""))
            #expect(answers[4].1.contains("\"deleted\":1"))
            #expect(answers[5].1.contains("\"hits\":[]"))
            // The first search had nothing before it; the others (read with the writes) went
            // through the router, or waited for the writes' answers, in order either way.
            #expect(try await Self.eventLoopSearches(live) - before >= 1)
        }
    }

    @Test("a search body over 1 MiB is handed to the router whole, and answered as before")
    func largeBody() async throws {
        try await Self.withBoth { live, router, _ in
            let body = "{\"vector\": {\"manhattan\": 1.5}," + String(repeating: " ", count: (1 << 20) + 10) + "\"k\": 3}"
            let before = try await Self.eventLoopSearches(live)
            let a = try await call(live, .post, "/collections/toy/search", body)
            let b = try await call(router, .post, "/collections/toy/search", body)
            #expect(a.status == .ok && Self.comparable(a) == Self.comparable(b))
            #expect(try await Self.eventLoopSearches(live) == before)
        }
    }
}

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

/// `sparrow serve` as a separate process, as users run it: killed with SIGKILL while it takes
/// writes, and driven by a real browser.
struct ServerProcessTests {
    /// A running `sparrow serve` on a free port.
    final class Server {
        let process = Process()
        let port: Int
        let logPath: String

        init(data: String, logPath: String, arguments: [String] = []) throws {
            self.logPath = logPath
            FileManager.default.createFile(atPath: logPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: sparrowExecutable)
            process.arguments = ["serve", "--data", data, "--port", "0"] + arguments
            let log = FileHandle(forWritingAtPath: logPath)!
            process.standardOutput = log
            process.standardError = log
            try process.run()
            // The log says which port the system gave.
            let deadline = Date().addingTimeInterval(120)
            var found: Int?
            while found == nil && Date() < deadline && process.isRunning {
                let text = String(decoding: readFileBytes(logPath), as: UTF8.self)
                if let range = text.range(of: "listening on http://127.0.0.1:") {
                    found = Int(text[range.upperBound...].prefix { $0.isNumber })
                } else {
                    usleep(20_000)
                }
            }
            guard let found else {
                process.terminate()
                throw APIError(.internalServerError, "test", "the server did not start: " + String(decoding: readFileBytes(logPath), as: UTF8.self))
            }
            port = found
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func terminate() {
            process.terminate()   // SIGTERM: graceful
            process.waitUntilExit()
        }

        func client() -> HTTPClient { HTTPClient(port: port) }
    }

    /// A blocking HTTP/1.1 client, one connection per request (`Connection: close`). These tests
    /// block rather than await: when the whole suite runs, CPU-bound tests occupy Swift's
    /// cooperative threads for minutes, and an async client's timeouts then fire for no fault of
    /// the server.
    struct HTTPClient {
        let port: Int

        func send(_ method: String, _ path: String, _ body: String? = nil) throws -> (status: Int, text: String) {
            let fd = try connectLoopback(port: port, timeout: 300)
            defer { close(fd) }
            let payload = Array((body ?? "").utf8)
            let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
            try sendAll(fd, Array(head.utf8) + payload)
            var response: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 { break }
                guard n > 0 else { throw SocketFailure(message: "recv: \(errno)") }
                response += buffer[0..<n]
            }
            let text = String(decoding: response, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.1 "),
                  let status = Int(text.dropFirst(9).prefix(3)) else {
                throw SocketFailure(message: "no HTTP response (\(response.count) bytes)")
            }
            let headers = text[..<split.lowerBound].lowercased()
            var bodyText = String(text[split.upperBound...])
            if headers.contains("transfer-encoding: chunked") { bodyText = Self.dechunk(bodyText) }
            return (status, bodyText)
        }

        static func dechunk(_ s: String) -> String {
            var out = ""
            var rest = Substring(s)
            while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
                let start = rest.utf8.index(line.upperBound, offsetBy: 0)
                let end = rest.utf8.index(start, offsetBy: size)
                out += rest[start..<end]
                rest = rest[end...].dropFirst(2)
            }
            return out
        }
    }

    /// One request: status and body text.
    static func send(_ client: HTTPClient, _ method: String, _ uri: String, _ body: String? = nil) throws -> (status: Int, text: String) {
        try client.send(method, uri, body)
    }

    /// The vector of document `id` as the server holds it, or nil when it holds none.
    static func storedVector(_ client: HTTPClient, _ id: String) throws -> [String: Float]? {
        let r = try send(client, "GET", "/collections/c/documents/\(id)")
        guard r.status == 200, case .object(let v)? = try JSONValue.parse(Array(r.text.utf8))["vector"] else {
            #expect(r.status == 404, "\(id): \(r.status) \(r.text)")
            return nil
        }
        return Dictionary(uniqueKeysWithValues: v.members.map { ($0, Float($1.number!)) })
    }

    /// Runs `sparrow check` on a collection directory.
    static func check(_ path: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sparrowExecutable)
        p.arguments = ["check", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }

    enum Operation: Sendable {
        case upsert([String: [String: Float]])
        case delete([String])

        func apply(to model: inout [String: [String: Float]]) {
            switch self {
            case .upsert(let docs): for (id, v) in docs { model[id] = v }
            case .delete(let ids): for id in ids { model[id] = nil }
            }
        }
    }

    /// What the writer saw: the operations acknowledged with 200, in order, and the one it had
    /// sent when the server died (applied wholly or not at all).
    final class Journal: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [Operation] = []
        private var inFlight: Operation?
        func send(_ op: Operation) { lock.withLock { inFlight = op } }
        func ack() { lock.withLock { if let op = inFlight { acknowledged.append(op) }; inFlight = nil } }
        func fail() { /* the server died: the operation stays in flight */ }
        var state: ([Operation], Operation?) { lock.withLock { (acknowledged, inFlight) } }
        func reset() { lock.withLock { acknowledged = []; inFlight = nil } }
    }

    @Test("SIGKILL during streamed upserts and deletes loses no acknowledged write and resurrects no acknowledged delete")
    func crashes() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let data = dir + "/data"
        var rng = SeededRandom(seed: 99)
        var model: [String: [String: Float]] = [:]
        let ids = (0..<200).map { "d\($0)" }
        let vocabulary = (0..<40).map { "t\($0)" }
        var acknowledgedTotal = 0
        var inFlightApplied = 0
        var inFlightDropped = 0
        for round in 0..<12 {
            let server = try Server(data: data, logPath: dir + "/serve-\(round).log", arguments: ["--commit-interval", "0.3"])
            let client = server.client()
            if round == 0 {
                let r = try Self.send(client, "PUT", "/collections/c", #"{"range_size": 8}"#)
                #expect(r.status == 201, "\(r.text)")
            }
            // After a restart, the collection holds exactly what was acknowledged (the operation in
            // flight at the kill counts wholly or not at all).
            var live: [String: [String: Float]] = [:]
            for id in ids {
                if let v = try Self.storedVector(client, id) { live[id] = v }
            }
            #expect(live == model, "round \(round): the restarted server holds \(live.count) documents, the acknowledged writes \(model.count)")
            if live != model { break }

            // Stream writes for a random moment, then kill the server.
            let journal = Journal()
            var plan: [(Operation, String, String)] = []
            for _ in 0..<400 {
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    let victims = (0..<Int.random(in: 1...5, using: &rng)).map { _ in ids.randomElement(using: &rng)! }
                    plan.append((.delete(victims), "/collections/c/documents/delete", #"{"ids": [\#(victims.map(jsonString).joined(separator: ","))]}"#))
                } else {
                    var docs: [String: [String: Float]] = [:]
                    for _ in 0..<Int.random(in: 1...8, using: &rng) {
                        let terms = Set((0..<Int.random(in: 1...6, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! })
                        docs[ids.randomElement(using: &rng)!] = Dictionary(uniqueKeysWithValues: terms.map { ($0, Float(Int.random(in: 1...999, using: &rng)) / 100) })
                    }
                    let body = "[" + docs.map { id, v in
                        #"{"id": "\#(id)", "vector": {\#(v.map { "\(jsonString($0)): \($1)" }.joined(separator: ","))}}"#
                    }.joined(separator: ",") + "]"
                    plan.append((.upsert(docs), "/collections/c/documents", body))
                }
            }
            let killAfter = UInt64(Int.random(in: 50...700, using: &rng)) * 1_000_000
            let finished = DispatchSemaphore(value: 0)
            let steps = plan
            Thread {
                defer { finished.signal() }
                for (op, uri, body) in steps {
                    journal.send(op)
                    guard let r = try? client.send("POST", uri, body) else { return }
                    guard r.status == 200 else {
                        Issue.record("a write was refused: \(r.status) \(r.text)")
                        return
                    }
                    journal.ack()
                }
            }.start()
            usleep(UInt32(killAfter / 1000))
            server.kill()
            finished.wait()
            let (acknowledged, inFlight) = journal.state
            for op in acknowledged { op.apply(to: &model) }
            acknowledgedTotal += acknowledged.count
            // The directory left by the kill passes the full check.
            let (status, output) = try Self.check(data + "/c")
            #expect(status == 0, "round \(round): sparrow check: \(output)")
            // The operation in flight may have been applied: find out from the next start.
            if let inFlight {
                let probe = try Server(data: data, logPath: dir + "/probe-\(round).log")
                let probeClient = probe.client()
                var withIt = model
                inFlight.apply(to: &withIt)
                var touched: [String] = []
                switch inFlight {
                case .upsert(let docs): touched = Array(docs.keys)
                case .delete(let victims): touched = victims
                }
                var applied = true
                var notApplied = true
                for id in touched {
                    let got = try Self.storedVector(probeClient, id)
                    if got != withIt[id] { applied = false }
                    if got != model[id] { notApplied = false }
                }
                let agreesWith: Bool? = applied ? true : notApplied ? false : nil
                probe.terminate()
                #expect(agreesWith != nil, "round \(round): the batch in flight was applied by halves")
                if agreesWith == true { model = withIt; inFlightApplied += 1 } else { inFlightDropped += 1 }
            }
        }
        // The kills landed while writes streamed: many acknowledged, some caught in flight.
        print("crash test: \(acknowledgedTotal) acknowledged writes in 12 rounds; in flight at the kill: \(inFlightApplied) applied, \(inFlightDropped) not")
        #expect(acknowledgedTotal >= 100 && model.count > 20)
    }

    @Test("SIGTERM: requests finish, every collection is committed (the log emptied), the process exits 0")
    func gracefulShutdown() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let server = try Server(data: dir + "/data", logPath: dir + "/serve.log", arguments: ["--commit-interval", "3600"])
        let client = server.client()
        _ = try Self.send(client, "PUT", "/collections/c")
        let r = try Self.send(client, "POST", "/collections/c/documents", #"[{"id": "a", "vector": {"x": 1}}, {"id": "b", "vector": {"y": 2}}]"#)
        #expect(r.status == 200)
        // Before the signal the documents are only in the log (no commit for an hour).
        #expect(try SearchIndex.meta(at: dir + "/data/c").documents == 0)
        server.terminate()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0,
                "\(String(decoding: readFileBytes(server.logPath), as: UTF8.self))")
        let committed = try SearchIndex.meta(at: dir + "/data/c")
        #expect(committed.documents == 2)
        #expect(readFileBytes(dir + "/data/c/wal.log").count <= 8, "the log was not emptied by the final commit")
        #expect(try Self.check(dir + "/data/c").status == 0)
    }

    /// Runs headless Chromium on `url` and returns the DOM after the page's scripts ran.
    static func renderedDOM(_ url: String) throws -> String {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw APIError(.internalServerError, "test", "Chromium is not installed (.ci/run installs Debian's chromium package)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + makeTemporaryDirectory("chromium"),
                       "--virtual-time-budget=15000", "--dump-dom", url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return dom
    }

    /// The texts of the elements `<TAG class="CLASS">text</TAG>` in `html`, in order.
    static func texts(ofClass name: String, in html: String) -> [String] {
        html.components(separatedBy: #"class="\#(name)""#).dropFirst().compactMap { rest in
            guard let close = rest.firstIndex(of: ">"), rest[..<close].allSatisfy({ $0 != "<" }) else { return nil }
            return String(rest[rest.index(after: close)...].prefix { $0 != "<" })
        }
    }

    @Test("the search page in headless Chromium lists collections, searches, and shows ranked hits, time and statistics")
    func browser() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let server = try Server(data: dir + "/data", logPath: dir + "/serve.log")
        defer { server.terminate() }
        let client = server.client()
        _ = try Self.send(client, "PUT", "/collections/toy")
        _ = try Self.send(client, "PUT", "/collections/other")
        let added = try Self.send(client, "POST", "/collections/toy/documents", Toy.documentsText)
        #expect(added.status == 200)

        // What the library answers for the same vector.
        let fresh = try SearchIndex.build(fromVectorFile: Toy.documentsPath)
        let query = SparseQuery(["manhattan": 1.5, "project": 1.0])
        let want = try fresh.search(query, k: 3)
        let vector = #"{"manhattan":1.5,"project":1}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let dom = try Self.renderedDOM("http://127.0.0.1:\(server.port)/?collection=toy&k=3&q=\(vector)")
        #expect(Self.texts(ofClass: "id", in: dom) == want.map(\.id), "\(dom.suffix(3000))")
        #expect(Self.texts(ofClass: "score", in: dom) == want.map { String(format: "%.4f", $0.score) })
        #expect(Self.texts(ofClass: "rank", in: dom) == ["1", "2", "3"])
        let contents = Self.texts(ofClass: "content", in: dom)
        #expect(contents.count == 3 && contents.allSatisfy { $0.contains("Manhattan") })
        #expect(dom.contains("3 hits in"), "\(dom.suffix(2000))")
        // The collection picker lists both collections, the chosen one selected, and its statistics.
        #expect(dom.contains(#"<option value="other">other (0)</option>"#) && dom.contains(#"<option value="toy">toy (20)</option>"#))
        #expect(dom.contains("<dt>documents</dt><dd>20</dd>") && dom.contains("<dt>kind</dt><dd>vectors</dd>"))
        // A text query on a vector collection shows the server's explanation.
        let refused = try Self.renderedDOM("http://127.0.0.1:\(server.port)/?collection=toy&q=atomic+bomb")
        #expect(refused.contains(#"class="error""#) && refused.contains("holds sparse vectors"), "\(refused.suffix(2000))")
        #expect(Self.texts(ofClass: "id", in: refused).isEmpty)
    }
}

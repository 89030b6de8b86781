import ArgumentParser
import Foundation
import Logging
import Sparrow
import SparrowServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve every collection under a directory over HTTP: a JSON API, a search page, metrics.",
        discussion: """
            Each subdirectory of --data that holds an index is a collection named after it; new ones
            are made with PUT /collections/{name}. The search page is at /, the API is described at
            /openapi.json, Prometheus metrics are at /metrics. SIGTERM or SIGINT lets requests in flight
            finish, commits every collection and exits.

            Examples:
              sparrow serve --data /tmp/sparrow-data
              curl -X PUT localhost:7700/collections/toy -d '{}'
              curl -X POST localhost:7700/collections/toy/documents --data-binary @Examples/toy/documents.jsonl
              curl -X POST localhost:7700/collections/toy/search -d '{"vector": {"manhattan": 1.5}, "k": 3}'
            """
    )

    @Option(name: .long, help: "The directory holding the collections (created when missing).")
    var data: String

    @Option(name: .long, help: "The address to listen on (loopback by default; 0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port (0 picks a free one; the log says which).")
    var port = 7700

    @Option(name: .long, help: "Require Authorization: Bearer KEY on every route but /health and the page (or set SPARROW_API_KEY).")
    var apiKey: String?

    @Option(name: .long, help: "The largest request body accepted, in MiB (413 beyond).")
    var maxBody = 64

    @Option(name: .long, help: "The largest k a search may ask for.")
    var maxK = 1000

    @Option(name: .long, help: "Seconds a request may wait for a write or an encoding before a 503.")
    var timeout = 30

    @Option(name: .long, help: "Seconds between commits of collections with changes.")
    var commitInterval = 5.0

    @Option(name: .long, help: "When the write-ahead log is forced to disk: always (an acknowledged batch survives a power failure), interval:MS, or none (a process crash still loses nothing).")
    var fsync: FsyncPolicy = .always

    @Option(name: .long, help: "Microseconds of write work (batch parsing, segment builds, merges) between two points where it gives the core to searches; 0 never gives it early.")
    var writeYield = 100

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard maxBody >= 1 else { throw ValidationError("--max-body must be at least 1 (MiB)") }
        guard maxK >= 1 else { throw ValidationError("--max-k must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 (second)") }
        guard commitInterval > 0 else { throw ValidationError("--commit-interval must be positive") }
        guard writeYield >= 0 else { throw ValidationError("--write-yield must be 0 or more (microseconds)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
    }

    func run() async throws {
        var logger = Logger(label: "sparrow")
        logger.logLevel = Logger.Level(rawValue: logLevel)!
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["SPARROW_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.maxBodyBytes = maxBody << 20
        configuration.maxK = maxK
        configuration.requestTimeout = .seconds(timeout)
        configuration.commitInterval = .milliseconds(Int(commitInterval * 1000))
        configuration.writeYield = writeYield > 0 ? .microseconds(writeYield) : nil
        let store = try reportingErrors { try CollectionStore(root: data, options: WriterOptions(fsync: fsync)) }
        logger.info("serving \(store.all.count) collection(s) from \(data)")
        let log = logger
        try await SparrowService.run(store: store, configuration: configuration, logger: logger) { port in
            log.info("listening on http://\(host):\(port)")
        }
    }
}

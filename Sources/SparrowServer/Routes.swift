import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOPosix
import Logging
import Sparrow

/// How a server behaves: where it listens, what it accepts.
public struct ServerConfiguration: Sendable {
    /// The address to bind; loopback unless asked otherwise.
    public var host = "127.0.0.1"
    public var port = 7700
    /// When set, every route but `/health` and the page's static files needs
    /// `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// The largest request body accepted (413 beyond).
    public var maxBodyBytes = 64 << 20
    /// The largest `k` a search may ask for.
    public var maxK = 1000
    /// The most queries one `search/batch` request may hold.
    public var maxBatchQueries = 1000
    /// How long a request may wait for a write, an encoding or a commit before it is answered
    /// with 503 (the work itself still completes).
    public var requestTimeout: Duration = .seconds(30)
    /// How often collections with changes are committed (the write-ahead log is then emptied).
    public var commitInterval: Duration = .seconds(5)
    /// How long an idle connection stays open.
    public var idleTimeout: Duration = .seconds(60)
    /// How much write work (batch parsing, segment builds, merges) runs between two points where
    /// it gives the core to searches (``YieldPacer``); nil: none. It applies to the whole process.
    public var writeYield: Duration? = .microseconds(100)

    public init() {}
}

/// The HTTP service over a ``CollectionStore``: the JSON API, the search page, `/metrics` and
/// `/openapi.json`.
///
/// ```swift
/// let store = try CollectionStore(root: "/tmp/sparrow-data")
/// let app = SparrowService.application(store: store, configuration: ServerConfiguration(), logger: Logger(label: "sparrow"))
/// try await app.runService()   // until SIGTERM or SIGINT
/// ```
public enum SparrowService {
    public typealias Context = BasicRequestContext

    /// The router with every route and middleware (what tests drive without a socket).
    public static func router(store: CollectionStore, configuration: ServerConfiguration) -> Router<Context> {
        _ = ServerMetrics.registry   // swift-metrics must be bootstrapped before the middleware makes its metrics
        let router = Router(context: Context.self)
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(AccessLogMiddleware())
        let routeTable = RouteTable()
        router.middlewares.add(JSONErrorMiddleware(routes: routeTable))
        if let key = configuration.apiKey { router.middlewares.add(BearerAuthMiddleware(key: key)) }
        let api = API(store: store, configuration: configuration)

        router.get("/") { _, _ in textResponse(SearchPage.html, contentType: "text/html; charset=utf-8") }
        router.get("/favicon.svg") { _, _ in textResponse(SearchPage.icon, contentType: "image/svg+xml") }
        router.get("/health") { _, _ in jsonResponse(.object(["status": .string("ok")])) }
        router.get("/ready") { _, _ in jsonResponse(.object(["status": .string("ready"), "collections": .int(store.all.count)])) }
        router.get("/metrics") { _, _ in
            textResponse(ServerMetrics.render(store: store), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in textResponse(OpenAPIDocument.json, contentType: "application/json") }

        router.get("/collections") { _, _ in jsonResponse(.object(["collections": .array(store.all.map(api.describe))])) }
        router.put("/collections/:name") { request, context in
            try await api.create(name: context.parameters.require("name"), body: api.body(request))
        }
        router.get("/collections/:name") { _, context in
            jsonResponse(api.describe(try store.collection(named: context.parameters.require("name"))))
        }
        router.delete("/collections/:name") { _, context in
            let name = try context.parameters.require("name")
            try store.remove(name: name)
            return jsonResponse(.object(["deleted": .string(name)]))
        }
        router.post("/collections/:name/documents") { request, context in
            let c = try store.collection(named: context.parameters.require("name"))
            return try await api.upsert(c, body: api.body(request))
        }
        router.post("/collections/:name/documents/delete") { request, context in
            let c = try store.collection(named: context.parameters.require("name"))
            return try await api.deleteBatch(c, body: api.body(request))
        }
        router.get("/collections/:name/documents/:id") { _, context in
            let c = try store.collection(named: context.parameters.require("name"))
            return try api.document(c, id: context.parameters.require("id"))
        }
        router.delete("/collections/:name/documents/:id") { _, context in
            let c = try store.collection(named: context.parameters.require("name"))
            return try await api.delete(c, id: context.parameters.require("id"))
        }
        router.post("/collections/:name/search") { request, context in
            try jsonResponse(api.searchRequest(collection: context.parameters.require("name"), body: await api.body(request)))
        }
        router.post("/collections/:name/search/batch") { request, context in
            let c = try store.collection(named: context.parameters.require("name"))
            return try await api.searchBatch(c, body: api.body(request))
        }
        routeTable.fill(router.routes.map { ($0.method.rawValue, $0.path.description) })
        return router
    }

    /// The `Server` header of every answer.
    static let serverName = "Sparrow"

    /// The application: the router on `configuration.host:port` (with ``SearchFastPath`` answering
    /// searches on the event loop), plus the service that commits collections every `commitInterval`.
    public static func application(store: CollectionStore, configuration: ServerConfiguration, logger: Logger,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let api = API(store: store, configuration: configuration)
        let server = HTTPServerBuilder { responder in
            SparrowHTTP1Channel(responder: responder, idleTimeout: configuration.idleTimeout,
                                makeFastPath: { SearchFastPath(api: api, logger: logger) })
        }
        return Application(
            router: router(store: store, configuration: configuration),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
            services: [PeriodicCommit(store: store, interval: configuration.commitInterval, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
    }

    /// The event loops that read requests and answer searches: one per core this process may run
    /// on. NIO's own default counts the machine's cores (or its cgroup quota) but not the CPU
    /// affinity, so under `taskset -c 1` two loops would take turns on one core, and a search
    /// preempted by the other loop's search waits a whole time slice.
    static let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: usableCores())

    /// The cores this process may run on: its CPU affinity (`Cpus_allowed` in /proc/self/status,
    /// a hexadecimal mask), within NIO's count (the cgroup quota).
    static func usableCores() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return System.coreCount }
        let allowed = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, c in count + (c.hexDigitValue?.nonzeroBitCount ?? 0) }
        return allowed > 0 ? min(allowed, System.coreCount) : System.coreCount
    }

    /// Serves until SIGTERM or SIGINT, then lets requests in flight finish, commits every
    /// collection and returns.
    public static func run(store: CollectionStore, configuration: ServerConfiguration, logger: Logger,
                           onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        for warning in store.warnings { logger.warning("\(warning)") }
        YieldPacer.setInterval(configuration.writeYield)
        let app = application(store: store, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
        try await app.runService()
        for problem in store.closeAll() { logger.error("\(problem)") }
        logger.info("committed \(store.all.count) collection(s); stopped")
    }
}

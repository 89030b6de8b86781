import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// Hummingbird's HTTP/1.1 channel with ``SearchFastPath`` in its pipeline: the same decoder,
/// encoder, connection-state handler (idle timeout, graceful shutdown) and async responder as
/// `HTTP1Channel`, plus the handler that answers searches on the event loop.
struct SparrowHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration
    let makeFastPath: @Sendable () -> SearchFastPath

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false,
                                                     withOutboundHeaderValidation: false)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            // After the state handler, so that it counts the searches answered here as requests
            // (idle timeout, closing after the last answer on shutdown).
            try pipeline.addHandler(makeFastPath())
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// Answers `POST /collections/{name}/search` on the connection's event loop, as soon as the
/// request's last byte is read, instead of handing it to a task of Swift's concurrency pool and
/// the answer back to the event loop (two thread hand-offs that cost more than the search itself
/// on small machines). It calls the same ``API/searchRequest(collection:body:)`` as the route,
/// records the same metrics and writes the same access-log line, so that clients, `/metrics`
/// and the log cannot tell which of the two answered.
///
/// Everything else goes to Hummingbird unchanged: other routes, requests with
/// `Connection: close` or `Expect`, requests that fail the API key check, bodies over 1 MiB, and
/// any search that fails: its buffered parts are handed on and the router answers with the
/// error it always gives. While Hummingbird has a request of the connection unanswered, searches
/// go to it too, so that answers stay in the order of the requests.
final class SearchFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The largest body buffered here; a larger one goes to the router (whose limit is --max-body).
    static let maxBufferedBody = 1 << 20

    private enum State {
        /// Between requests.
        case idle
        /// A search being read, to be answered here.
        case buffering(head: HTTPRequest, body: ByteBuffer, collection: String)
        /// A request being handed on to the router.
        case passing
    }

    private let api: API
    private let logger: Logger
    private var state = State.idle
    /// Requests handed to the router whose answer has not been written yet.
    private var unanswered = 0

    init(api: API, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (part, state) {
        case (.head(let head), _):
            if unanswered == 0, let name = searchedCollection(head) {
                state = .buffering(head: head, body: context.channel.allocator.buffer(capacity: 0), collection: name)
            } else {
                state = .passing
                unanswered += 1
                context.fireChannelRead(data)
            }
        case (.body(var chunk), .buffering(let head, var body, let name)):
            state = .idle   // so that `body` is the buffer's only reference while it grows
            if body.readableBytes + chunk.readableBytes > Self.maxBufferedBody {
                handOn(context: context, head: head, body: body)
                state = .passing
                context.fireChannelRead(data)
            } else {
                body.writeBuffer(&chunk)
                state = .buffering(head: head, body: body, collection: name)
            }
        case (.end, .buffering(let head, let body, let name)):
            state = .idle
            if !answer(context: context, head: head, body: body, collection: name) {
                handOn(context: context, head: head, body: body)
                context.fireChannelRead(data)
            }
        case (.end, _):
            state = .idle
            context.fireChannelRead(data)
        case (.body, _):
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered -= 1 }
        context.write(data, promise: promise)
    }

    /// The collection named by a search request this handler may answer, or nil.
    private func searchedCollection(_ head: HTTPRequest) -> String? {
        guard head.method == .post, head.headerFields[.connection] == nil || head.headerFields[.connection] == "keep-alive",
              head.headerFields[.expect] == nil, let path = head.path else { return nil }
        let parts = path.prefix { $0 != "?" }.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[1] == "collections", parts[3] == "search" else { return nil }
        if let key = api.configuration.apiKey, !BearerAuthMiddleware<SparrowService.Context>.authorizes(head.headerFields[.authorization], key: key) {
            return nil
        }
        return String(parts[2])
    }

    /// Hands a buffered request to the router: its head, and its body so far.
    private func handOn(context: ChannelHandlerContext, head: HTTPRequest, body: ByteBuffer) {
        unanswered += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
    }

    /// Answers the search; false (nothing written) when it fails, for the router to answer.
    private func answer(context: ChannelHandlerContext, head: HTTPRequest, body: ByteBuffer, collection: String) -> Bool {
        let start = ContinuousClock.now
        let metrics = ServerMetrics.searchRoute
        metrics.active.increment()
        defer { metrics.active.decrement() }
        guard let value = try? api.searchRequest(collection: collection, body: Array(buffer: body)) else { return false }
        let answerBody = jsonBody(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(answerBody.readableBytes)
        headers[.date] = HTTPDate.now()
        headers[.server] = SparrowService.serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(answerBody)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        metrics.requests.increment()
        ServerMetrics.eventLoopSearches.increment()
        metrics.duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        logAccess(logger, method: head.method, path: String((head.path ?? "").prefix { $0 != "?" }), status: .ok, since: start)
        return true
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), made once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var t = time(nil)
        return cache.withLock { cached in
            if cached.second != t {
                var parts = tm()
                gmtime_r(&t, &parts)
                let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
                let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
                cached = (t, "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
                             + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT")
            }
            return cached.text
        }
    }
}

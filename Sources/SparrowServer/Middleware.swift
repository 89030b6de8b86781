import Dispatch
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Sparrow

/// One log line per request at info level, once it is answered: method, path, status, time taken.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        logAccess(context.logger, method: request.method, path: request.uri.path, status: response.status, since: start)
        return response
    }
}

/// The access-log line of an answered request (``AccessLogMiddleware``, ``SearchFastPath``).
func logAccess(_ logger: Logger, method: HTTPRequest.Method, path: String, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
    if logger.logLevel <= .info {
        logger.info("\(method) \(path) \(status.code) \(microseconds(since: start)) µs")
    }
}

/// Turns every error into a JSON answer `{"error": {"code", "message", "field"}}`: the API's own
/// errors as they are, the router's (404, 405, 413) with their status, Sparrow's input and index
/// errors as 400, anything else as 500 (logged; never a crash).
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes, to tell a path served with other methods (405) from an unknown path (404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return jsonResponse(error.body, status: error.status)
        } catch {
            var api = Self.translate(error, request: request)
            if api.status == .notFound, case let allowed = routes.methods(for: request.uri.path), !allowed.isEmpty {
                api = APIError(.methodNotAllowed, "method_not_allowed",
                               "\(request.method) is not allowed on \(request.uri.path); use " + allowed.joined(separator: ", "))
                var response = jsonResponse(api.body, status: api.status)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            if api.status == .internalServerError {
                context.logger.error("internal error: \(String(reflecting: error))")
            }
            return jsonResponse(api.body, status: api.status)
        }
    }

    static func translate(_ error: any Error, request: Request) -> APIError {
        switch error {
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the server accepts (--max-body)")
        case let e as FieldError:
            return APIError(e)
        case let e as InputError:
            return APIError(.badRequest, "invalid_request", e.problem, field: e.field)
        case let e as IndexError where e.code == .invalidArgument:
            return APIError(.badRequest, "invalid_request", e.detail)
        case let e as IndexError where e.code == .locked:
            return APIError(.conflict, "conflict", e.description)
        case let e as HTTPError:
            switch e.status {
            case .notFound: return APIError(.notFound, "not_found", "no route \(request.method) \(request.uri.path)")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: return APIError(.contentTooLarge, "payload_too_large", "the request body is too large")
            case .badRequest: return APIError(.badRequest, "invalid_request", e.body ?? "bad request")
            default: return APIError(e.status, "http_\(e.status.code)", e.body ?? e.status.reasonPhrase)
            }
        case let e as any HTTPResponseError:
            return APIError(e.status, "http_\(e.status.code)", "\(e)")
        default:
            return APIError(.internalServerError, "internal", "internal error: \(error)")
        }
    }
}

/// The router's (method, path) pairs, filled in once the routes are registered.
final class RouteTable: @unchecked Sendable {
    private(set) var routes: [(method: String, segments: [Substring])] = []

    func fill(_ list: [(method: String, path: String)]) {
        routes = list.map { ($0.method, $0.path.split(separator: "/")) }
    }

    /// The methods served on `path` by the route the router would pick: parameters match any one
    /// segment, and a literal segment wins over a parameter (`…/documents/delete` is not
    /// `…/documents/{id}`).
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        func isParameter(_ s: Substring) -> Bool { s.hasPrefix(":") || s.hasPrefix("{") }
        let matching = routes.filter { route in
            route.segments.count == parts.count && zip(route.segments, parts).allSatisfy { isParameter($0) || $0 == $1 }
        }
        // The most specific pattern: literal segments where the others have parameters, earliest first.
        guard let best = matching.map(\.segments).max(by: { a, b in
            zip(a, b).first { isParameter($0) != isParameter($1) }.map { isParameter($0.0) } ?? false
        }) else { return [] }
        return matching.filter { $0.segments == best }.map(\.method).sorted()
    }
}

/// Requires `Authorization: Bearer <key>` on every route except `/health` and the page's static
/// files (the page asks for the key and sends it with its API calls).
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String
    static var open: Set<String> { ["/health", "/", "/favicon.svg"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        guard Self.authorizes(request.headers[.authorization], key: key) else {
            throw APIError(.unauthorized, "unauthorized", "this server needs an API key: send Authorization: Bearer <key>")
        }
        return try await next(request, context)
    }

    /// Whether an `Authorization` header value carries `key`.
    static func authorizes(_ header: String?, key: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(key.utf8))
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of the key.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) {
        diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return diff == 0
}

/// Commits collections every `interval`, so the write-ahead logs stay short and restarts fast.
struct PeriodicCommit: Service {
    let store: CollectionStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                // Commits write files and fsync: off the cooperative threads.
                let problems = await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: store.commitAll()) }
                }
                for problem in problems { logger.error("\(problem)") }
            }
        }
    }
}

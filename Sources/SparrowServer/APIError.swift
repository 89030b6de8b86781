import Hummingbird
import Sparrow

/// An error the API answers with: an HTTP status and a JSON body
/// `{"error": {"code", "message", "field"}}`, where `field` is the JSON path of the member at
/// fault (`documents[17].vector.foo`) when there is one.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable machine-readable code: `invalid_json`, `invalid_request`, `not_found`, `conflict`,
    /// `unauthorized`, `payload_too_large`, `timeout`, `internal`.
    public var code: String
    public var message: String
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// 400 `invalid_request` about the member at `field`.
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_request", message, field: field.isEmpty ? nil : field)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    /// 400 about a refused JSON member: `invalid_json` for a body that does not parse,
    /// `invalid_request` for a bad member, naming where.
    init(_ error: FieldError) {
        self.init(.badRequest, error.isMalformed ? "invalid_json" : "invalid_request", error.message, field: error.field)
    }

    public var description: String { "\(status.code) \(code): \(message)" + (field.map { " (field \($0))" } ?? "") }

    var body: JSONValue {
        var error = JSONObject(keys: ["code", "message"], values: [.string(code), .string(message)])
        if let field { error.append("field", .string(field)) }
        return .object(["error": .object(error)])
    }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse(body, status: status)
    }
}

/// A response with a JSON body.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: jsonBody(value)))
}

/// A JSON answer's body: the value and a newline.
func jsonBody(_ value: JSONValue) -> ByteBuffer {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(1024)
    value.write(to: &bytes)
    bytes.append(UInt8(ascii: "\n"))
    return ByteBuffer(bytes: bytes)
}

/// A response with `text` as its body.
func textResponse(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
}

import Sparrow

extension VectorRecord {
    /// The record as one JSONL line (tokens escaped as JSON strings, weights in Swift's shortest
    /// round-trip form, which JSON reads back exactly).
    public var jsonLine: String {
        var s = "{\"id\": \(jsonString(id)), \"vector\": {"
        s += zip(tokens, weights).map { "\(jsonString($0)): \($1)" }.joined(separator: ", ")
        s += "}"
        if let text { s += ", \"content\": \(jsonString(text))" }
        return s + "}"
    }
}

/// Serialises records as JSONL lines (for tests that go through files).
public func jsonLines(_ records: [VectorRecord]) -> String {
    records.map(\.jsonLine).joined(separator: "\n") + "\n"
}

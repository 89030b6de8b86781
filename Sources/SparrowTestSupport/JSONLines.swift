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

/// A JSON string literal for `s`.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// One document or query given as text.
///
/// Accepted files (plain or gzip):
/// - JSONL, one object per line: BEIR corpus `{"_id", "title", "text"}`, BEIR queries
///   `{"_id", "text"}`, or plain `{"id", "text"}`. The id may be a string or an integer; `contents`
///   or `content` may stand for `text`; other keys (`metadata`, …) are ignored.
/// - TSV (a file named `*.tsv` or `*.tsv.gz`), TREC topic style: `qid<TAB>text` per line.
public struct TextRecord: Sendable, Equatable {
    /// The external id, as written (an integer id keeps its digits).
    public var id: String
    /// The title, when the line had a non-empty one.
    public var title: String?
    /// The `text` (or `contents`, `content`) field, or the TSV line after the tab.
    public var body: String

    /// A record; ``text`` is then the title and body joined by a space.
    public init(id: String, title: String? = nil, body: String) {
        self.id = id
        self.title = title
        self.body = body
    }

    /// BEIR "flat" text: the title and the body joined by one space (the body alone without a title).
    public var text: String {
        guard let title, !title.isEmpty else { return body }
        return title + " " + body
    }
}

/// Reads ``TextRecord`` files, reporting each problem with the file, line and field.
public enum TextRecordReader {
    /// True when `path` is read as `id<TAB>text` lines rather than JSONL.
    public static func isTSV(_ path: String) -> Bool {
        path.hasSuffix(".tsv") || path.hasSuffix(".tsv.gz")
    }

    /// Calls `body` with each record of `path` and its line number, in order. Blank lines are
    /// skipped; the first bad line stops the read with an ``InputError``.
    public static func forEach(
        path: String, progress: ((Double) -> Void)? = nil, _ body: (TextRecord, Int) throws -> Void
    ) throws {
        let tsv = isTSV(path)
        try LineReader(path: path).forEachLine(progress: progress) { line, number in
            let record = tsv ? try parseTSV(line, path: path, lineNumber: number)
                             : try parseJSON(line, path: path, lineNumber: number)
            if let record { try body(record, number) }
        }
    }

    /// All records of a (small) file, such as a query file, with their line numbers.
    public static func readAll(path: String) throws -> [(record: TextRecord, line: Int)] {
        var out: [(record: TextRecord, line: Int)] = []
        try forEach(path: path) { out.append(($0, $1)) }
        return out
    }

    /// Parses one `id<TAB>text` line; nil for a blank line.
    public static func parseTSV(_ line: UnsafeBufferPointer<UInt8>, path: String, lineNumber: Int) throws(InputError) -> TextRecord? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        guard let tab = line.firstIndex(of: 0x09) else {
            throw InputError(path: path, line: lineNumber, field: "id", problem: "no tab: a TSV line is id<TAB>text")
        }
        let id = String(decoding: UnsafeBufferPointer(rebasing: line[..<tab]), as: UTF8.self)
        guard !id.isEmpty, !id.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw InputError(path: path, line: lineNumber, field: "id",
                             problem: "is empty or holds whitespace or a control character")
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[(tab + 1)...]), as: UTF8.self)
        return TextRecord(id: id, body: text)
    }

    /// Parses one JSON line; nil for a blank line.
    public static func parseJSON(_ line: UnsafeBufferPointer<UInt8>, path: String, lineNumber: Int) throws(InputError) -> TextRecord? {
        var id: String?
        var title: String?
        var text: String?
        var field: String?
        func fail(_ problem: String) -> InputError {
            InputError(path: path, line: lineNumber, field: field, problem: problem)
        }
        let present = try JSONScanner.readObjectLine(line, fail: fail) { s, key in
            field = key
            switch key {
            case "_id", "id":
                if id != nil { throw fail("a second id (a line has one of \"_id\" or \"id\")") }
                id = try parseID(&s, fail)
            case "title":
                title = try s.parseOptionalString(fail)
            case "text", "contents", "content":
                let value = try s.parseOptionalString(fail)
                if text == nil { text = value }
            default:
                try s.skipValue()
            }
            field = nil
        }
        if !present { return nil }
        guard let id else { field = "_id"; throw fail("missing (every line needs an \"_id\" or \"id\")") }
        guard let text else {
            field = "text"
            throw fail("missing (every line needs a \"text\")")
        }
        return TextRecord(id: id, title: title.flatMap { $0.isEmpty ? nil : $0 }, body: text)
    }
}

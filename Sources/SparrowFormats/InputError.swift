/// A problem with an input file, naming the file, the line and (when known) the field.
///
/// `description` reads like a compiler diagnostic, `docs.jsonl:17: field "vector.foo": weight is
/// negative (-0.5)`, so a user can jump to the line.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file being read.
    public var path: String
    /// The 1-based line number, or 0 when the problem is with the file as a whole.
    public var line: Int
    /// The JSON field at fault (`id`, `vector`, `vector.TOKEN`), if any.
    public var field: String?
    /// What is wrong, as a sentence fragment.
    public var problem: String

    /// An error at `line` (1-based; 0 for the file as a whole) of `path`.
    public init(path: String, line: Int, field: String? = nil, problem: String) {
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
    }

    public var description: String {
        var s = path
        if line > 0 { s += ":\(line)" }
        s += ": "
        if let field { s += "field \"\(field)\": " }
        return s + problem
    }
}

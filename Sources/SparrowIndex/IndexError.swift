/// Why an index could not be built, opened or read.
///
/// A corrupt or foreign file is always one of these, never a crash: readers check every length
/// and offset against the file before using it.
public struct IndexError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The path does not exist or holds no `meta.json`.
        case notFound
        /// The path holds something that is not a Sparrow index.
        case notAnIndex
        /// A file's bytes are inconsistent: bad checksum, bad length, broken invariant.
        case corrupt
        /// The index was written in a format this build cannot read.
        case unsupportedVersion
        /// The operating system refused a read or write.
        case io
        /// The caller asked for something the index cannot do (e.g. an unknown document number).
        case invalidArgument
        /// Another writer holds the index directory.
        case locked
    }

    public var code: Code
    /// The file or directory concerned.
    public var path: String
    public var detail: String

    public init(_ code: Code, path: String, _ detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public static func corrupt(path: String, _ detail: String) -> IndexError {
        IndexError(.corrupt, path: path, detail)
    }

    public var description: String {
        switch code {
        case .corrupt: return "\(path): index file is corrupt: \(detail)"
        default: return path.isEmpty ? detail : "\(path): \(detail)"
        }
    }
}

/// An internal document number: the position of a document in the order it was indexed.
///
/// Internal numbers are dense (`0 ..< documentCount`) and break score ties: of two documents with
/// equal scores, the one with the lower number ranks first. ``terminated`` marks an exhausted
/// cursor, so hot loops compare integers instead of unwrapping optionals.
@frozen
public struct DocID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable @inline(__always)
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable @inline(__always)
    public init(_ value: UInt32) { self.rawValue = value }

    /// The number past every real document; a cursor whose `doc` is this is exhausted.
    public static let terminated = DocID(UInt32.max)

    /// The largest number a real document may have.
    public static let maxValid = UInt32.max - 1

    @inlinable @inline(__always)
    public static func < (lhs: DocID, rhs: DocID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { self == .terminated ? "terminated" : String(rawValue) }
}

/// A dense term number: the position of a token in an index's sorted vocabulary.
public typealias TermID = UInt32

/// A document and its score, as returned by every query algorithm.
@frozen
public struct ScoredDoc: Hashable, Sendable {
    public var doc: DocID
    public var score: Float

    @inlinable
    public init(doc: DocID, score: Float) {
        self.doc = doc
        self.score = score
    }

    /// Result order: higher score first, then lower document number.
    @inlinable @inline(__always)
    public func ranksBefore(_ other: ScoredDoc) -> Bool {
        score > other.score || (score == other.score && doc < other.doc)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A string compared, hashed and ordered by its UTF-8 bytes.
///
/// Swift's `String` equality follows Unicode canonical equivalence, so `"é"` (one scalar) equals
/// `"e\u{301}"` (two). Tokens and document ids are identifiers, not prose: two different byte
/// sequences are two different tokens, as they are in the JSON the user wrote and in every other
/// engine. Use this wherever strings are keys.
public struct ExactString: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    @inlinable
    public init(_ string: String) { self.string = string }

    @inlinable
    public static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        let a = lhs.string.utf8
        let b = rhs.string.utf8
        guard a.count == b.count else { return false }
        // Native strings are contiguous: compare the buffers directly.
        if let equal = a.withContiguousStorageIfAvailable({ pa in
            b.withContiguousStorageIfAvailable { pb in
                pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0
            }
        }), let equal {
            return equal
        }
        return a.elementsEqual(b)
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Byte-wise lexicographic order (the order of an index's vocabulary).
    @inlinable
    public static func < (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public var description: String { string }
}

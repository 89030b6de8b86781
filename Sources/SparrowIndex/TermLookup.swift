import SparrowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash table from token bytes to term numbers over a segment's vocabulary.
///
/// Resolving a query costs one lookup per query token per segment; a binary search over the
/// sorted vocabulary compares about 15 strings for each, which made queries over several segments
/// measurably slower than over one. Each slot holds a term number and the upper half of its
/// key's hash (open addressing, linear probing, at most half full: 16 bytes per term), so a probe
/// compares bytes only when the hashes agree; keys are compared against the vocabulary's own bytes.
struct TermLookup: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<UInt64>
    private let mask: Int
    private let vocabulary: StringTable
    static let empty = UInt64.max

    init(_ vocabulary: StringTable, storage: HeapStorage) {
        self.vocabulary = vocabulary
        var size = 16
        while size < vocabulary.count * 2 { size <<= 1 }
        slots = storage.allocate(UInt64.self, count: size)
        slots.initialize(repeating: Self.empty)
        mask = size - 1
        for t in 0..<vocabulary.count {
            let h = Self.hash(vocabulary.bytes(at: t))
            var i = h & mask
            while slots[i] != Self.empty { i = (i + 1) & mask }
            slots[i] = Self.slot(term: t, hash: h)
        }
    }

    @inline(__always)
    static func slot(term: Int, hash: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: hash) & 0xffff_ffff_0000_0000 | UInt64(term)
    }

    /// FNV-1a over the bytes, finished with a multiply so low bits mix.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: ((h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9) >> 16)
    }

    /// The term number of `key`, whose ``hash(_:)`` is `hash`.
    func find(_ key: UnsafeBufferPointer<UInt8>, hash: Int) -> Int? {
        var i = hash & mask
        let tag = UInt64(truncatingIfNeeded: hash) & 0xffff_ffff_0000_0000
        while true {
            let s = slots[i]
            if s == Self.empty { return nil }
            if s & 0xffff_ffff_0000_0000 == tag {
                let t = Int(s & 0xffff_ffff)
                let candidate = vocabulary.bytes(at: t)
                if candidate.count == key.count
                    && (key.count == 0 || memcmp(candidate.baseAddress!, key.baseAddress!, key.count) == 0) {
                    return t
                }
            }
            i = (i + 1) & mask
        }
    }
}

/// A query token prepared for lookups in many segments: its bytes and their hash, computed once.
public struct TokenKey: Sendable {
    public let token: String
    let bytes: [UInt8]
    let hash: Int

    public init(_ token: String) {
        self.token = token
        bytes = Array(token.utf8)
        hash = bytes.withUnsafeBufferPointer { TermLookup.hash($0) }
    }
}

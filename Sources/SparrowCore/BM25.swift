/// Lucene's lossy one-byte encoding of small integers (`org.apache.lucene.util.SmallFloat`),
/// which Lucene uses to store a document's length. BM25 scores computed from the decoded length
/// are the ones Lucene (and so Anserini) produces.
///
/// Values below 24 are exact; larger ones keep 4 significant bits (a 3-bit mantissa with an
/// implicit leading 1) and round down.
///
/// ```swift
/// SmallFloat.intToByte4(100)                        // 57
/// SmallFloat.byte4ToInt(SmallFloat.intToByte4(100)) // 96
/// ```
public enum SmallFloat {
    /// Codes below this are the integers themselves.
    static let exactLimit: Int = 255 - int4(Int(Int32.max))

    /// The 4-significant-bit code of a non-negative integer: `(exponent + 1) << 3 | mantissa`
    /// for values of 8 or more, the value itself below 8.
    static func int4(_ value: Int) -> Int {
        precondition(value >= 0)
        let bits = Int.bitWidth - value.leadingZeroBitCount
        if bits < 4 { return value }
        let shift = bits - 4
        return ((value >> shift) & 0x07) | ((shift + 1) << 3)
    }

    /// The smallest integer whose ``int4(_:)`` code is `code`.
    static func int4Value(_ code: Int) -> Int {
        let mantissa = code & 0x07
        let shift = (code >> 3) - 1
        return shift == -1 ? mantissa : (mantissa | 0x08) << shift
    }

    /// Encodes a length (clamped to `0...Int32.max`) in one byte.
    public static func intToByte4(_ value: Int) -> UInt8 {
        let v = min(max(value, 0), Int(Int32.max))
        if v < exactLimit { return UInt8(v) }
        return UInt8(exactLimit + int4(v - exactLimit))
    }

    /// The length a byte stands for: the smallest length that encodes to it.
    public static func byte4ToInt(_ byte: UInt8) -> Int {
        let i = Int(byte)
        if i < exactLimit { return i }
        return exactLimit + int4Value(i - exactLimit)
    }
}

/// BM25 term weights exactly as Lucene's `BM25Similarity` computes them (Lucene 8+, which drops
/// the constant `k1 + 1` factor):
///
/// - `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`, with N the documents that have any term;
/// - `weight = idf − idf / (1 + tf · 1 / (k1 · (1 − b + b · dl / avgdl)))`, which is
///   `idf · tf / (tf + k1 · (1 − b + b · dl / avgdl))` rounded as Lucene rounds it;
/// - `dl` is the document's length after a round trip through ``SmallFloat`` and `avgdl` is the
///   total number of terms over N.
///
/// A query term repeated c times contributes c times its weight (Anserini boosts by the count).
public struct BM25: Sendable, Equatable, Codable {
    /// Term-frequency saturation (Lucene's and Anserini's k1).
    public var k1: Float
    /// Document-length normalisation, 0 (none) to 1 (full).
    public var b: Float

    /// Anserini's defaults, k1 = 0.9 and b = 0.4.
    public init(k1: Float = 0.9, b: Float = 0.4) {
        self.k1 = k1
        self.b = b
    }

    /// Why these parameters cannot be used, or nil.
    public var problem: String? {
        if !(k1.isFinite && k1 >= 0) { return "k1 must be a finite number ≥ 0, not \(k1)" }
        if !(b.isFinite && b >= 0 && b <= 1) { return "b must be between 0 and 1, not \(b)" }
        return nil
    }

    /// Lucene's idf for a term in `documentFrequency` of `documentCount` documents.
    public static func idf(documentFrequency: Int, documentCount: Int) -> Float {
        Float(log1pDouble(Double(documentCount - documentFrequency) + 0.5, over: Double(documentFrequency) + 0.5))
    }

    /// The per-length factors `1 / (k1 · (1 − b + b · length / avgdl))` for each of the 256 length
    /// codes, as Lucene's scorer caches them.
    public func inverseNorms(averageLength: Float) -> [Float] {
        (0..<256).map { code in
            let length = Float(SmallFloat.byte4ToInt(UInt8(code)))
            return 1 / (k1 * ((1 - b) + b * length / averageLength))
        }
    }

    /// The weight of a term occurring `frequency` times in a document whose length code has
    /// inverse norm `inverseNorm` (from ``inverseNorms(averageLength:)``).
    @inlinable @inline(__always)
    public static func weight(idf: Float, frequency: Int, inverseNorm: Float) -> Float {
        idf - idf / (1 + Float(frequency) * inverseNorm)
    }
}

/// `ln(1 + a / b)` in double precision, as Java's `Math.log(1 + a / b)`.
private func log1pDouble(_ a: Double, over b: Double) -> Double {
    naturalLog(1 + a / b)
}

#if canImport(Glibc)
import Glibc
private func naturalLog(_ x: Double) -> Double { Glibc.log(x) }
#elseif canImport(Darwin)
import Darwin
private func naturalLog(_ x: Double) -> Double { Darwin.log(x) }
#endif

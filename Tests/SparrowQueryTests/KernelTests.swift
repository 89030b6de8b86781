import CKernels
import SparrowCore
import Testing

/// The clustered search's C kernels against plain Swift loops, on each of their paths (AVX2 and
/// AVX-512 where the machine has them, and the portable C).
struct KernelTests {
    /// Random entries over a 300-term query in which about half the terms are zero.
    struct Case {
        var dense: [Float]
        var terms: [UInt32]
        var weights: [Float]
        var levels: [UInt8]

        init(length: Int, generator: inout SeededRandom) {
            dense = (0..<300).map { _ in generator.next() % 2 == 0 ? 0 : Float(generator.next() % 10_000) / 997 }
            terms = (0..<length).map { _ in UInt32(generator.next() % 300) }.sorted()
            weights = (0..<length).map { _ in Float(generator.next() % 10_000) / 1_231 }
            levels = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }

    @Test("a forward score is the in-order float sum of every product, bit for bit", arguments: [false, true])
    func forwardScore(portable: Bool) {
        sparrow_kernels_force_portable(portable ? 1 : 0)
        defer { sparrow_kernels_force_portable(0) }
        var generator = SeededRandom(seed: 7)
        for length in Array(0...40) + [150, 333] {
            for _ in 0..<20 {
                let c = Case(length: length, generator: &generator)
                // The reference adds the zero products too, one after another.
                var want: Float = 0
                for i in 0..<length { want += c.dense[Int(c.terms[i])] * c.weights[i] }
                let terms16 = c.terms.map { UInt16($0) }
                let got16 = sparrow_forward_score16(terms16, c.weights, length, c.dense)
                let got32 = sparrow_forward_score32(c.terms, c.weights, length, c.dense)
                #expect(got16.bitPattern == want.bitPattern, "length \(length): \(got16) != \(want)")
                #expect(got32.bitPattern == want.bitPattern, "length \(length): \(got32) != \(want)")
            }
        }
    }

    @Test("a summary's dot product, and a compact record's score, are the sums of their products, to float rounding",
          arguments: [0, 1, 2])
    func summaryDot(limit: Int32) {
        // Each path the machine has: portable C, AVX2, AVX-512.
        sparrow_kernels_limit(limit)
        defer { sparrow_kernels_limit(2) }
        var generator = SeededRandom(seed: 11)
        for length in Array(0...40) + [150, 333] {
            for _ in 0..<20 {
                let c = Case(length: length, generator: &generator)
                var want = 0.0
                for i in 0..<length { want += Double(c.dense[Int(c.terms[i])]) * Double(c.levels[i]) }
                let got16 = sparrow_summary_dot16(c.terms.map { UInt16($0) }, c.levels, length, c.dense)
                let got32 = sparrow_summary_dot32(c.terms, c.levels, length, c.dense)
                // The same entries as compact forward-index records (count, scale, terms, levels).
                func record<T: FixedWidthInteger>(_ terms: [T]) -> [UInt8] {
                    var bytes: [UInt8] = []
                    withUnsafeBytes(of: UInt32(length).littleEndian) { bytes += $0 }
                    withUnsafeBytes(of: Float(0.5)) { bytes += $0 }
                    for t in terms { withUnsafeBytes(of: t.littleEndian) { bytes += $0 } }
                    return bytes + c.levels + [0, 0, 0, 0]
                }
                let compact16 = sparrow_compact_score16(record(c.terms.map { UInt16($0) }), c.dense)
                let compact32 = sparrow_compact_score32(record(c.terms), c.dense)
                for got in [got16, got32, compact16 * 2, compact32 * 2] {
                    #expect(abs(Double(got) - want) <= 1e-5 * max(1, want), "length \(length): \(got) != \(want)")
                }
            }
        }
    }
}

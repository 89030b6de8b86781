import SparrowCore

/// Block maxima of every posting list, kept apart from the postings themselves.
///
/// Each list is cut into blocks of ``blockSize`` consecutive postings (the last one may be
/// shorter). For block `b` of term `t`, at `i = offsets[t] + b`, ``lastDocs``[i] is the block's
/// last document and ``maxWeights``[i] its largest weight. Block-max algorithms read these to skip
/// whole blocks whose best score cannot enter the top k.
public struct BlockMaxTable: @unchecked Sendable {
    /// Postings per block.
    public let blockSize: Int
    /// `offsets[t] ..< offsets[t + 1]` are the blocks of term `t`; `terms + 1` entries.
    public let offsets: UnsafeBufferPointer<UInt64>
    public let lastDocs: UnsafeBufferPointer<UInt32>
    public let maxWeights: UnsafeBufferPointer<Float>

    /// The default block size, chosen by measurement (BENCHMARKS.md): 64 postings.
    public static let defaultBlockSize = 64

    /// The number of blocks of a list of `postings` postings.
    @inlinable
    public static func blockCount(postings: Int, blockSize: Int) -> Int {
        (postings + blockSize - 1) / blockSize
    }

    /// Computes the table for `postings` with `blockSize`-posting blocks.
    static func build(_ postings: PostingLists, blockSize: Int, storage: HeapStorage) -> BlockMaxTable {
        precondition(blockSize >= 1)
        let terms = postings.termCount
        let offsets = storage.allocate(UInt64.self, count: terms + 1)
        offsets[0] = 0
        for t in 0..<terms {
            let n = postings.range(of: TermID(t)).count
            offsets[t + 1] = offsets[t] + UInt64(blockCount(postings: n, blockSize: blockSize))
        }
        let total = Int(offsets[terms])
        let lastDocs = storage.allocate(UInt32.self, count: total)
        let maxWeights = storage.allocate(Float.self, count: total)
        for t in 0..<terms {
            var b = Int(offsets[t])
            let r = postings.range(of: TermID(t))
            forEachBlock(docs: UnsafeBufferPointer(rebasing: postings.docs[r]),
                         weights: UnsafeBufferPointer(rebasing: postings.weights[r]), blockSize: blockSize) { last, m in
                lastDocs[b] = last
                maxWeights[b] = m
                b += 1
            }
        }
        return BlockMaxTable(blockSize: blockSize, offsets: UnsafeBufferPointer(offsets),
                             lastDocs: UnsafeBufferPointer(lastDocs), maxWeights: UnsafeBufferPointer(maxWeights))
    }

    /// Calls `body` with the last document and the largest weight of each block of one list.
    @inline(__always)
    static func forEachBlock(docs: UnsafeBufferPointer<UInt32>, weights: UnsafeBufferPointer<Float>, blockSize: Int,
                             _ body: (UInt32, Float) throws -> Void) rethrows {
        var start = 0
        while start < docs.count {
            let end = min(start + blockSize, docs.count)
            var m: Float = 0
            for i in start..<end where weights[i] > m { m = weights[i] }
            try body(docs[end - 1], m)
            start = end
        }
    }

    /// The blocks of `term` as a range into ``lastDocs`` and ``maxWeights``.
    @inlinable @inline(__always)
    public func range(of term: TermID) -> Range<Int> {
        Int(offsets[Int(term)])..<Int(offsets[Int(term) + 1])
    }
}

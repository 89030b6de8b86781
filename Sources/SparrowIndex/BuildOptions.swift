/// Build-time choices for an index. Query-time knobs are parameters of `search`, not options here.
public struct BuildOptions: Sendable, Equatable {
    /// How documents are numbered.
    public enum Reorder: String, Sendable, CaseIterable {
        /// In input order.
        case none
        /// Documents with the same heaviest terms made adjacent (see ``DocumentOrder/cluster``),
        /// which tightens block and range maxima. External ids are unchanged.
        case cluster
    }

    /// Postings per block of the block-max table.
    public var blockSize: Int
    /// Documents per BMP range; 0 (the default) builds no range index, and the `bmp` and
    /// `range-taat` algorithms are then unavailable. The default query algorithm does not need
    /// one, and it would add about 60% to the index size and the build's memory.
    public var rangeSize: Int
    public var reorder: Reorder
    /// The clustered layout for approximate search (``ClusteredIndex``); nil (the default) builds
    /// none, and the `clustered` algorithm then searches exactly.
    public var clustered: ClusterSettings?

    public init(blockSize: Int = BlockMaxTable.defaultBlockSize, rangeSize: Int = 0,
                reorder: Reorder = .none, clustered: ClusterSettings? = nil) {
        self.blockSize = blockSize
        self.rangeSize = rangeSize
        self.reorder = reorder
        self.clustered = clustered
    }

    /// A sentence naming the first invalid setting, or nil when all are valid.
    public var problem: String? {
        if !(1...65536).contains(blockSize) { return "block size must be between 1 and 65536, not \(blockSize)" }
        if rangeSize != 0 && !RangeIndex.allowedRangeSizes.contains(rangeSize) {
            return "range size must be 0 (no range index) or between 1 and 256, not \(rangeSize)"
        }
        return clustered?.problem
    }
}

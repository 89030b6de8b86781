import SparrowCore

/// How the clustered layout of a collection is built (recorded in `meta.json` as `clustered`).
///
/// The layout follows Seismic (Bruch, Nardini, Rulli, Venturini, SIGIR 2024): each term keeps its
/// heaviest postings, grouped into blocks of similar documents, and each block has a summary
/// vector that bounds its documents' scores; a forward index scores the documents of the blocks
/// a query does not skip. See ``ClusteredIndex``.
public struct ClusterSettings: Codable, Sendable, Equatable {
    /// Postings kept per term, heaviest first (static pruning); 0 keeps every posting, and nil
    /// picks ``automaticPostings(documents:)`` for each segment.
    public var postingsPerTerm: Int?
    /// The share of each list's weight mass kept (heaviest postings first, within
    /// ``postingsPerTerm``); 1 keeps them all.
    public var postingMass: Double
    /// Blocks per kept list, as a fraction of its length (Seismic's `centroid_fraction`; at least
    /// one block per list).
    public var blockFraction: Double
    /// The share of each block summary's weight mass kept, heaviest entries first (Seismic's
    /// `summary_energy`); 1 keeps the exact per-term maxima, which bound every score in the block.
    public var summaryMass: Double
    /// How many of a document's heaviest terms decide which block it joins.
    public var assignmentTerms: Int
    /// Seeds the choice of each list's block centroids: the same seed builds the same files.
    public var seed: UInt64
    /// Segments with fewer documents get no clustered layout and are searched exactly.
    public var minDocuments: Int

    public init(postingsPerTerm: Int? = nil, postingMass: Double = 1, blockFraction: Double = 0.1,
                summaryMass: Double = 0.4, assignmentTerms: Int = 15, seed: UInt64 = 42,
                minDocuments: Int = 10_000) {
        self.postingsPerTerm = postingsPerTerm
        self.postingMass = postingMass
        self.blockFraction = blockFraction
        self.summaryMass = summaryMass
        self.assignmentTerms = assignmentTerms
        self.seed = seed
        self.minDocuments = minDocuments
    }

    /// Settings under which the clustered search returns exactly what exhaustive search returns
    /// (with ``Approximation/exact`` query knobs): every posting kept, exact summaries, every
    /// segment clustered. For tests and for measuring what the approximations cost.
    public static func lossless(seed: UInt64 = 42) -> ClusterSettings {
        ClusterSettings(postingsPerTerm: 0, postingMass: 1, summaryMass: 1, seed: seed, minDocuments: 0)
    }

    /// The postings kept per term when ``postingsPerTerm`` is nil: 2 000 plus 0.05 % of the
    /// segment's documents (OpenSearch's 0.0005 × documents, with a floor so that small segments
    /// keep enough of each list).
    public static func automaticPostings(documents: Int) -> Int {
        2_000 + documents / 2_000
    }

    /// The postings kept per term in a segment of `documents` documents (0: all).
    public func postingsKept(documents: Int) -> Int {
        postingsPerTerm ?? Self.automaticPostings(documents: documents)
    }

    /// Whether a segment of `documents` documents gets the layout.
    public func applies(toDocuments documents: Int) -> Bool { documents >= minDocuments }

    /// A sentence naming the first invalid setting, or nil when all are valid.
    public var problem: String? {
        if let n = postingsPerTerm, n < 0 { return "postings per term must be 0 (all) or more, not \(n)" }
        if !(postingMass > 0 && postingMass <= 1) { return "posting mass must be in (0, 1], not \(postingMass)" }
        if !(blockFraction > 0 && blockFraction <= 1) { return "block fraction must be in (0, 1], not \(blockFraction)" }
        if !(summaryMass > 0 && summaryMass <= 1) { return "summary mass must be in (0, 1], not \(summaryMass)" }
        if !(1...256).contains(assignmentTerms) { return "assignment terms must be between 1 and 256, not \(assignmentTerms)" }
        if minDocuments < 0 { return "the minimum segment size cannot be negative" }
        return nil
    }
}

/// A segment's clustered layout: a forward index and, per term, blocks of documents with summaries.
///
/// - Forward index: `documentOffsets[d] ..< documentOffsets[d + 1]` index the terms (increasing)
///   and weights of document `d`, the same float weights as its postings, so a document scored
///   through it gets the same score, bit for bit, as term-at-a-time scoring gives.
/// - Blocks: `termBlocks[t] ..< termBlocks[t + 1]` are the blocks of term `t`; block `b` holds the
///   documents `blockDocs[blockOffsets[b] ..< blockOffsets[b + 1]]` (increasing).
/// - Summaries: block `b`'s summary is `summaryTerms`/`summaryWeights[summaryOffsets[b] ..<
///   summaryOffsets[b + 1]]` (terms increasing); entry weight `q` stands for
///   `Float(q) × summaryScales[b]`, rounded up from the maximum weight of the term in the block, so
///   an unpruned summary's dot product with a query bounds every score in the block.
///
/// Term numbers take 16 bits when the segment has at most 65 536 terms (``wide`` is false), else
/// 32; both term arrays are raw bytes of that width.
public struct ClusteredIndex: @unchecked Sendable {
    public let wide: Bool
    public let documentOffsets: UnsafeBufferPointer<UInt64>
    public let documentTerms: UnsafeRawBufferPointer
    public let documentWeights: UnsafeBufferPointer<Float>
    public let termBlocks: UnsafeBufferPointer<UInt64>
    public let blockOffsets: UnsafeBufferPointer<UInt64>
    public let blockDocs: UnsafeBufferPointer<UInt32>
    public let summaryOffsets: UnsafeBufferPointer<UInt64>
    public let summaryTerms: UnsafeRawBufferPointer
    public let summaryWeights: UnsafeBufferPointer<UInt8>
    public let summaryScales: UnsafeBufferPointer<Float>

    /// The number of blocks over all terms.
    public var blockCount: Int { summaryScales.count }
    /// The postings kept in blocks (after static pruning).
    public var keptPostings: Int { blockDocs.count }
    /// The entries of all summaries.
    public var summaryEntries: Int { summaryWeights.count }

    /// Whether term numbers need 32 bits in a segment of `termCount` terms.
    static func isWide(termCount: Int) -> Bool { termCount > 1 << 16 }

    /// The clustered layout of `postings` over `documentCount` documents, built in memory.
    static func build(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings,
                      storage: HeapStorage) -> ClusteredIndex {
        let wide = isWide(termCount: postings.termCount)
        return wide ? Builder<UInt32>(postings, documentCount: documentCount, settings: settings, storage: storage).index
                    : Builder<UInt16>(postings, documentCount: documentCount, settings: settings, storage: storage).index
    }

    /// The forward index's terms as `T` (`UInt16` unless ``wide``).
    @inlinable @inline(__always)
    public func documentTerms<T: FixedWidthInteger>(as: T.Type) -> UnsafePointer<T> {
        documentTerms.baseAddress.map { $0.assumingMemoryBound(to: T.self) } ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
    }

    /// The summaries' terms as `T` (`UInt16` unless ``wide``).
    @inlinable @inline(__always)
    public func summaryTerms<T: FixedWidthInteger>(as: T.Type) -> UnsafePointer<T> {
        summaryTerms.baseAddress.map { $0.assumingMemoryBound(to: T.self) } ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
    }

    /// Builds the layout: the forward index first, then each term's blocks and summaries.
    private struct Builder<T: FixedWidthInteger & UnsignedInteger> {
        let index: ClusteredIndex

        init(_ postings: PostingLists, documentCount: Int, settings: ClusterSettings, storage: HeapStorage) {
            let termCount = postings.termCount
            let total = postings.docs.count
            // Forward index: a transposition of the posting lists (terms come out increasing).
            let offsets = storage.allocate(UInt64.self, count: documentCount + 1)
            offsets.initialize(repeating: 0)
            for d in postings.docs { offsets[Int(d) + 1] += 1 }
            for d in 0..<documentCount { offsets[d + 1] += offsets[d] }
            let terms = storage.allocate(T.self, count: total)
            let weights = storage.allocate(Float.self, count: total)
            var next = Array(offsets.prefix(documentCount))
            for t in 0..<termCount {
                for p in postings.range(of: TermID(t)) {
                    let d = Int(postings.docs[p])
                    let at = Int(next[d])
                    terms[at] = T(t)
                    weights[at] = postings.weights[p]
                    next[d] += 1
                }
            }
            next = []
            let forward = (offsets: UnsafeBufferPointer(offsets), terms: UnsafeBufferPointer(terms),
                           weights: UnsafeBufferPointer(weights))

            // Each document's heaviest terms, which decide its block (ties: the lower term).
            let m = settings.assignmentTerms
            var cutCount = [UInt8](repeating: 0, count: documentCount)
            var cutTerms = [UInt32](repeating: 0, count: documentCount * m)
            var cutWeights = [Float](repeating: 0, count: documentCount * m)
            for d in 0..<documentCount {
                var n = 0
                let base = d * m
                for e in Int(forward.offsets[d])..<Int(forward.offsets[d + 1]) {
                    let w = forward.weights[e]
                    guard n < m || w > cutWeights[base + n - 1] else { continue }
                    var i = min(n, m - 1)
                    while i > 0 && cutWeights[base + i - 1] < w {
                        cutWeights[base + i] = cutWeights[base + i - 1]
                        cutTerms[base + i] = cutTerms[base + i - 1]
                        i -= 1
                    }
                    cutWeights[base + i] = w
                    cutTerms[base + i] = UInt32(forward.terms[e])
                    n = min(n + 1, m)
                }
                cutCount[d] = UInt8(n)
            }

            var termBlocks: [UInt64] = [0]
            var blockOffsets: [UInt64] = [0]
            var blockDocs: [UInt32] = []
            var summaryOffsets: [UInt64] = [0]
            var summaryTerms: [T] = []
            var summaryWeights: [UInt8] = []
            var summaryScales: [Float] = []
            termBlocks.reserveCapacity(termCount + 1)

            // Working memory reused by every term.
            var runStart = [Int32](repeating: -1, count: termCount)
            var runEnd = [Int32](repeating: 0, count: termCount)
            var maxima = [Float](repeating: 0, count: termCount)
            var touched: [UInt32] = []
            var chosen: [(term: UInt32, level: UInt8)] = []
            var levelMass = [Double](repeating: 0, count: 256)
            var kept: [(doc: UInt32, weight: Float)] = []
            var entries: [(term: UInt32, centroid: Int32, weight: Float)] = []
            var scores: [Float] = []
            var assignment: [Int32] = []
            let keepCount = settings.postingsKept(documents: documentCount)

            for t in 0..<termCount {
                let list = postings.range(of: TermID(t))
                // 1. Static pruning: the heaviest postings (ties: the lower document), by document.
                kept.removeAll(keepingCapacity: true)
                if (keepCount == 0 || list.count <= keepCount) && settings.postingMass >= 1 {
                    for p in list { kept.append((postings.docs[p], postings.weights[p])) }
                } else {
                    var best = TopK(k: keepCount == 0 ? list.count : min(keepCount, list.count))
                    var mass: Double = 0
                    for p in list {
                        best.push(DocID(postings.docs[p]), postings.weights[p])
                        mass += Double(postings.weights[p])
                    }
                    var sum: Double = 0
                    for hit in best.sorted() {
                        if settings.postingMass < 1 && sum >= settings.postingMass * mass { break }
                        kept.append((hit.doc.rawValue, hit.score))
                        sum += Double(hit.score)
                    }
                    kept.sort { $0.doc < $1.doc }
                }
                guard !kept.isEmpty else {
                    termBlocks.append(termBlocks.last!)
                    continue
                }

                // 2. Blocks: random documents of the list are centroids; every document joins the
                // centroid with the largest dot product over their heaviest terms and this one.
                let centroidCount = max(1, min(kept.count, Int((settings.blockFraction * Double(kept.count)).rounded(.up))))
                assignment = [Int32](repeating: 0, count: kept.count)
                if centroidCount > 1 {
                    var random = SeededRandom(seed: settings.seed ^ (UInt64(t) &* 0x9E37_79B9_7F4A_7C15))
                    var positions = Array(0..<kept.count)
                    for i in 0..<centroidCount {
                        positions.swapAt(i, Int.random(in: i..<kept.count, using: &random))
                    }
                    let centroids = positions[0..<centroidCount].sorted()
                    entries.removeAll(keepingCapacity: true)
                    for (c, position) in centroids.enumerated() {
                        let d = Int(kept[position].doc)
                        for j in 0..<Int(cutCount[d]) where cutTerms[d * m + j] != UInt32(t) {
                            entries.append((cutTerms[d * m + j], Int32(c), cutWeights[d * m + j]))
                        }
                    }
                    entries.sort { ($0.term, $0.centroid) < ($1.term, $1.centroid) }
                    var e = 0
                    while e < entries.count {
                        let u = Int(entries[e].term)
                        runStart[u] = Int32(e)
                        while e < entries.count && Int(entries[e].term) == u { e += 1 }
                        runEnd[u] = Int32(e)
                    }
                    scores = [Float](repeating: 0, count: centroidCount)
                    for (i, posting) in kept.enumerated() {
                        for (c, position) in centroids.enumerated() { scores[c] = posting.weight * kept[position].weight }
                        let d = Int(posting.doc)
                        for j in 0..<Int(cutCount[d]) {
                            let u = Int(cutTerms[d * m + j])
                            guard u != t, runStart[u] >= 0 else { continue }
                            let w = cutWeights[d * m + j]
                            for r in Int(runStart[u])..<Int(runEnd[u]) { scores[Int(entries[r].centroid)] += w * entries[r].weight }
                        }
                        var best = 0
                        for c in 1..<centroidCount where scores[c] > scores[best] { best = c }
                        assignment[i] = Int32(best)
                    }
                    for entry in entries { runStart[Int(entry.term)] = -1 }
                }

                // 3. Each non-empty block, in centroid order, with its documents and its summary.
                var members = [[UInt32]](repeating: [], count: centroidCount)
                for (i, posting) in kept.enumerated() { members[Int(assignment[i])].append(posting.doc) }
                for block in members where !block.isEmpty {
                    blockDocs.append(contentsOf: block)
                    blockOffsets.append(UInt64(blockDocs.count))
                    touched.removeAll(keepingCapacity: true)
                    var mass: Double = 0
                    for d in block {
                        for e in Int(forward.offsets[Int(d)])..<Int(forward.offsets[Int(d) + 1]) {
                            let u = Int(forward.terms[e])
                            let w = forward.weights[e]
                            if w > maxima[u] {
                                if maxima[u] == 0 { touched.append(UInt32(u)) }
                                mass += Double(w - maxima[u])
                                maxima[u] = w
                            }
                        }
                    }
                    // Quantised upwards to 8 bits; then the heaviest levels are kept until they
                    // hold the kept share of the mass (a level is kept whole).
                    var top: Float = 0
                    for u in touched { top = max(top, maxima[Int(u)]) }
                    let scale = RangeIndex.scale(maxWeight: top)
                    var cutoff: UInt8 = 0
                    if settings.summaryMass < 1 {
                        for i in 0..<256 { levelMass[i] = 0 }
                        for u in touched { levelMass[Int(RangeIndex.quantise(maxima[Int(u)], scale: scale))] += Double(maxima[Int(u)]) }
                        var sum: Double = 0
                        var level = 255
                        while level > 0 {
                            sum += levelMass[level]
                            if sum >= settings.summaryMass * mass { break }
                            level -= 1
                        }
                        cutoff = UInt8(level)
                    }
                    chosen.removeAll(keepingCapacity: true)
                    for u in touched {
                        let q = RangeIndex.quantise(maxima[Int(u)], scale: scale)
                        if q >= cutoff { chosen.append((u, q)) }
                    }
                    chosen.sort { $0.term < $1.term }
                    for (u, q) in chosen {
                        summaryTerms.append(T(u))
                        summaryWeights.append(q)
                    }
                    summaryOffsets.append(UInt64(summaryTerms.count))
                    summaryScales.append(scale)
                    for u in touched { maxima[Int(u)] = 0 }
                }
                termBlocks.append(UInt64(blockOffsets.count - 1))
            }

            func stored<E>(_ array: [E]) -> UnsafeBufferPointer<E> {
                let out = storage.allocate(E.self, count: array.count)
                _ = out.initialize(from: array)
                return UnsafeBufferPointer(out)
            }
            index = ClusteredIndex(
                wide: T.self == UInt32.self, documentOffsets: forward.offsets,
                documentTerms: UnsafeRawBufferPointer(forward.terms), documentWeights: forward.weights,
                termBlocks: stored(termBlocks), blockOffsets: stored(blockOffsets), blockDocs: stored(blockDocs),
                summaryOffsets: stored(summaryOffsets), summaryTerms: UnsafeRawBufferPointer(stored(summaryTerms)),
                summaryWeights: stored(summaryWeights), summaryScales: stored(summaryScales))
        }
    }

    /// The sections the layout is stored as, in file order.
    var sections: [SectionSource] {
        let termTag = wide ? SegmentFiles.forwardTerms32 : SegmentFiles.forwardTerms16
        let summaryTag = wide ? SegmentFiles.summaryTerms32 : SegmentFiles.summaryTerms16
        return [SectionSource(SegmentFiles.forwardOffsets, documentOffsets),
                wide ? SectionSource(termTag, documentTerms.bindMemory(to: UInt32.self))
                     : SectionSource(termTag, documentTerms.bindMemory(to: UInt16.self)),
                SectionSource(SegmentFiles.forwardWeights, documentWeights),
                SectionSource(SegmentFiles.termBlocks, termBlocks),
                SectionSource(SegmentFiles.clusterBlockOffsets, blockOffsets),
                SectionSource(SegmentFiles.clusterBlockDocs, blockDocs),
                SectionSource(SegmentFiles.summaryOffsets, summaryOffsets),
                wide ? SectionSource(summaryTag, summaryTerms.bindMemory(to: UInt32.self))
                     : SectionSource(summaryTag, summaryTerms.bindMemory(to: UInt16.self)),
                SectionSource(SegmentFiles.summaryWeights, summaryWeights),
                SectionSource(SegmentFiles.summaryScales, summaryScales)]
    }

    /// Maps the layout from a clusters file and checks its structure (per term, block and
    /// document; per entry only when `checkEntries`, that is when no checksum vouches for them).
    static func open(_ file: MappedFile, postings: PostingLists, documents: Int, checkEntries: Bool) throws -> ClusteredIndex {
        let wide = isWide(termCount: postings.termCount)
        func raw(_ tag16: FourCC, _ tag32: FourCC) throws -> UnsafeRawBufferPointer {
            wide ? UnsafeRawBufferPointer(try file.section(tag32, as: UInt32.self))
                 : UnsafeRawBufferPointer(try file.section(tag16, as: UInt16.self))
        }
        let c = ClusteredIndex(
            wide: wide, documentOffsets: try file.section(SegmentFiles.forwardOffsets, as: UInt64.self),
            documentTerms: try raw(SegmentFiles.forwardTerms16, SegmentFiles.forwardTerms32),
            documentWeights: try file.section(SegmentFiles.forwardWeights, as: Float.self),
            termBlocks: try file.section(SegmentFiles.termBlocks, as: UInt64.self),
            blockOffsets: try file.section(SegmentFiles.clusterBlockOffsets, as: UInt64.self),
            blockDocs: try file.section(SegmentFiles.clusterBlockDocs, as: UInt32.self),
            summaryOffsets: try file.section(SegmentFiles.summaryOffsets, as: UInt64.self),
            summaryTerms: try raw(SegmentFiles.summaryTerms16, SegmentFiles.summaryTerms32),
            summaryWeights: try file.section(SegmentFiles.summaryWeights, as: UInt8.self),
            summaryScales: try file.section(SegmentFiles.summaryScales, as: Float.self))
        let width = wide ? 4 : 2
        let path = file.path
        try IndexDirectory.expect(c.documentOffsets.count == documents + 1, path, "forward index does not hold \(documents) documents")
        try IndexDirectory.checkOffsets(c.documentOffsets, total: postings.docs.count, path: path, what: "forward index")
        try IndexDirectory.expect(c.documentTerms.count == postings.docs.count * width && c.documentWeights.count == postings.docs.count,
                                  path, "forward index does not hold the segment's \(postings.docs.count) postings")
        try IndexDirectory.expect(c.termBlocks.count == postings.termCount + 1, path, "block table does not cover every term")
        let blocks = c.summaryScales.count
        try IndexDirectory.checkOffsets(c.termBlocks, total: blocks, path: path, what: "term block")
        try IndexDirectory.expect(c.blockOffsets.count == blocks + 1 && c.summaryOffsets.count == blocks + 1, path,
                                  "block tables do not hold \(blocks) blocks")
        try IndexDirectory.checkOffsets(c.blockOffsets, total: c.blockDocs.count, path: path, what: "block")
        try IndexDirectory.checkOffsets(c.summaryOffsets, total: c.summaryWeights.count, path: path, what: "summary")
        try IndexDirectory.expect(c.summaryTerms.count == c.summaryWeights.count * width, path, "summary tables differ in length")
        if checkEntries {
            // Every number a search follows must stay inside its buffer.
            let limit = postings.termCount
            func termsInRange<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type) -> Bool {
                raw.bindMemory(to: T.self).allSatisfy { Int($0) < limit }
            }
            let termsOK = wide ? termsInRange(c.documentTerms, UInt32.self) && termsInRange(c.summaryTerms, UInt32.self)
                               : termsInRange(c.documentTerms, UInt16.self) && termsInRange(c.summaryTerms, UInt16.self)
            try IndexDirectory.expect(termsOK, path, "a forward-index or summary entry names a term past the segment's \(limit)")
            try IndexDirectory.expect(c.blockDocs.allSatisfy { Int($0) < documents }, path,
                                      "a block names a document past the segment's \(documents)")
        }
        return c
    }
}

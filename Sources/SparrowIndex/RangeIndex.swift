import SparrowCore

/// The structures of block-max pruning (BMP): documents cut into ranges of ``rangeSize``
/// consecutive numbers, a per-term table of range maxima, and a range-level forward index.
///
/// - Range maxima, by term: `termOffsets[t] ..< termOffsets[t + 1]` index ``termRanges`` (the
///   ranges holding `t`, increasing) and ``termRangeMax`` (their quantised maximum weight). The
///   weight bound is `Float(termRangeMax[i]) * termScale[t]`, which is never below the true maximum
///   (see ``quantise(_:scale:)``). ``termRangeStarts``[i] is where the range's postings begin in
///   the term's posting list (counted from the list's start; they end where the next range's
///   begin, or the list ends), so a term-at-a-time pass can skip whole ranges.
/// - Forward index, by range: `rangeEntryOffsets[r] ..< rangeEntryOffsets[r + 1]` index
///   ``entryTerms`` (the range's terms, increasing) and ``entryStarts`` (where the entry's postings
///   start, counted from `rangePostingOffsets[r]`; they end where the next entry's start, or the
///   range's postings, end) in ``postingDocs`` (document number minus the range's first) and
///   ``postingWeights``. Query terms are looked up in a range by binary search over its terms.
///
/// A (term, range) pair is one entry on both sides, so both sides have the same entry count.
public struct RangeIndex: @unchecked Sendable {
    public let rangeSize: Int
    public let termOffsets: UnsafeBufferPointer<UInt64>
    public let termRanges: UnsafeBufferPointer<UInt32>
    public let termRangeMax: UnsafeBufferPointer<UInt8>
    public let termRangeStarts: UnsafeBufferPointer<UInt32>
    public let termScale: UnsafeBufferPointer<Float>
    public let rangeEntryOffsets: UnsafeBufferPointer<UInt64>
    public let rangePostingOffsets: UnsafeBufferPointer<UInt64>
    public let entryTerms: UnsafeBufferPointer<UInt32>
    public let entryStarts: UnsafeBufferPointer<UInt32>
    public let postingDocs: UnsafeBufferPointer<UInt8>
    public let postingWeights: UnsafeBufferPointer<Float>

    /// The range size BMP's authors recommend, and the fastest here (BENCHMARKS.md).
    public static let recommendedRangeSize = 32
    /// Range sizes the format allows (a document's offset in its range is one byte).
    public static let allowedRangeSizes = 1...256

    /// The number of ranges.
    @inlinable public var rangeCount: Int { rangeEntryOffsets.count - 1 }

    /// The per-term dequantisation scale: a bound of `max × (1 + 2⁻⁸) / 255` per step.
    ///
    /// The extra 2⁻⁸ keeps `Float(q) × scale` above the true maximum even after the roundings of
    /// `queryWeight × scale × q`, so a range bound never falls below a document's float score.
    static func scale(maxWeight: Float) -> Float {
        maxWeight / 255 * (1 + 1.0 / 256)
    }

    /// The smallest step `q` with `Float(q) × scale ≥ weight` (255 when `weight` is the list maximum).
    static func quantise(_ weight: Float, scale: Float) -> UInt8 {
        guard weight > 0 && scale > 0 else { return 0 }
        // Rounded up without a call to `ceil` (this runs for every summary entry of a build); the
        // quotient is positive, and anything from 256 up is cut to 255 anyway.
        let quotient = min(256.0, Double(weight) / Double(scale))
        var q = Double(Int(quotient))
        if q < quotient { q += 1 }
        q = min(255.0, q)
        while q < 255 && Float(q) * scale < weight { q += 1 }
        return UInt8(q)
    }

    /// Builds the range index of `postings` over `documentCount` documents in memory.
    static func build(_ postings: PostingLists, documentCount: Int, rangeSize: Int, storage: HeapStorage) -> RangeIndex {
        let plan = Plan(postings, documentCount: documentCount, rangeSize: rangeSize)
        let out = HeapSections(plan.layouts, storage: storage)
        // Memory accepts every declared byte, so the writes cannot fail.
        try! plan.write(postings, to: out, windowPostings: .max)
        return RangeIndex(
            rangeSize: rangeSize, termOffsets: out.section(SegmentFiles.rangeTermOffsets, as: UInt64.self),
            termRanges: out.section(SegmentFiles.rangeTermRanges, as: UInt32.self),
            termRangeMax: out.section(SegmentFiles.rangeTermMax, as: UInt8.self),
            termRangeStarts: out.section(SegmentFiles.rangeTermStarts, as: UInt32.self),
            termScale: out.section(SegmentFiles.rangeTermScale, as: Float.self),
            rangeEntryOffsets: out.section(SegmentFiles.rangeEntryOffsets, as: UInt64.self),
            rangePostingOffsets: out.section(SegmentFiles.rangePostingOffsets, as: UInt64.self),
            entryTerms: out.section(SegmentFiles.rangeEntryTerms, as: UInt32.self),
            entryStarts: out.section(SegmentFiles.rangeEntryStarts, as: UInt32.self),
            postingDocs: out.section(SegmentFiles.rangePostingDocs, as: UInt8.self),
            postingWeights: out.section(SegmentFiles.rangePostingWeights, as: Float.self))
    }

    /// Writes the range index of `postings` as the ranges file at `path`, holding at most about
    /// `windowPostings` postings of the range-ordered side in memory at a time; `between` runs
    /// after every pass over the postings (to let go of their pages).
    static func write(_ postings: PostingLists, documentCount: Int, rangeSize: Int, to path: String,
                      windowPostings: Int, between: () -> Void) throws {
        let plan = Plan(postings, documentCount: documentCount, rangeSize: rangeSize, release: between)
        between()
        let file = try SectionFileWriter(path: path, kind: SegmentFiles.ranges.kind, sections: plan.layouts)
        try plan.write(postings, to: file, windowPostings: windowPostings, between: between)
        try file.finish()
    }

    /// The sizes of a range index, counted in one pass over the postings.
    struct Plan {
        let rangeSize: Int
        let ranges: Int
        /// Entries (ranges holding the term) before each term; `terms + 1` entries.
        var termOffsets: [UInt64]
        /// Entries and postings before each range; `ranges + 1` entries each.
        var entriesPerRange: [UInt64]
        var postingsPerRange: [UInt64]

        init(_ postings: PostingLists, documentCount: Int, rangeSize: Int, release: () -> Void = {}) {
            precondition(allowedRangeSizes.contains(rangeSize))
            self.rangeSize = rangeSize
            let terms = postings.termCount
            ranges = (documentCount + rangeSize - 1) / rangeSize
            let docs = postings.docs
            termOffsets = [UInt64](repeating: 0, count: terms + 1)
            entriesPerRange = [UInt64](repeating: 0, count: ranges + 1)
            postingsPerRange = [UInt64](repeating: 0, count: ranges + 1)
            var pages = PageBudget()
            for t in 0..<terms {
                var entries: UInt64 = 0
                var previous = -1
                if pages.touch(lists: 1, bytes: postings.range(of: TermID(t)).count * 4) { release() }
                for i in postings.range(of: TermID(t)) {
                    let r = Int(docs[i]) / rangeSize
                    postingsPerRange[r + 1] += 1
                    if r != previous {
                        entries += 1
                        entriesPerRange[r + 1] += 1
                        previous = r
                    }
                }
                termOffsets[t + 1] = termOffsets[t] + entries
            }
            for r in 0..<ranges {
                entriesPerRange[r + 1] += entriesPerRange[r]
                postingsPerRange[r + 1] += postingsPerRange[r]
            }
        }

        var layouts: [SectionLayout] {
            let terms = termOffsets.count - 1
            let entries = Int(termOffsets[terms])
            let postings = Int(postingsPerRange[ranges])
            return [SectionLayout(SegmentFiles.rangeTermOffsets, UInt64.self, count: terms + 1),
                    SectionLayout(SegmentFiles.rangeTermRanges, UInt32.self, count: entries),
                    SectionLayout(SegmentFiles.rangeTermMax, UInt8.self, count: entries),
                    SectionLayout(SegmentFiles.rangeTermScale, Float.self, count: terms),
                    SectionLayout(SegmentFiles.rangeTermStarts, UInt32.self, count: entries),
                    SectionLayout(SegmentFiles.rangeEntryOffsets, UInt64.self, count: ranges + 1),
                    SectionLayout(SegmentFiles.rangePostingOffsets, UInt64.self, count: ranges + 1),
                    SectionLayout(SegmentFiles.rangeEntryTerms, UInt32.self, count: entries),
                    SectionLayout(SegmentFiles.rangeEntryStarts, UInt32.self, count: entries),
                    SectionLayout(SegmentFiles.rangePostingDocs, UInt8.self, count: postings),
                    SectionLayout(SegmentFiles.rangePostingWeights, Float.self, count: postings)]
        }

        /// Produces every section: the term-ordered side in one pass, then the range-ordered side
        /// (a transposition) in windows of consecutive ranges of at most `windowPostings` postings
        /// (at least one range), each one pass that resumes every list where the last stopped.
        func write(_ postings: PostingLists, to out: some SectionOutput, windowPostings: Int,
                   between: () -> Void = {}) throws {
            let terms = postings.termCount
            let docs = postings.docs
            let weights = postings.weights
            try out.append(SegmentFiles.rangeTermOffsets, termOffsets)
            try out.append(SegmentFiles.rangeEntryOffsets, entriesPerRange)
            try out.append(SegmentFiles.rangePostingOffsets, postingsPerRange)

            // Term side, term by term.
            var termRanges: [UInt32] = []
            var termMax: [UInt8] = []
            var termStarts: [UInt32] = []
            var pages = PageBudget()
            for t in 0..<terms {
                if pages.touch(lists: 2, bytes: postings.range(of: TermID(t)).count * 8) { between() }
                let scale = RangeIndex.scale(maxWeight: postings.maxWeights[t])
                try out.append(SegmentFiles.rangeTermScale, value: scale)
                termRanges.removeAll(keepingCapacity: true)
                termMax.removeAll(keepingCapacity: true)
                termStarts.removeAll(keepingCapacity: true)
                let list = postings.range(of: TermID(t))
                var i = list.lowerBound
                while i < list.upperBound {
                    let r = Int(docs[i]) / rangeSize
                    termStarts.append(UInt32(i - list.lowerBound))
                    var m: Float = 0
                    while i < list.upperBound && Int(docs[i]) / rangeSize == r {
                        m = max(m, weights[i])
                        i += 1
                    }
                    termRanges.append(UInt32(r))
                    termMax.append(RangeIndex.quantise(m, scale: scale))
                }
                try out.append(SegmentFiles.rangeTermRanges, termRanges)
                try out.append(SegmentFiles.rangeTermMax, termMax)
                try out.append(SegmentFiles.rangeTermStarts, termStarts)
            }
            between()

            // Range side, window by window. Terms go in increasing order, so each range's entries
            // come out sorted by term, and each entry's postings by document.
            var cursor = (0..<terms).map { Int(postings.offsets[$0]) }
            var first = 0
            while first < ranges {
                var end = first + 1
                while end < ranges && Int(postingsPerRange[end + 1] - postingsPerRange[first]) <= windowPostings { end += 1 }
                let entryBase = Int(entriesPerRange[first])
                let postingBase = Int(postingsPerRange[first])
                var entryTerms = [UInt32](repeating: 0, count: Int(entriesPerRange[end]) - entryBase)
                var entryStarts = [UInt32](repeating: 0, count: entryTerms.count)
                var postingDocs = [UInt8](repeating: 0, count: Int(postingsPerRange[end]) - postingBase)
                var postingWeights = [Float](repeating: 0, count: postingDocs.count)
                var nextEntry = Array(entriesPerRange[first..<end])
                var nextPosting = Array(postingsPerRange[first..<end])
                let limit = end * rangeSize
                for t in 0..<terms {
                    let listEnd = Int(postings.offsets[t + 1])
                    var i = cursor[t]
                    if pages.touch(lists: 2, bytes: 0) { between() }
                    while i < listEnd && Int(docs[i]) < limit {
                        let r = Int(docs[i]) / rangeSize
                        let start = r * rangeSize
                        var fp = Int(nextPosting[r - first])
                        let entryStart = fp
                        while i < listEnd && Int(docs[i]) / rangeSize == r {
                            postingDocs[fp - postingBase] = UInt8(Int(docs[i]) - start)
                            postingWeights[fp - postingBase] = weights[i]
                            fp += 1
                            i += 1
                        }
                        let fe = Int(nextEntry[r - first])
                        entryTerms[fe - entryBase] = UInt32(t)
                        entryStarts[fe - entryBase] = UInt32(entryStart - Int(postingsPerRange[r]))
                        nextEntry[r - first] += 1
                        nextPosting[r - first] = UInt64(fp)
                    }
                    if pages.touch(lists: 0, bytes: (i - cursor[t]) * 8) { between() }
                    cursor[t] = i
                }
                try out.append(SegmentFiles.rangeEntryTerms, entryTerms)
                try out.append(SegmentFiles.rangeEntryStarts, entryStarts)
                try out.append(SegmentFiles.rangePostingDocs, postingDocs)
                try out.append(SegmentFiles.rangePostingWeights, postingWeights)
                between()
                first = end
            }
        }
    }
}

/// Bounds the pages of memory-mapped files a pass over posting lists keeps resident: the pass
/// reports what it reads, and releases the files' pages whenever ``touch(lists:bytes:)`` says that
/// may exceed ``limit``. A read fault maps up to 64 KiB around the page read (the kernel's
/// fault-around), so each list a pass starts reading counts that much besides its bytes: a pass
/// touching thousands of short lists would otherwise map most of the file.
struct PageBudget {
    /// Bytes mapped between two releases, at most (about).
    static let limit = 256 << 20
    static let faultAround = 64 << 10
    private var mapped = 0

    /// Records that a pass started reading `lists` lists and read `bytes` bytes of them; true
    /// when the pass should release the pages now.
    @inline(__always)
    mutating func touch(lists: Int, bytes: Int) -> Bool {
        mapped += lists * Self.faultAround + bytes
        guard mapped > Self.limit else { return false }
        mapped = 0
        return true
    }
}

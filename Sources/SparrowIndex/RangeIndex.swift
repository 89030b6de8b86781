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
        var q = min(255.0, (Double(weight) / Double(scale)).rounded(.up))
        while q < 255 && Float(q) * scale < weight { q += 1 }
        return UInt8(q)
    }

    /// Builds the range index of `postings` over `documentCount` documents.
    static func build(_ postings: PostingLists, documentCount: Int, rangeSize: Int, storage: HeapStorage) -> RangeIndex {
        precondition(allowedRangeSizes.contains(rangeSize))
        let terms = postings.termCount
        let ranges = (documentCount + rangeSize - 1) / rangeSize
        let docs = postings.docs
        let weights = postings.weights

        // Pass 1: count entries per term and per range, postings per range.
        let termOffsets = storage.allocate(UInt64.self, count: terms + 1)
        termOffsets[0] = 0
        var entriesPerRange = [UInt64](repeating: 0, count: ranges + 1)
        var postingsPerRange = [UInt64](repeating: 0, count: ranges + 1)
        for t in 0..<terms {
            var entries: UInt64 = 0
            var previous = -1
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
        let entryCount = Int(termOffsets[terms])
        let rangeEntryOffsets = storage.allocate(UInt64.self, count: ranges + 1)
        _ = rangeEntryOffsets.initialize(from: entriesPerRange)
        let rangePostingOffsets = storage.allocate(UInt64.self, count: ranges + 1)
        _ = rangePostingOffsets.initialize(from: postingsPerRange)

        // Pass 2: fill both sides. Terms go in increasing order, so each range's entries come out
        // sorted by term, and each entry's postings by document.
        let termRanges = storage.allocate(UInt32.self, count: entryCount)
        let termRangeMax = storage.allocate(UInt8.self, count: entryCount)
        let termRangeStarts = storage.allocate(UInt32.self, count: entryCount)
        let termScale = storage.allocate(Float.self, count: terms)
        let entryTerms = storage.allocate(UInt32.self, count: entryCount)
        let entryStarts = storage.allocate(UInt32.self, count: entryCount)
        let postingDocs = storage.allocate(UInt8.self, count: postings.docs.count)
        let postingWeights = storage.allocate(Float.self, count: postings.docs.count)
        var nextEntry = entriesPerRange
        var nextPosting = postingsPerRange
        for t in 0..<terms {
            let scale = Self.scale(maxWeight: postings.maxWeights[t])
            termScale[t] = scale
            var e = Int(termOffsets[t])
            let list = postings.range(of: TermID(t))
            var i = list.lowerBound
            while i < list.upperBound {
                let r = Int(docs[i]) / rangeSize
                let first = r * rangeSize
                termRangeStarts[e] = UInt32(i - list.lowerBound)
                var m: Float = 0
                var count = 0
                let fe = Int(nextEntry[r])
                var fp = Int(nextPosting[r])
                while i < list.upperBound && Int(docs[i]) / rangeSize == r {
                    m = max(m, weights[i])
                    postingDocs[fp] = UInt8(Int(docs[i]) - first)
                    postingWeights[fp] = weights[i]
                    fp += 1
                    count += 1
                    i += 1
                }
                termRanges[e] = UInt32(r)
                termRangeMax[e] = quantise(m, scale: scale)
                e += 1
                entryTerms[fe] = UInt32(t)
                entryStarts[fe] = UInt32(fp - count - Int(postingsPerRange[r]))
                nextEntry[r] += 1
                nextPosting[r] = UInt64(fp)
            }
        }
        return RangeIndex(
            rangeSize: rangeSize, termOffsets: UnsafeBufferPointer(termOffsets),
            termRanges: UnsafeBufferPointer(termRanges), termRangeMax: UnsafeBufferPointer(termRangeMax),
            termRangeStarts: UnsafeBufferPointer(termRangeStarts),
            termScale: UnsafeBufferPointer(termScale), rangeEntryOffsets: UnsafeBufferPointer(rangeEntryOffsets),
            rangePostingOffsets: UnsafeBufferPointer(rangePostingOffsets), entryTerms: UnsafeBufferPointer(entryTerms),
            entryStarts: UnsafeBufferPointer(entryStarts), postingDocs: UnsafeBufferPointer(postingDocs),
            postingWeights: UnsafeBufferPointer(postingWeights))
    }
}

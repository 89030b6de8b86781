import SparrowCore
import SparrowIndex

/// Block-Max Pruning (Mallia, Suel, Tonellotto, SIGIR 2024) over a ``RangeIndex``.
///
/// 1. Every range's upper bound is the query-weighted sum of its range maxima, accumulated term by
///    term from the per-term range tables.
/// 2. The ranges with the largest bounds are scored first through the range-level forward index,
///    which gives the top-k heap a high k-th score quickly.
/// 3. The remaining ranges whose bound could still reach the k-th score are visited in decreasing
///    bound order, stopping at the first that cannot.
///
/// Ranges are visited out of document order, so pruning uses ``TopK/mightEnter(bound:)`` (an equal
/// score with a lower document number still displaces). Each document's score is summed in term
/// order, exactly like ``exhaustiveTAAT``, so query terms must be sorted by term (see
/// `Segment.search`), and bounds never fall below scores (``RangeIndex`` quantises upwards).
///
/// `alpha` below 1 approximates (the paper's α): a range is visited only while `alpha` × its bound
/// can reach the k-th score. (β, keeping only the heaviest query terms, is applied to the query
/// before it gets here.)
public func bmp(_ ranges: RangeIndex, query: SparseVector, documentCount: Int, into top: inout TopK,
                scratch: QueryScratch, alpha: Float = 1) {
    let rangeCount = ranges.rangeCount
    guard rangeCount > 0, !query.terms.isEmpty else { return }
    let bounds = scratch.bounds(rangeCount)
    let k = top.k

    computeRangeBounds(ranges, query: query, into: bounds)
    var scorer = RangeScorer(ranges: ranges, query: query, documentCount: documentCount)

    // 2. Seed the heap with the ranges of largest bound.
    for r in seedFromBestRanges(bounds, rangeCount: rangeCount, k: k, scorer: &scorer, into: &top) { bounds[r] = 0 }

    // 3. The rest, best bound first, while a bound can still reach the k-th score.
    var candidates: [(bound: Float, range: UInt32)] = []
    for r in 0..<rangeCount {
        let b = bounds[r]
        if b > 0 {
            bounds[r] = 0
            if top.mightEnter(bound: alpha * b) { candidates.append((b, UInt32(r))) }
        }
    }
    candidates.sort { $0.bound > $1.bound }
    for c in candidates {
        if !top.mightEnter(bound: alpha * c.bound) { break }
        scorer.score(range: Int(c.range), into: &top)
    }
    scratch.stats.postingsScored &+= scorer.postingsScored
    scratch.stats.rangesScored &+= scorer.rangesScored
}

/// Adds every range's upper bound for `query` into `bounds` (zeroed, one per range): per query
/// term, in term order, its weight times each of its range maxima.
@inline(__always)
func computeRangeBounds(_ ranges: RangeIndex, query: SparseVector, into bounds: UnsafeMutablePointer<Float>) {
    let termRanges = ranges.termRanges.baseAddress!
    let termRangeMax = ranges.termRangeMax.baseAddress!
    for (term, w) in zip(query.terms, query.weights) {
        let scaled = w * ranges.termScale[Int(term)]
        var e = Int(ranges.termOffsets[Int(term)])
        let end = Int(ranges.termOffsets[Int(term) + 1])
        while e < end {
            bounds[Int(termRanges[e])] += scaled * Float(termRangeMax[e])
            e &+= 1
        }
    }
}

/// Scores the ranges with the largest bounds into `top` and returns them: enough ranges to hold
/// about 2k documents, at least 4, so the k-th score is high before pruning starts.
@inline(__always)
func seedFromBestRanges(_ bounds: UnsafeMutablePointer<Float>, rangeCount: Int, k: Int, scorer: inout RangeScorer,
                        into top: inout TopK) -> [Int] {
    let seedCount = min(rangeCount, max(4, 2 * ((k + scorer.ranges.rangeSize - 1) / scorer.ranges.rangeSize)))
    var seeds = TopK(k: seedCount)
    var bar: Float = 0
    for r in 0..<rangeCount where bounds[r] > bar {
        seeds.push(DocID(UInt32(r)), bounds[r])
        if seeds.isFull { bar = seeds.threshold }
    }
    let best = seeds.sorted().map { Int($0.doc.rawValue) }
    for r in best { scorer.score(range: r, into: &top) }
    return best
}

/// Scores whole ranges through the forward index into a top-k heap.
///
/// A range's entries are sorted by term, and so are the query's terms: each query term is found by
/// a galloping search that starts where the previous one ended, so a range costs about
/// `queryTerms × log(rangeTerms)` probes plus its matching postings, not a scan of all its terms.
struct RangeScorer {
    let ranges: RangeIndex
    let terms: [TermID]
    let weights: [Float]
    let documentCount: Int
    var local = [Float](repeating: 0, count: 256)
    var postingsScored = 0
    var rangesScored = 0

    init(ranges: RangeIndex, query: SparseVector, documentCount: Int) {
        self.ranges = ranges
        self.terms = query.terms
        self.weights = query.weights
        self.documentCount = documentCount
    }

    @inline(__always)
    mutating func score(range r: Int, into top: inout TopK) {
        rangesScored &+= 1
        let entryTerms = ranges.entryTerms.baseAddress!
        let entryStarts = ranges.entryStarts.baseAddress!
        let postingDocs = ranges.postingDocs.baseAddress! + Int(ranges.rangePostingOffsets[r])
        let postingWeights = ranges.postingWeights.baseAddress! + Int(ranges.rangePostingOffsets[r])
        let rangePostings = Int(ranges.rangePostingOffsets[r + 1] - ranges.rangePostingOffsets[r])
        let first = r * ranges.rangeSize
        let length = min(ranges.rangeSize, documentCount - first)
        var lo = Int(ranges.rangeEntryOffsets[r])
        let end = Int(ranges.rangeEntryOffsets[r + 1])
        var scored = 0
        local.withUnsafeMutableBufferPointer { acc in
            let acc = acc.baseAddress!
            terms.withUnsafeBufferPointer { terms in
                weights.withUnsafeBufferPointer { weights in
                    for q in 0..<terms.count {
                        let t = terms[q]
                        lo = gallop(toFirstAtLeast: t, in: entryTerms, from: lo, to: end)
                        if lo == end { break }
                        guard entryTerms[lo] == t else { continue }
                        let from = Int(entryStarts[lo])
                        let to = lo &+ 1 < end ? Int(entryStarts[lo &+ 1]) : rangePostings
                        let w = weights[q]
                        var p = from
                        while p < to {
                            acc[Int(postingDocs[p])] += w * postingWeights[p]
                            p &+= 1
                        }
                        scored &+= to &- from
                        lo &+= 1
                    }
                }
            }
            for j in 0..<length {
                let s = acc[j]
                if s > 0 {
                    if top.mightEnter(bound: s) { top.push(DocID(UInt32(first &+ j)), s) }
                    acc[j] = 0
                }
            }
        }
        postingsScored &+= scored
    }
}

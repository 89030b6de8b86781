import SparrowCore
import SparrowIndex

/// Range-filtered term-at-a-time: BMP's range bounds decide *where* to score, the tight
/// term-at-a-time loop does the scoring.
///
/// 1. Every range's upper bound is computed as in ``bmp(_:query:documentCount:k:scratch:)``.
/// 2. The ranges with the largest bounds are scored through the forward index; their k-th best
///    score `θ` is a lower bound of the final k-th score.
/// 3. Only ranges whose bound reaches `θ` can hold an answer. Each query term's posting list is
///    walked range by range (the per-term range table says where each range starts in the list),
///    adding the postings of candidate ranges into a flat accumulator and skipping the others
///    without reading them.
/// 4. The candidate ranges' documents are scanned in document order for the top k.
///
/// Posting lists are read sequentially, as in ``exhaustiveTAAT(_:query:documentCount:k:scratch:)``,
/// and scores are the same float additions in the same order, so results are identical to it.
public func rangeTAAT(_ postings: PostingLists, _ ranges: RangeIndex, query: SparseVector, documentCount: Int,
                      into top: inout TopK, scratch: QueryScratch) {
    let rangeCount = ranges.rangeCount
    guard rangeCount > 0, !query.terms.isEmpty, let allDocs = postings.docs.baseAddress,
          let allWeights = postings.weights.baseAddress else { return }
    let k = top.k
    let bounds = scratch.bounds(rangeCount)
    computeRangeBounds(ranges, query: query, into: bounds)

    // 2. θ from the live documents of the most promising ranges, or from the results of earlier
    // segments, whichever is higher.
    var seedTop = TopK(k: k)
    seedTop.enter(base: 0, deletions: top.deletions)
    var scorer = RangeScorer(ranges: ranges, query: query, documentCount: documentCount)
    let seeds = seedFromBestRanges(bounds, rangeCount: rangeCount, k: k, scorer: &scorer, into: &seedTop)
    var theta: Float = seedTop.isFull ? seedTop.threshold : 0
    if top.isFull { theta = max(theta, top.threshold) }

    // 3. Candidate ranges (bound ≥ θ) are flagged with 1 in `bounds`, the rest reset to 0.
    var candidates: [UInt32] = []
    for r in 0..<rangeCount {
        let b = bounds[r]
        if b > 0 && b >= theta {
            candidates.append(UInt32(r))
            bounds[r] = 1
        } else {
            bounds[r] = 0
        }
    }
    let scores = scratch.accumulator(documentCount)
    let termRanges = ranges.termRanges.baseAddress!
    let termRangeStarts = ranges.termRangeStarts.baseAddress!
    var scored = 0
    for (term, w) in zip(query.terms, query.weights) {
        let list = postings.range(of: term)
        let docs = allDocs + list.lowerBound
        let weights = allWeights + list.lowerBound
        var e = Int(ranges.termOffsets[Int(term)])
        let end = Int(ranges.termOffsets[Int(term) + 1])
        while e < end {
            if bounds[Int(termRanges[e])] != 0 {
                var p = Int(termRangeStarts[e])
                let to = e &+ 1 < end ? Int(termRangeStarts[e &+ 1]) : list.count
                scored &+= to &- p
                while p < to {
                    scores[Int(docs[p])] += w * weights[p]
                    p &+= 1
                }
            }
            e &+= 1
        }
    }

    // 4. Top k over the candidates' documents, in document order; clears what was touched.
    var bar = top.entryBar
    let size = ranges.rangeSize
    for r in candidates {
        let first = Int(r) &* size
        let last = min(first &+ size, documentCount)
        for d in first..<last {
            let s = scores[d]
            if s > bar {
                top.push(DocID(UInt32(d)), s)
                bar = top.entryBar
            }
            scores[d] = 0
        }
        bounds[Int(r)] = 0
    }
    scratch.stats.postingsScored &+= scored &+ scorer.postingsScored
    scratch.stats.rangesScored &+= candidates.count &+ seeds.count
}

import SparrowCore
import SparrowIndex

/// Exhaustive term-at-a-time scoring: adds every posting of every query term into a flat
/// accumulator, then selects the top `k` positive scores in document order.
///
/// Terms are added in query order, starting from zero, so each document's score is the same
/// sequence of `Float` additions document-at-a-time scoring performs: the two agree bit for bit.
public func exhaustiveTAAT(_ postings: PostingLists, query: SparseVector, documentCount: Int, k: Int) -> [ScoredDoc] {
    let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(documentCount, 1))
    defer { scores.deallocate() }
    scores.initialize(repeating: 0)
    let docs = postings.docs
    let weights = postings.weights
    for (term, queryWeight) in zip(query.terms, query.weights) {
        for i in postings.range(of: term) {
            scores[Int(docs[i])] += queryWeight * weights[i]
        }
    }
    var top = TopK(k: k)
    for d in 0..<documentCount {
        let s = scores[d]
        if s > 0 && top.wouldEnter(s) { top.push(DocID(UInt32(d)), s) }
    }
    return top.sorted()
}

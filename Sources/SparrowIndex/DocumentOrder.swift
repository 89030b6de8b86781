/// Document renumbering that puts similar documents next to each other.
///
/// Block-max and range-max bounds are maxima over neighbouring documents; when neighbours share
/// their heavy terms, the bounds are tight and pruning skips more.
public enum DocumentOrder {
    /// How many of a document's heaviest terms make its sort key.
    static let keyTerms = 3

    /// A clustering order: documents sorted by their heaviest terms (heaviest first, ties in input
    /// order), so documents led by the same terms form runs. Linear in postings plus an
    /// `n log n` sort of fixed-size keys; far cheaper than graph bisection.
    ///
    /// - Returns: for each new position, the input position of the document placed there.
    static func cluster(documentCount: Int, offsets: [Int], terms: [UInt32], weights: [Float]) -> [Int] {
        let k = keyTerms
        var keys = [UInt32](repeating: UInt32.max, count: documentCount * k)
        terms.withUnsafeBufferPointer { terms in
            weights.withUnsafeBufferPointer { weights in
                var top = [(weight: Float, term: UInt32)](repeating: (0, 0), count: k)
                for d in 0..<documentCount {
                    var held = 0
                    for i in offsets[d]..<offsets[d + 1] {
                        let candidate = (weight: weights[i], term: terms[i])
                        // Insertion into a k-slot list, heaviest first, lower term on ties.
                        var j = held < k ? held : k
                        while j > 0 && (top[j - 1].weight < candidate.weight
                                        || (top[j - 1].weight == candidate.weight && top[j - 1].term > candidate.term)) {
                            if j < k { top[j] = top[j - 1] }
                            j -= 1
                        }
                        if j < k { top[j] = candidate }
                        if held < k { held += 1 }
                    }
                    for j in 0..<held { keys[d * k + j] = top[j].term }
                }
            }
        }
        var order = Array(0..<documentCount)
        keys.withUnsafeBufferPointer { keys in
            order.sort { a, b in
                for j in 0..<k {
                    let x = keys[a * k + j], y = keys[b * k + j]
                    if x != y { return x < y }
                }
                return a < b
            }
        }
        return order
    }
}

import SparrowCore

/// A document's score summed in term order, whatever order its contributions arrive in.
///
/// MaxScore and WAND visit a document's lists in bound order, but every algorithm must add a
/// document's contributions in term order (the order of the canonical query) so that all of them
/// return bit-identical scores, and hence the same ranking even among near-ties. Contributions are
/// parked by term position and added up in that order when the document is offered to the heap.
struct TermOrderedSum {
    private var contributions: [Float]
    private var touched: [Int]

    init(terms: Int) {
        contributions = [Float](repeating: 0, count: terms)
        touched = []
        touched.reserveCapacity(terms)
    }

    /// Records the contribution of the query term at position `term` (in canonical order).
    @inline(__always)
    mutating func add(term: Int, _ score: Float) {
        contributions[term] = score
        touched.append(term)
    }

    /// The sum in term order, starting from zero as term-at-a-time scoring does; clears the record.
    @inline(__always)
    mutating func total() -> Float {
        // Insertion sort: a document matches few query terms.
        var i = 1
        while i < touched.count {
            let t = touched[i]
            var j = i
            while j > 0 && touched[j - 1] > t {
                touched[j] = touched[j - 1]
                j -= 1
            }
            touched[j] = t
            i += 1
        }
        var sum: Float = 0
        for t in touched { sum += contributions[t] }
        touched.removeAll(keepingCapacity: true)
        return sum
    }

    /// Forgets the recorded contributions.
    @inline(__always)
    mutating func clear() { touched.removeAll(keepingCapacity: true) }
}

/// Bounds summed in a different order than scores can round below them by a few units in the last
/// place; pruning compares `bound × boundSlack` with the k-th score, which keeps it safe for queries
/// of up to about 16 000 terms while costing nothing measurable in pruning power.
let boundSlack: Float = 1 + 1.0 / 1024

import SparrowCore

/// A document's score summed in term order, whatever order its contributions arrive in.
///
/// MaxScore and WAND visit a document's lists in bound order, but every algorithm must add a
/// document's contributions in term order (the order of the canonical query) so that all of them
/// return bit-identical scores, and hence the same ranking even among near-ties. Contributions are
/// parked by term position and added up in that order when the document is offered to the heap.
struct TermOrderedSum {
    private let contributions: UnsafeMutablePointer<Float>
    private let touched: UnsafeMutablePointer<Int>
    private var count = 0

    /// Room for a query of `terms` terms; call ``release()`` when the query is done.
    init(terms: Int) {
        contributions = .allocate(capacity: max(terms, 1))
        touched = .allocate(capacity: max(terms, 1))
    }

    func release() {
        contributions.deallocate()
        touched.deallocate()
    }

    /// Records the contribution of the query term at position `term` (in canonical order); each
    /// term at most once per document.
    @inline(__always)
    mutating func add(term: Int, _ score: Float) {
        contributions[term] = score
        touched[count] = term
        count &+= 1
    }

    /// The sum in term order, starting from zero as term-at-a-time scoring does; clears the record.
    @inline(__always)
    mutating func total() -> Float {
        // Insertion sort: a document matches few query terms.
        var i = 1
        while i < count {
            let t = touched[i]
            var j = i
            while j > 0 && touched[j &- 1] > t {
                touched[j] = touched[j &- 1]
                j &-= 1
            }
            touched[j] = t
            i &+= 1
        }
        var sum: Float = 0
        for i in 0..<count { sum += contributions[touched[i]] }
        count = 0
        return sum
    }

    /// Forgets the recorded contributions.
    @inline(__always)
    mutating func clear() { count = 0 }
}

/// Bounds summed in a different order than scores can round below them by a few units in the last
/// place; pruning compares `bound × boundSlack` with the k-th score, which keeps it safe for queries
/// of up to about 16 000 terms while costing nothing measurable in pruning power.
let boundSlack: Float = 1 + 1.0 / 1024

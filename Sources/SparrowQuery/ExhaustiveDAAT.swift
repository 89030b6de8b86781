import SparrowCore

/// Exhaustive document-at-a-time scoring: visits every document on any cursor, in increasing
/// order, summing the cursors' scores in cursor (query) order.
///
/// Generic over the cursor so each storage format gets a specialised copy.
public func exhaustiveDAAT<C: ScoredCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats) {
    var scored = 0
    cursors.withUnsafeMutableBufferPointer { cs in
        while true {
            var current = DocID.terminated
            for c in cs where c.doc < current { current = c.doc }
            if current == .terminated { break }
            var score: Float = 0
            for i in cs.indices where cs[i].doc == current {
                score += cs[i].score()
                scored &+= 1
                cs[i].next()
            }
            if score > 0 && top.wouldEnter(score) { top.push(current, score) }
        }
    }
    stats.postingsScored &+= scored
}

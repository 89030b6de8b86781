import SparrowCore

/// WAND (Broder et al.), document-at-a-time.
///
/// Cursors are kept sorted by current document. The *pivot* is the first cursor at which the
/// summed maximum scores of the cursors before it could beat the k-th score; no document before
/// the pivot's can enter, so the cursors behind it jump straight to it.
public func wand<C: MaxScoreCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats) {
    wandDAAT(&cursors, into: &top, stats: &stats, block: nil)
}

/// Block-Max WAND (Ding and Suel): WAND whose pivot is checked once more against the maxima of
/// the blocks holding it; when those cannot beat the k-th score, every cursor up to the pivot
/// skips past the nearest block end without decoding a posting.
public func blockMaxWAND<C: BlockMaxCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats) {
    wandDAAT(&cursors, into: &top, stats: &stats) { cursor, target in
        cursor.advanceBlock(toAtLeast: target)
        return (cursor.blockMaxScore, cursor.blockLastDoc)
    }
}

@inline(__always)
func wandDAAT<C: MaxScoreCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats,
                                 block: ((inout C, DocID) -> (bound: Float, last: DocID))?) {
    let n = cursors.count
    guard n > 0 else { return }
    var scored = 0
    var sum = TermOrderedSum(terms: n)
    defer { sum.release() }
    var order = Array(0..<n)
    cursors.withUnsafeMutableBufferPointer { cs in
        order.withUnsafeMutableBufferPointer { order in
            // Insertion sort by current document: after a step only a few cursors are out of place.
            func resort() {
                for j in 1..<n {
                    let c = order[j]
                    let d = cs[c].doc
                    var i = j
                    while i > 0 && cs[order[i - 1]].doc > d {
                        order[i] = order[i - 1]
                        i -= 1
                    }
                    order[i] = c
                }
            }
            resort()
            // After a step only the cursors order[0...last] have moved, and only forward: insert
            // each into the sorted rest, from the back, shifting past the documents it overtook
            // (PISA's bubbling), instead of re-sorting all n.
            func reinsert(through last: Int) {
                var j = last
                while j >= 0 {
                    let c = order[j]
                    let d = cs[c].doc
                    var i = j
                    while i + 1 < n && cs[order[i + 1]].doc < d {
                        order[i] = order[i + 1]
                        i += 1
                    }
                    order[i] = c
                    j -= 1
                }
            }
            while true {
                // Pivot: the first cursor whose prefix bound could enter.
                var bound: Float = 0
                var p = -1
                for j in 0..<n {
                    let c = order[j]
                    if cs[c].doc == .terminated { break }
                    bound += cs[c].maxScore
                    if top.wouldEnter(bound * boundSlack) {
                        p = j
                        break
                    }
                }
                if p < 0 { break }
                let pivot = cs[order[p]].doc
                while p + 1 < n && cs[order[p + 1]].doc == pivot { p += 1 }

                if let block {
                    var blockBound: Float = 0
                    var nearestEnd = DocID.terminated
                    for j in 0...p {
                        let (b, last) = block(&cs[order[j]], pivot)
                        blockBound += b
                        if last < nearestEnd { nearestEnd = last }
                    }
                    if !top.wouldEnter(blockBound * boundSlack) {
                        // Nothing in [pivot, nearest block end] can enter; the cursors after the
                        // pivot hold nothing before their own documents.
                        var target = nearestEnd == .terminated ? nearestEnd : DocID(nearestEnd.rawValue &+ 1)
                        if p + 1 < n && cs[order[p + 1]].doc < target { target = cs[order[p + 1]].doc }
                        for j in 0...p { cs[order[j]].advance(toAtLeast: target) }
                        reinsert(through: p)
                        continue
                    }
                }

                if cs[order[0]].doc == pivot {
                    // Cursors are indexed in canonical (term) order: sum in that order.
                    for j in 0...p { sum.add(term: order[j], cs[order[j]].score()) }
                    let score = sum.total()
                    for j in 0...p { cs[order[j]].next() }
                    scored &+= p + 1
                    if score > 0 && top.wouldEnter(score) { top.push(pivot, score) }
                    reinsert(through: p)
                } else {
                    for j in 0..<p where cs[order[j]].doc < pivot { cs[order[j]].advance(toAtLeast: pivot) }
                    reinsert(through: p - 1)
                }
            }
        }
    }
    stats.postingsScored &+= scored
}

import SparrowCore

/// MaxScore (Turtle and Flood), document-at-a-time.
///
/// Cursors are ordered by their maximum score; the lowest ones whose bounds together cannot beat
/// the k-th score are *non-essential*: documents are only drawn from the essential ones, and a
/// non-essential cursor is advanced to a candidate only while the candidate could still enter.
public func maxScore<C: MaxScoreCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats) {
    maxScoreDAAT(&cursors, into: &top, stats: &stats, blockBound: nil)
}

/// MaxScore with block maxima (PISA's `block_max_maxscore`): before touching the non-essential
/// lists for a candidate, their current blocks' maxima bound its score more tightly than their
/// list maxima, and most candidates are dropped with only a shallow block move.
public func blockMaxMaxScore<C: BlockMaxCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats) {
    maxScoreDAAT(&cursors, into: &top, stats: &stats) { cursor, target in
        cursor.advanceBlock(toAtLeast: target)
        return cursor.blockMaxScore
    }
}

@inline(__always)
func maxScoreDAAT<C: MaxScoreCursor>(_ cursors: inout [C], into top: inout TopK, stats: inout QueryStats,
                                     blockBound: ((inout C, DocID) -> Float)?) {
    let n = cursors.count
    guard n > 0 else { return }
    // Sorted by maximum score; termOf[i] is cursor i's position in the canonical query.
    let termOf = cursors.indices.sorted { cursors[$0].maxScore < cursors[$1].maxScore }
    cursors = termOf.map { cursors[$0] }
    // upper[i]: bound of a document found only in cursors 0...i.
    var upper = [Float](repeating: 0, count: n)
    var blockUpper = [Float](repeating: 0, count: n)
    var total: Float = 0
    for i in 0..<n {
        total += cursors[i].maxScore
        upper[i] = total * boundSlack
    }
    var scored = 0
    var sum = TermOrderedSum(terms: n)
    defer { sum.release() }
    cursors.withUnsafeMutableBufferPointer { cs in
        termOf.withUnsafeBufferPointer { termOf in
            upper.withUnsafeBufferPointer { upper in
                blockUpper.withUnsafeMutableBufferPointer { blockUpper in
                    // A collector that arrives holding results (from earlier segments) already makes
                    // some lists non-essential.
                    var firstEssential = 0
                    while firstEssential < n && !top.wouldEnter(upper[firstEssential]) { firstEssential += 1 }
                    if firstEssential == n { return }
                    var current = DocID.terminated
                    for c in cs[firstEssential...] where c.doc < current { current = c.doc }
                    while current != .terminated {
                        var score: Float = 0
                        var next = DocID.terminated
                        for i in firstEssential..<n {
                            if cs[i].doc == current {
                                let s = cs[i].score()
                                score += s
                                sum.add(term: termOf[i], s)
                                scored &+= 1
                                cs[i].next()
                            }
                            if cs[i].doc < next { next = cs[i].doc }
                        }
                        var i = firstEssential - 1
                        var ceiling = upper
                        if let blockBound, i >= 0 {
                            // Tighter bounds from the non-essential cursors' current blocks.
                            var blocks: Float = 0
                            for j in 0...i {
                                blocks += blockBound(&cs[j], current)
                                blockUpper[j] = blocks * boundSlack
                            }
                            ceiling = UnsafeBufferPointer(blockUpper)
                        }
                        while i >= 0 {
                            if !top.wouldEnter((score + ceiling[i]) * boundSlack) { break }
                            cs[i].advance(toAtLeast: current)
                            if cs[i].doc == current {
                                let s = cs[i].score()
                                score += s
                                sum.add(term: termOf[i], s)
                                scored &+= 1
                            }
                            i -= 1
                        }
                        if i >= 0 {
                            sum.clear()
                        } else {
                            let exact = sum.total()
                            if exact > 0 && top.wouldEnter(exact) {
                                top.push(current, exact)
                                let before = firstEssential
                                while firstEssential < n && !top.wouldEnter(upper[firstEssential]) { firstEssential += 1 }
                                if firstEssential == n { break }
                                if firstEssential != before {
                                    next = .terminated
                                    for j in firstEssential..<n where cs[j].doc < next { next = cs[j].doc }
                                }
                            }
                        }
                        current = next
                    }
                }
            }
        }
    }
    stats.postingsScored &+= scored
}


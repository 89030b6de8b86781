import Sparrow
@testable import SparrowQuery
import SparrowTestSupport
import Testing

struct TopKTests {
    @Test("keeps the best k in any arrival order", arguments: [1, 3, 10, 64])
    func bestK(k: Int) {
        var rng = SeededRandom(seed: UInt64(k))
        for _ in 0..<50 {
            let n = Int.random(in: 0...200, using: &rng)
            let items = (0..<n).map { ScoredDoc(doc: DocID(UInt32($0)), score: Float(Int.random(in: 0...20, using: &rng))) }
            var top = TopK(k: k)
            for item in items.shuffled(using: &rng) {
                top.push(item.doc, item.score)
            }
            let expected = items.sorted { $0.score > $1.score || ($0.score == $1.score && $0.doc < $1.doc) }.prefix(k)
            #expect(top.sorted() == Array(expected))
            if items.count >= k {
                #expect(top.threshold == expected.last!.score)
            } else {
                #expect(top.threshold == -.infinity)
            }
        }
    }

    @Test func wouldEnterIsStrictOnceFull() {
        var top = TopK(k: 2)
        #expect(top.wouldEnter(0))
        top.push(DocID(0), 1)
        top.push(DocID(1), 3)
        #expect(!top.wouldEnter(1))
        #expect(top.wouldEnter(1.5))
    }

    @Test("the clustered search's block queue pops bounds in decreasing order, ties by the earlier entry", arguments: [UInt64(1), 2, 3])
    func blockQueue(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let special: [Float] = [0, 1e-30, -1e-30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity]
        for _ in 0..<40 {
            let n = Int.random(in: 0...300, using: &rng)
            // Few distinct bounds, so that ties are common; negative ones and extremes too.
            let items = (0..<n).map { _ -> (bound: Float, entry: Int) in
                let bound = Bool.random(using: &rng) ? special.randomElement(using: &rng)!
                                                     : Float(Int.random(in: -5...20, using: &rng)) / 4
                return (bound, Int.random(in: 0...Int(UInt32.max), using: &rng))
            }
            var keys = items.map { BlockQueue.key($0.bound, entry: $0.entry) }
            var count = keys.count
            var popped: [(bound: Float, entry: Int)] = []
            keys.withUnsafeMutableBufferPointer { k in
                guard let base = k.baseAddress else { return }
                BlockQueue.heapify(base, count: count)
                while count > 0 { popped.append(BlockQueue.decode(BlockQueue.pop(base, count: &count))) }
            }
            let expected = items.sorted { $0.bound != $1.bound ? $0.bound > $1.bound : $0.entry < $1.entry }
            #expect(popped.map(\.bound) == expected.map(\.bound))
            #expect(popped.map(\.entry) == expected.map(\.entry))
        }
    }
}

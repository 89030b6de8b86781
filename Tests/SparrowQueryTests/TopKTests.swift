import Sparrow
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
}

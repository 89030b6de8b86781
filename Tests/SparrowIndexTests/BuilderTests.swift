import Sparrow
import SparrowIndex
import Testing

struct BuilderTests {
    @Test("a refused document leaves no trace: the next one may use the same terms")
    func refusalIsForgotten() throws {
        var builder = IndexBuilder()
        try builder.add(id: "a", tokens: ["x"], weights: [1], text: nil)
        // Refused on its second token, after the first was recorded.
        #expect(throws: IndexBuilder.Problem.invalidWeight(token: "y", weight: -1)) {
            try builder.add(id: "b", tokens: ["x", "y"], weights: [1, -1], text: nil)
        }
        #expect(throws: IndexBuilder.Problem.duplicateToken(token: "x")) {
            try builder.add(id: "b", tokens: ["x", "z", "x"], weights: [1, 1, 1], text: nil)
        }
        // The document that takes the refused one's number shares its terms and is accepted.
        try builder.add(id: "b", tokens: ["x", "y", "z"], weights: [2, 3, 4], text: nil)
        let segment = builder.finish()
        #expect(segment.documentCount == 2 && segment.postingCount == 4)
    }
}

@testable import Sparrow
@testable import SparrowIndex
import Testing

/// The tiered policy's choices, on segments of chosen sizes and deletions.
struct MergePolicyTests {
    /// A segment of `documents` one-token documents with the first `deleted` of them deleted.
    static func view(documents: Int, deleted: Int) throws -> SegmentView {
        var builder = IndexBuilder()
        for d in 0..<documents { try builder.add(id: "d\(d)", tokens: ["t"], weights: [1], text: nil) }
        let segment = builder.finish()
        return SegmentView(segment, deletions: Deletions.of(documentCount: documents, deleting: Array(0..<deleted)))
    }

    @Test("a segment more than a fifth of whose documents are deleted is rewritten on its own")
    func deletedShare() throws {
        let policy = TieredMergePolicy(factor: 8)
        // 20 % deleted is allowed; one more document is not.
        #expect(policy.choose([try Self.view(documents: 100, deleted: 20), try Self.view(documents: 10, deleted: 0)]) == nil)
        #expect(policy.choose([try Self.view(documents: 100, deleted: 0), try Self.view(documents: 100, deleted: 21)]) == [1])
        // The first such segment goes first, before any tier that is full.
        let full = try (0..<8).map { _ in try Self.view(documents: 3, deleted: 0) }
        #expect(policy.choose(full) == Array(0..<8))
        #expect(policy.choose(full + [try Self.view(documents: 5, deleted: 2)]) == [8])
    }
}

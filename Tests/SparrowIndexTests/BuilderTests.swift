import Sparrow
import SparrowCore
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

    /// Tokens that are prefixes of one another, that differ only beyond ASCII, that are canonically
    /// equivalent (`é` and `e` + combining acute; KELVIN SIGN and `K`), and random ones.
    static func awkwardTokens(seed: UInt64) -> [String] {
        var fixed = ["b", "a", "ab", "abc", "é", "e\u{301}", "\u{212A}", "K", "k", "z", "zz", "~", "\u{7F}",
                     "\u{80}", "\u{FFFF}", "\u{10000}", "日本", "日", "#", "##s", "##"]
        var random = SeededRandom(seed: seed)
        let alphabet: [Character] = ["a", "b", "é", "\u{301}", "日", "#", "Z", "\u{10348}"]
        for _ in 0..<300 {
            let length = 1 + Int(random.next() % 5)
            fixed.append(String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
        }
        var seen = Set<[UInt8]>()
        return fixed.filter { seen.insert(Array($0.utf8)).inserted }
    }

    /// The strings of a segment's vocabulary, as bytes.
    static func vocabulary(_ segment: Segment) -> [[UInt8]] {
        (0..<segment.termCount).map { Array(segment.vocabulary.bytes(at: $0)) }
    }

    @Test("a segment's vocabulary is in byte order: prefixes first, canonically equivalent tokens apart")
    func vocabularyInByteOrder() throws {
        let tokens = Self.awkwardTokens(seed: 7)
        var builder = IndexBuilder()
        // Two documents, so that tokens are interned in an order unrelated to their bytes.
        let half = tokens.count / 2
        try builder.add(id: "d1", tokens: Array(tokens[..<half].reversed()), weights: .init(repeating: 1, count: half), text: nil)
        try builder.add(id: "d2", tokens: Array(tokens[half...]), weights: .init(repeating: 2, count: tokens.count - half), text: nil)
        let expected = tokens.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(Self.vocabulary(builder.finish()) == expected)
    }

    @Test("merging segments interleaves their vocabularies in byte order, each token once")
    func mergedVocabularyInByteOrder() throws {
        let tokens = Self.awkwardTokens(seed: 11)
        // Five segments, each with an overlapping slice of the tokens (some in every segment).
        let views = try (0..<5).map { part in
            var builder = IndexBuilder()
            let mine = tokens.enumerated().filter { $0.offset % 5 == part || $0.offset % 7 == 0 }.map(\.element)
            try builder.add(id: "d\(part)", tokens: mine, weights: .init(repeating: 1, count: mine.count), text: nil)
            return SegmentView(builder.finish(), deletions: nil)
        }
        let merged = try SegmentMerger.merge(views, settings: IndexSettings(BuildOptions()))
        #expect(Self.vocabulary(merged) == tokens.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(merged.postingCount == views.reduce(0) { $0 + $1.segment.postingCount })
    }

    @Test("ExactString orders strings as their UTF-8 bytes")
    func exactStringOrder() {
        let tokens = Self.awkwardTokens(seed: 3) + [""]
        var wrong: [String] = []
        for a in tokens {
            for b in tokens where (ExactString(a) < ExactString(b)) != Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) {
                wrong.append("\(a.debugDescription) < \(b.debugDescription)")
            }
        }
        #expect(wrong.isEmpty)
    }
}

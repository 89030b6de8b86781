import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// WordPiece and the inference-free query encoder against the Hugging Face `tokenizers` library
/// (fixtures: golden.jsonl files from make_golden.py, and Tools/hf-reference/make_fixtures.py).
struct WordPieceTests {
    static let tokenizer = Result { try WordPieceTokenizer(directory: try requireSharedData("models/splade-tiny")) }

    @Test("415 golden texts (the model's and ours): identical ids at 256 word pieces")
    func golden() throws {
        let tokenizer = try Self.tokenizer.get()
        let rows = try readSpladeGolden()
        #expect(rows.count == 415)
        for row in rows {
            #expect(tokenizer.encode(row.text, maxLength: 256) == row.ids, "\(row.id): \(row.text.prefix(60))")
        }
    }

    @Test("every document and query of the shared collections: identical ids")
    func sharedCollections() throws {
        let tokenizer = try Self.tokenizer.get()
        // FNV-1a 64 of the ids written in decimal and joined by commas.
        let expected = readTabSeparatedPairs(repositoryRoot + "/Tests/Fixtures/wordpiece/corpora.hf-ids.hashes.tsv")
        var checked = 0
        var mismatches: [String] = []
        try forEachSharedText { id, text in
            checked += 1
            if expected[id] != fnv1a64Hex(tokenizer.encode(text).map(String.init).joined(separator: ",")) && mismatches.count < 10 {
                mismatches.append("\(id): \(text.prefix(80))")
            }
        }
        #expect(checked == expected.count)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("a directory without tokenizer.json or vocab.txt is refused with its name")
    func missingVocabulary() {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        #expect {
            _ = try WordPieceTokenizer(directory: dir)
        } throws: { error in
            (error as? TokenizerError).map { "\($0)".contains(dir) && "\($0)".contains("vocab.txt") } ?? false
        }
    }

    @Test("word pieces, special tokens, unknown words and truncation")
    func behaviour() throws {
        let t = try Self.tokenizer.get()
        #expect(t.tokenize("Sparrows' nests") == ["sparrow", "##s", "'", "nests"])
        #expect(t.tokenize("Café NAÏVE") == ["cafe", "naive"])
        #expect(t.tokenize("北京 is") == ["北", "京", "is"])
        #expect(t.tokenize("a [SEP] b") == ["a", "[SEP]", "b"])
        #expect(t.tokenize(String(repeating: "x", count: 101)) == ["[UNK]"])
        #expect(t.encode("") == [t.classifierID, t.separatorID])
        let long = t.encode(String(repeating: "word ", count: 300), maxLength: 16)
        #expect(long.count == 16 && long.first == t.classifierID && long.last == t.separatorID)
    }

    struct IDFQuery: Decodable { var id: String; var text: String; var tokens: [String]; var weights: [Float] }

    @Test("inference-free query vectors equal the reference's")
    func idfQueries() throws {
        let encoder = try IDFQueryEncoder(table: try requireSharedData("idf/opensearch-doc-v2-idf.json"),
                                          tokenizer: try Self.tokenizer.get())
        let text = String(decoding: readFileBytes(repositoryRoot + "/Tests/Fixtures/wordpiece/idf-queries.jsonl"), as: UTF8.self)
        let rows = try text.split(separator: "\n").map { try JSONDecoder().decode(IDFQuery.self, from: Data($0.utf8)) }
        #expect(rows.count == 300)
        for row in rows {
            let (tokens, weights) = encoder.encode(row.text)
            #expect(tokens == row.tokens && weights == row.weights, "\(row.id): \(row.text)")
        }
    }
}

import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// WordPiece and the inference-free query encoder against the Hugging Face `tokenizers` library
/// (fixtures: the model's golden.jsonl from make_golden.py, and Tools/hf-reference/make_fixtures.py).
struct WordPieceTests {
    static let tokenizer = Result { try WordPieceTokenizer(directory: try requireSharedData("models/splade-tiny")) }

    struct Golden: Decodable { var id: String; var text: String; var ids: [Int32] }

    @Test("the model's golden texts: identical ids at 256 word pieces")
    func golden() throws {
        let tokenizer = try Self.tokenizer.get()
        let text = String(decoding: readFileBytes(try requireSharedData("models/splade-tiny/golden.jsonl")), as: UTF8.self)
        let rows = try text.split(separator: "\n").map { try JSONDecoder().decode(Golden.self, from: Data($0.utf8)) }
        #expect(rows.count > 100)
        for row in rows {
            #expect(tokenizer.encode(row.text, maxLength: 256) == row.ids, "\(row.id): \(row.text.prefix(60))")
        }
    }

    @Test("every document and query of the shared collections: identical ids")
    func sharedCollections() throws {
        let tokenizer = try Self.tokenizer.get()
        var expected: [String: String] = [:]
        let table = String(decoding: readFileBytes(repositoryRoot + "/Tests/Fixtures/wordpiece/corpora.hf-ids.hashes.tsv"),
                           as: UTF8.self)
        for line in table.split(separator: "\n") {
            let f = line.split(separator: "\t")
            expected[String(f[0])] = String(f[1])
        }
        var checked = 0
        var mismatches: [String] = []
        func check(_ id: String, _ text: String) {
            checked += 1
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in tokenizer.encode(text).map(String.init).joined(separator: ",").utf8 {
                h ^= UInt64(byte)
                h = h &* 0x100_0000_01b3
            }
            if expected[id] != String(h, radix: 16) && mismatches.count < 10 { mismatches.append("\(id): \(text.prefix(80))") }
        }
        for c in ["scifact", "nfcorpus", "cranfield", "cacm", "msmarco-dl-pool", "msmarco-dev-queries"] {
            let dir = try requireSharedData(c)
            let files = listDirectory(dir)
            if files.contains("corpus.jsonl.gz") {
                try TextRecordReader.forEach(path: dir + "/corpus.jsonl.gz") { r, _ in check("\(c)/\(r.id)", r.text) }
            }
            for q in files.filter({ $0.hasPrefix("queries") && $0.hasSuffix(".jsonl") }).sorted() {
                try TextRecordReader.forEach(path: dir + "/" + q) { r, _ in check("\(c)/q/\(r.id)", r.text) }
            }
        }
        #expect(checked == expected.count)
        #expect(mismatches.isEmpty, "\(mismatches)")
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

import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// The Swift SPLADE encoder against the numpy reference (`../shared/tools/reference`).
@Suite(.serialized)
struct SpladeEncoderTests {
    static let encoder = Result { try SpladeEncoder(directory: try requireSharedData("models/splade-tiny")) }

    /// 415 texts: the model's golden.jsonl (105) and Tests/Fixtures/splade/golden.jsonl (310):
    /// queries, passages, long abstracts cut at 256 word pieces, many scripts, accents, CJK, emoji,
    /// mojibake, control characters, special-token look-alikes, empty and blank texts, each with
    /// the numpy reference vector made by make_golden.py.
    @Test("golden texts: every weight within 1e-3 of the reference, same tokens above 1e-3")
    func golden() throws {
        let encoder = try Self.encoder.get()
        let rows = try readSpladeGolden()
        #expect(rows.count == 415)
        let vectors = encoder.encode(rows.map(\.text), threads: 2)
        var largest: Float = 0
        for (row, vector) in zip(rows, vectors) {
            let got = Dictionary(uniqueKeysWithValues: zip(vector.tokens, vector.weights))
            for token in Set(got.keys).union(row.vector.keys) {
                let difference = abs((got[token] ?? 0) - (row.vector[token] ?? 0))
                largest = max(largest, difference)
                #expect(difference <= 1e-3, "\(row.id) \(token)")
            }
            #expect(Set(got.filter { $0.value > 1e-3 }.keys) == Set(row.vector.filter { $0.value > 1e-3 }.keys), "\(row.id)")
            // One text alone gives the same vector as in a batch.
            if row.id == rows.first?.id { #expect(encoder.encode(row.text) == (vector.tokens, vector.weights)) }
        }
        #expect(largest < 1e-4)
    }

    /// Machines without AVX2 (or not x86-64) run the portable C kernels; this runs them here.
    @Test("the portable kernels give the reference vectors too")
    func portableKernels() throws {
        SpladeEncoder.forcePortableKernels(true)
        defer { SpladeEncoder.forcePortableKernels(false) }
        #expect(!SpladeEncoder.usesVectorKernels)
        let encoder = try SpladeEncoder(directory: try requireSharedData("models/splade-tiny"))
        // The short texts (queries and hand-written strings) keep the portable run quick.
        let rows = try readSpladeGolden().filter { $0.ids.count <= 40 }
        #expect(rows.count > 150)
        let vectors = encoder.encode(rows.map(\.text), threads: 2)
        for (row, vector) in zip(rows, vectors) {
            let got = Dictionary(uniqueKeysWithValues: zip(vector.tokens, vector.weights))
            let worst = Set(got.keys).union(row.vector.keys).map { abs((got[$0] ?? 0) - (row.vector[$0] ?? 0)) }.max() ?? 0
            #expect(worst <= 1e-4, "\(row.id)")
            #expect(Set(got.filter { $0.value > 1e-3 }.keys) == Set(row.vector.filter { $0.value > 1e-3 }.keys), "\(row.id)")
        }
    }

    @Test("SciFact encoded and searched by Sparrow scores as the reference vectors do")
    func scifactEndToEnd() throws {
        let encoder = try Self.encoder.get()
        let qrels = try Qrels.read(path: try requireSharedData("scifact/qrels/test.tsv"))
        let metric = [Metric("ndcg@10")!]
        func ndcg(_ index: SearchIndex, _ queries: [(record: VectorRecord, line: Int)]) throws -> Double {
            var run = Run()
            for (q, _) in queries {
                run.include(query: q.id)
                for hit in try index.search(q, k: 100) { run.append(query: q.id, doc: hit.id, score: Double(hit.score)) }
            }
            return Evaluator.evaluate(run: run, qrels: qrels, metrics: metric, includeUnretrieved: false).means[0]
        }
        let ours = try SearchIndex.build(fromTextFile: try requireSharedData("scifact/corpus.jsonl.gz"), encoder: encoder,
                                         model: "splade-tiny", threads: 2)
        let ourQueries = try ours.readQueries(fromFile: try requireSharedData("scifact/queries.test.jsonl"), encoder: .splade(encoder))
        let reference = try SearchIndex.build(fromVectorFile: try requireSharedData("scifact/splade-tiny/docs.jsonl.gz"))
        let referenceQueries = try readVectorRecords(fromFile: try requireSharedData("scifact/splade-tiny/queries.test.jsonl"))
        #expect(ours.documentCount == 5183 && ourQueries.count == 300)
        let (a, b) = (try ndcg(ours, ourQueries), try ndcg(reference, referenceQueries))
        #expect(abs(a - b) <= 0.002, "Sparrow-encoded nDCG@10 \(a), reference vectors \(b)")
        #expect(abs(b - 0.6436) < 0.0005)
    }

    @Test("an index remembers its encoder and refuses a query encoder with another vocabulary")
    func vocabularyCheck() throws {
        let encoder = try Self.encoder.get()
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/docs.tsv", "d1\tsparrows nest in hedges\nd2\tthe heron waits by the river\n")
        try SearchIndex.build(fromTextFile: dir + "/docs.tsv", encoder: encoder, model: "splade-tiny").write(to: dir + "/index")
        let index = try SearchIndex.open(at: dir + "/index")
        #expect(index.encoderInfo?.vocabularySize == encoder.tokenizer.tokens.count)
        #expect(try index.search(text: "where do sparrows nest", encoder: .splade(encoder), k: 1).first?.id == "d1")
        // The same vocabulary from vocab.txt is accepted; a different one is refused.
        writeFile(dir + "/vocab.txt", encoder.tokenizer.tokens.joined(separator: "\n") + "\n")
        let idf = { (vocab: String) throws -> QueryEncoder in
            writeFile(dir + "/idf.json", ###"{"sparrow": 2.0, "##s": 0.5, "nest": 1.0}"###)
            return .idf(try IDFQueryEncoder(table: dir + "/idf.json", tokenizer: WordPieceTokenizer(vocabularyFile: vocab)))
        }
        try index.requireCompatible(try idf(dir + "/vocab.txt"))
        writeFile(dir + "/small.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nsparrow\nnest\n##s\n")
        #expect(throws: IndexError.self) { try index.requireCompatible(try idf(dir + "/small.txt")) }
        #expect(throws: IndexError.self) { try index.search(text: "sparrow", encoder: try idf(dir + "/small.txt")) }
    }

    @Test("safetensors: F16 and BF16 are converted on load; bad files are refused with the file named")
    func safetensors() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF, smallest subnormal 0x0001.
        // BF16: 1.0 = 0x3F80, -3.0 = 0xC040.
        let half: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001]
        let bfloat: [UInt16] = [0x3F80, 0xC040]
        let header = #"{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]}}"#
        let data = (half + bfloat).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        writeFile(dir + "/m.safetensors", safetensorsFile(header: header, data: data))
        let t = try SafeTensors(path: dir + "/m.safetensors")
        #expect(try t.tensor("h", shape: [5]) == [1, -2, 0.5, 65504, Float(sign: .plus, exponent: -24, significand: 1)])
        #expect(try t.tensor("b", shape: [2]) == [1, -3])
        #expect(throws: TokenizerError.self) { try t.tensor("h", shape: [4]) }
        writeFile(dir + "/bad.safetensors", [1, 2, 3])
        #expect(throws: TokenizerError.self) { try SafeTensors(path: dir + "/bad.safetensors") }
    }
}

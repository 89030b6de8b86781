import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// BERT shapes the bundled model does not have, against the numpy reference: checkpoints with
/// hashed weights, rebuilt here exactly as `Tools/hf-reference/random_bert.py` writes them, whose
/// reference vectors `make_golden.py` computed (Tests/Fixtures/README.md has the commands).
extension SpladeEncoderTests {
    struct RandomBert: Sendable, CustomTestStringConvertible {
        var name: String
        var hidden, layers, heads, intermediate, positions: Int
        var seed: UInt64
        var maxLength: Int
        var decoderBias = -3.0
        var testDescription: String { "\(name): hidden \(hidden), \(layers) layers, \(heads) heads, maxlen \(maxLength)" }
    }

    static let randomBerts = [
        // Even hidden size: the int16 bounding pass of the vocabulary projection.
        RandomBert(name: "random-bert-a", hidden: 36, layers: 3, heads: 3, intermediate: 50, positions: 64, seed: 1,
                   maxLength: 64),
        // Odd hidden size and head width 11: the float projection and every kernel's ragged edges.
        RandomBert(name: "random-bert-b", hidden: 33, layers: 1, heads: 3, intermediate: 47, positions: 40, seed: 2,
                   maxLength: 40),
    ]

    /// `random_bert.py`'s tensors, in its order: name, shape, base, scale.
    static func tensors(_ m: RandomBert, vocabulary v: Int) -> [(String, [Int], Double, Double)] {
        let (h, i) = (m.hidden, m.intermediate)
        let e = "bert.embeddings."
        var list: [(String, [Int], Double, Double)] = [
            (e + "word_embeddings.weight", [v, h], 0, 0.25), (e + "position_embeddings.weight", [m.positions, h], 0, 0.125),
            (e + "token_type_embeddings.weight", [2, h], 0, 0.125), (e + "LayerNorm.gamma", [h], 1, 0.125),
            (e + "LayerNorm.beta", [h], 0, 0.0625),
        ]
        for layer in 0..<m.layers {
            let p = "bert.encoder.layer.\(layer)."
            for n in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                list += [(p + n + ".weight", [h, h], 0, 0.25), (p + n + ".bias", [h], 0, 0.0625)]
            }
            list += [(p + "attention.output.LayerNorm.gamma", [h], 1, 0.125), (p + "attention.output.LayerNorm.beta", [h], 0, 0.0625),
                     (p + "intermediate.dense.weight", [i, h], 0, 0.25), (p + "intermediate.dense.bias", [i], 0, 0.0625),
                     (p + "output.dense.weight", [h, i], 0, 0.25), (p + "output.dense.bias", [h], 0, 0.0625),
                     (p + "output.LayerNorm.gamma", [h], 1, 0.125), (p + "output.LayerNorm.beta", [h], 0, 0.0625)]
        }
        let c = "cls.predictions."
        list += [(c + "transform.dense.weight", [h, h], 0, 0.25), (c + "transform.dense.bias", [h], 0, 0.0625),
                 (c + "transform.LayerNorm.gamma", [h], 1, 0.125), (c + "transform.LayerNorm.beta", [h], 0, 0.0625),
                 (c + "bias", [v], m.decoderBias, 0.25)]
        return list
    }

    /// Writes the checkpoint of `m` (config.json, F32 model.safetensors, the bundled tokenizer).
    static func writeRandomBert(_ m: RandomBert, to dir: String) throws {
        let tokenizerFile = try requireSharedData("models/splade-tiny/tokenizer.json")
        let vocabulary = try WordPieceTokenizer(directory: try requireSharedData("models/splade-tiny")).tokens.count
        var header: [String] = []
        var data: [UInt8] = []
        for (t, (name, shape, base, scale)) in tensors(m, vocabulary: vocabulary).enumerated() {
            let count = shape.reduce(1, *)
            let start = data.count
            data.reserveCapacity(start + 4 * count)
            for i in 0..<count {
                var z = m.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(t) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(i)
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let bits = Float(base + scale * (Double(z >> 48) - 32768) / 32768).bitPattern
                data += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
            }
            header.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(start),\(data.count)]}")
        }
        writeFile(dir + "/model.safetensors", safetensorsFile(header: "{" + header.joined(separator: ",") + "}", data: data))
        writeFile(dir + "/tokenizer.json", readFileBytes(tokenizerFile))
        writeFile(dir + "/config.json", """
            {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": \(m.hidden),
             "num_hidden_layers": \(m.layers), "num_attention_heads": \(m.heads), "intermediate_size": \(m.intermediate),
             "max_position_embeddings": \(m.positions), "vocab_size": \(vocabulary), "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "tie_word_embeddings": true}
            """)
    }

    @Test("other BERT shapes equal the numpy reference, with the vector and the portable kernels",
          arguments: randomBerts, [false, true])
    func randomBert(_ m: RandomBert, portable: Bool) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        try Self.writeRandomBert(m, to: dir)
        SpladeEncoder.forcePortableKernels(portable)
        defer { SpladeEncoder.forcePortableKernels(false) }
        let encoder = try SpladeEncoder(directory: dir, maxLength: m.maxLength)
        #expect(encoder.config.hiddenSize == m.hidden && encoder.config.layers == m.layers)
        let rows = try String(decoding: readFileBytes(repositoryRoot + "/Tests/Fixtures/splade/\(m.name).jsonl"), as: UTF8.self)
            .split(separator: "\n").map { try JSONDecoder().decode(SpladeGolden.self, from: Data($0.utf8)) }
        #expect(rows.count == 39)
        #expect(rows.contains { $0.ids.count == m.maxLength })   // some texts are cut
        let vectors = encoder.encode(rows.map(\.text), threads: 2)
        var largest: Float = 0
        for (row, vector) in zip(rows, vectors) {
            #expect(encoder.tokenizer.encode(row.text, maxLength: m.maxLength) == row.ids, "\(row.id)")
            let got = Dictionary(uniqueKeysWithValues: zip(vector.tokens, vector.weights))
            for token in Set(got.keys).union(row.vector.keys) {
                largest = max(largest, abs((got[token] ?? 0) - (row.vector[token] ?? 0)))
            }
            #expect(Set(got.filter { $0.value > 1e-3 }.keys) == Set(row.vector.filter { $0.value > 1e-3 }.keys), "\(row.id)")
        }
        #expect(largest <= 1e-4, "largest difference \(largest)")
    }
}

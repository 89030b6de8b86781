import CKernels
import Dispatch
import Foundation
import Synchronization

/// The settings of a BERT checkpoint (`config.json`) that the forward pass needs.
public struct BertConfig: Sendable, Equatable {
    /// `hidden_size`: the width of every position's vector.
    public var hiddenSize: Int
    /// `num_hidden_layers`.
    public var layers: Int
    /// `num_attention_heads`; `hiddenSize` is a multiple of it.
    public var heads: Int
    /// `intermediate_size`: the width of the feed-forward layer.
    public var intermediateSize: Int
    /// `max_position_embeddings`: the longest input, in word pieces.
    public var maxPositions: Int
    /// `vocab_size`: the width of the MLM head's output.
    public var vocabularySize: Int
    /// `layer_norm_eps` (1e-12 when absent).
    public var layerNormEps: Float

    /// Reads `config.json`; missing or unusable settings are a ``TokenizerError`` naming the file.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw TokenizerError(path: path, "cannot be read as a JSON object") }
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? Int, v > 0 else { throw TokenizerError(path: path, "needs a positive integer \"\(key)\"") }
            return v
        }
        hiddenSize = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings")
        vocabularySize = try int("vocab_size")
        layerNormEps = (json["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        guard hiddenSize % heads == 0 else {
            throw TokenizerError(path: path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
        }
        if let act = json["hidden_act"] as? String, act != "gelu" {
            throw TokenizerError(path: path, "hidden_act \(act) is not supported (gelu with erf is)")
        }
    }
}

/// A SPLADE encoder over a BERT masked-language model, run in Swift (matrix products in
/// `CKernels`): text → word pieces → BERT → MLM head → for each vocabulary entry j,
/// `w_j = log(1 + max(0, max over positions of logit_j))`; the entries with `w_j > 0` form the
/// sparse vector.
///
/// Loads `config.json`, `model.safetensors` (F32, or F16/BF16 converted on load) and the tokenizer
/// from a model directory. Works for any BERT size; the bundled model is
/// `../shared/data/models/splade-tiny` (2 layers, hidden size 128).
///
/// ```swift
/// let encoder = try SpladeEncoder(directory: "../shared/data/models/splade-tiny")
/// let (tokens, weights) = encoder.encode("what is paula deen's brother")
/// let vectors = encoder.encode(["first text", "second text"], threads: 2)
/// ```
public final class SpladeEncoder: Sendable {
    /// The model's word-piece tokenizer (from its `tokenizer.json` or `vocab.txt`).
    public let tokenizer: WordPieceTokenizer
    /// The model's `config.json`.
    public let config: BertConfig
    /// Word pieces per text, `[CLS]` and `[SEP]` included (longer texts are cut, keeping `[SEP]`).
    public let maxLength: Int

    struct Linear: Sendable {
        /// Row-major `inputs × outputs`: the transpose of PyTorch's `weight`.
        var weight: [Float]
        var bias: [Float]
        var inputs: Int
        var outputs: Int

        init(_ t: SafeTensors, _ name: String, inputs: Int, outputs: Int) throws {
            let w = try t.tensor(name + ".weight", shape: [outputs, inputs])
            var transposed = [Float](repeating: 0, count: w.count)
            for o in 0..<outputs { for i in 0..<inputs { transposed[i * outputs + o] = w[o * inputs + i] } }
            weight = transposed
            bias = try t.tensor(name + ".bias", shape: [outputs])
            self.inputs = inputs
            self.outputs = outputs
        }

        /// `out[rows × outputs] = x[rows × inputs] · weight + bias`.
        func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    sparrow_gemm(Int32(rows), Int32(outputs), Int32(inputs), x, Int32(inputs), w.baseAddress,
                                 Int32(outputs), b.baseAddress, out, Int32(outputs))
                }
            }
        }
    }

    struct Norm: Sendable {
        var gamma: [Float]
        var beta: [Float]
        init(_ t: SafeTensors, _ name: String, size: Int) throws {
            gamma = try t.tensor(name + ".gamma", name + ".weight", shape: [size])
            beta = try t.tensor(name + ".beta", name + ".bias", shape: [size])
        }
    }

    struct Layer: Sendable {
        var query, key, value, attentionOutput, intermediate, output: Linear
        var attentionNorm, outputNorm: Norm
    }

    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbedding: [Float]
    let embeddingNorm: Norm
    let layers: [Layer]
    let transform: Linear
    let transformNorm: Norm
    /// The decoder, `hidden × vocabulary`: the word embeddings transposed (tied weights), or the
    /// checkpoint's own decoder.
    let decoder: [Float]
    let decoderBias: [Float]
    /// The decoder's rows (`vocabulary × hidden`) and its int16 copy for the bounding pass, when the
    /// machine has AVX2 and the hidden size allows exact int32 sums (even, at most 512).
    let decoderRows: [Float]
    let quantizedDecoder: QuantizedMatrix?

    /// Loads the model in `directory` (`config.json`, `model.safetensors`, `tokenizer.json` or
    /// `vocab.txt`); texts are cut to `maxLength` word pieces (at most `max_position_embeddings`).
    public init(directory: String, maxLength: Int = 256) throws {
        tokenizer = try WordPieceTokenizer(directory: directory)
        config = try BertConfig(path: directory + "/config.json")
        guard maxLength >= 2 && maxLength <= config.maxPositions else {
            throw TokenizerError(path: directory, "maxLength must be between 2 and \(config.maxPositions), not \(maxLength)")
        }
        self.maxLength = maxLength
        let t = try SafeTensors(path: directory + "/model.safetensors")
        let config = self.config
        let (h, v) = (config.hiddenSize, config.vocabularySize)
        guard tokenizer.tokens.count <= v else {
            throw TokenizerError(path: directory, "the tokenizer has \(tokenizer.tokens.count) tokens, the model \(v)")
        }
        let e = "bert.embeddings."
        wordEmbeddings = try t.tensor(e + "word_embeddings.weight", shape: [v, h])
        positionEmbeddings = try t.tensor(e + "position_embeddings.weight", shape: [config.maxPositions, h])
        let types = try t.tensor(e + "token_type_embeddings.weight", shape: [t.tensors[e + "token_type_embeddings.weight"]?.shape.first ?? 2, h])
        tokenTypeEmbedding = Array(types[0..<h])
        embeddingNorm = try Norm(t, e + "LayerNorm", size: h)
        layers = try (0..<config.layers).map { i in
            let p = "bert.encoder.layer.\(i)."
            return Layer(
                query: try Linear(t, p + "attention.self.query", inputs: h, outputs: h),
                key: try Linear(t, p + "attention.self.key", inputs: h, outputs: h),
                value: try Linear(t, p + "attention.self.value", inputs: h, outputs: h),
                attentionOutput: try Linear(t, p + "attention.output.dense", inputs: h, outputs: h),
                intermediate: try Linear(t, p + "intermediate.dense", inputs: h, outputs: config.intermediateSize),
                output: try Linear(t, p + "output.dense", inputs: config.intermediateSize, outputs: h),
                attentionNorm: try Norm(t, p + "attention.output.LayerNorm", size: h),
                outputNorm: try Norm(t, p + "output.LayerNorm", size: h))
        }
        transform = try Linear(t, "cls.predictions.transform.dense", inputs: h, outputs: h)
        transformNorm = try Norm(t, "cls.predictions.transform.LayerNorm", size: h)
        let decoderRows = t.tensors["cls.predictions.decoder.weight"] != nil
            ? try t.tensor("cls.predictions.decoder.weight", shape: [v, h]) : wordEmbeddings
        var transposed = [Float](repeating: 0, count: v * h)
        for j in 0..<v { for i in 0..<h { transposed[i * v + j] = decoderRows[j * h + i] } }
        decoder = transposed
        decoderBias = try t.tensor("cls.predictions.bias", "cls.predictions.decoder.bias", shape: [v])
        self.decoderRows = decoderRows
        quantizedDecoder = sparrow_kernels_use_avx2() != 0 && h % 2 == 0 && h <= 512
            ? transposed.withUnsafeBufferPointer { QuantizedMatrix(sparrow_quantize_columns(Int32(h), Int32(v), $0.baseAddress)) }
            : nil
    }

    /// How many texts the bulk paths (`sparrow encode`, `index --encoder`) hand to
    /// ``encode(_:threads:)`` at a time: enough to keep every thread busy, few enough for a
    /// lively progress line.
    public static let batchSize = 256

    /// Whether the matrix kernels run with AVX2/FMA on this machine (otherwise in portable C).
    public static var usesVectorKernels: Bool { sparrow_kernels_use_avx2() != 0 }

    /// With `true`, every encoder kernel runs its portable C version from now on, as on a machine
    /// without AVX2; `false` lets the CPU choose again. It affects the whole process; it exists so
    /// tests and comparisons can exercise the portable path on any machine.
    ///
    /// ```swift
    /// SpladeEncoder.forcePortableKernels(true)
    /// defer { SpladeEncoder.forcePortableKernels(false) }
    /// ```
    public static func forcePortableKernels(_ on: Bool) { sparrow_kernels_force_portable(on ? 1 : 0) }

    /// The sparse vector of `text`: tokens with a positive weight, in vocabulary order.
    public func encode(_ text: String) -> (tokens: [String], weights: [Float]) {
        let logits = maxLogits(tokenizer.encode(text, maxLength: maxLength))
        var tokens: [String] = []
        var weights: [Float] = []
        for (j, m) in logits.enumerated() where m > 0 {
            let w = Float(log1p(Double(m)))
            guard w > 0, j < tokenizer.tokens.count else { continue }
            tokens.append(tokenizer.tokens[j])
            weights.append(w)
        }
        return (tokens, weights)
    }

    /// Encodes `texts` on `threads` threads (each thread takes the next text); results in input order.
    /// `progress`, if given, is called with the number of texts done so far (from any thread).
    public func encode(_ texts: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                       progress: (@Sendable (Int) -> Void)? = nil) -> [(tokens: [String], weights: [Float])] {
        let results = ResultSlots<(tokens: [String], weights: [Float])>(count: texts.count)
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, texts.count))) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < texts.count else { return }
                results.set(i, encode(texts[i]))
                let finished = done.add(1, ordering: .relaxed).newValue
                progress?(finished)
            }
        }
        return results.values()
    }

    /// For each vocabulary entry, the largest MLM logit over the positions of `ids`.
    func maxLogits(_ ids: [Int32]) -> [Float] {
        let n = ids.count
        let h = config.hiddenSize
        var x = [Float](repeating: 0, count: n * h)
        // Embeddings: word + position + token type 0, then LayerNorm.
        for (p, id) in ids.enumerated() {
            let w = Int(id) * h
            for i in 0..<h {
                x[p * h + i] = wordEmbeddings[w + i] + positionEmbeddings[p * h + i] + tokenTypeEmbedding[i]
            }
        }
        layerNorm(&x, rows: n, embeddingNorm)
        for layer in layers { encoderLayer(&x, rows: n, layer) }
        // MLM head: dense, GELU, LayerNorm, then the decoder's column maxima.
        var t = [Float](repeating: 0, count: n * h)
        x.withUnsafeBufferPointer { xs in t.withUnsafeMutableBufferPointer { transform.apply(xs.baseAddress!, rows: n, into: $0.baseAddress!) } }
        gelu(&t)
        layerNorm(&t, rows: n, transformNorm)
        var out = [Float](repeating: 0, count: config.vocabularySize)
        t.withUnsafeBufferPointer { a in
            decoderBias.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    if let q = quantizedDecoder {
                        // Exact wherever the maximum is positive, which is all SPLADE keeps.
                        decoderRows.withUnsafeBufferPointer { rows in
                            withUnsafePointer(to: q.matrix) { qm in
                                _ = sparrow_column_max_pruned(Int32(n), a.baseAddress, Int32(h), qm, rows.baseAddress,
                                                              b.baseAddress, o.baseAddress)
                            }
                        }
                    } else {
                        decoder.withUnsafeBufferPointer { d in
                            sparrow_gemm_column_max(Int32(n), Int32(config.vocabularySize), Int32(h), a.baseAddress, Int32(h),
                                                    d.baseAddress, Int32(config.vocabularySize), b.baseAddress, o.baseAddress)
                        }
                    }
                }
            }
        }
        return out
    }

    /// One transformer layer: self-attention, residual and LayerNorm; feed-forward with GELU,
    /// residual and LayerNorm.
    private func encoderLayer(_ x: inout [Float], rows n: Int, _ layer: Layer) {
        let h = config.hiddenSize
        let heads = config.heads
        let d = h / heads
        var q = [Float](repeating: 0, count: n * h)
        var k = [Float](repeating: 0, count: n * h)
        var v = [Float](repeating: 0, count: n * h)
        x.withUnsafeBufferPointer { xs in
            q.withUnsafeMutableBufferPointer { layer.query.apply(xs.baseAddress!, rows: n, into: $0.baseAddress!) }
            k.withUnsafeMutableBufferPointer { layer.key.apply(xs.baseAddress!, rows: n, into: $0.baseAddress!) }
            v.withUnsafeMutableBufferPointer { layer.value.apply(xs.baseAddress!, rows: n, into: $0.baseAddress!) }
        }
        // Keys transposed (hidden × positions), so scores are a plain product per head.
        var kt = [Float](repeating: 0, count: h * n)
        for p in 0..<n { for i in 0..<h { kt[i * n + p] = k[p * h + i] } }
        var context = [Float](repeating: 0, count: n * h)
        var scores = [Float](repeating: 0, count: n * n)
        let scale = 1 / Float(d).squareRoot()
        for head in 0..<heads {
            q.withUnsafeBufferPointer { qs in
                kt.withUnsafeBufferPointer { ks in
                    scores.withUnsafeMutableBufferPointer { s in
                        sparrow_gemm(Int32(n), Int32(n), Int32(d), qs.baseAddress! + head * d, Int32(h),
                                     ks.baseAddress! + head * d * n, Int32(n), nil, s.baseAddress, Int32(n))
                    }
                }
            }
            scores.withUnsafeMutableBufferPointer { sparrow_softmax_rows($0.baseAddress, Int32(n), Int32(n), scale) }
            scores.withUnsafeBufferPointer { s in
                v.withUnsafeBufferPointer { vs in
                    context.withUnsafeMutableBufferPointer { out in
                        sparrow_gemm(Int32(n), Int32(d), Int32(n), s.baseAddress, Int32(n), vs.baseAddress! + head * d, Int32(h),
                                     nil, out.baseAddress! + head * d, Int32(h))
                    }
                }
            }
        }
        var attention = [Float](repeating: 0, count: n * h)
        context.withUnsafeBufferPointer { c in
            attention.withUnsafeMutableBufferPointer { layer.attentionOutput.apply(c.baseAddress!, rows: n, into: $0.baseAddress!) }
        }
        for i in 0..<(n * h) { attention[i] += x[i] }
        layerNorm(&attention, rows: n, layer.attentionNorm)
        var inner = [Float](repeating: 0, count: n * config.intermediateSize)
        attention.withUnsafeBufferPointer { a in
            inner.withUnsafeMutableBufferPointer { layer.intermediate.apply(a.baseAddress!, rows: n, into: $0.baseAddress!) }
        }
        gelu(&inner)
        inner.withUnsafeBufferPointer { a in
            x.withUnsafeMutableBufferPointer { layer.output.apply(a.baseAddress!, rows: n, into: $0.baseAddress!) }
        }
        for i in 0..<(n * h) { x[i] += attention[i] }
        layerNorm(&x, rows: n, layer.outputNorm)
    }

    private func layerNorm(_ x: inout [Float], rows: Int, _ norm: Norm) {
        x.withUnsafeMutableBufferPointer { xs in
            norm.gamma.withUnsafeBufferPointer { g in
                norm.beta.withUnsafeBufferPointer { b in
                    sparrow_layer_norm(xs.baseAddress, Int32(rows), Int32(config.hiddenSize), g.baseAddress, b.baseAddress,
                                       config.layerNormEps)
                }
            }
        }
    }

    /// GELU with erf: `0.5 x (1 + erf(x / √2))`.
    private func gelu(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { sparrow_gelu($0.baseAddress, $0.count) }
    }
}

/// Owns a C `sparrow_quantized_matrix` (read-only after creation, so shared across threads).
final class QuantizedMatrix: @unchecked Sendable {
    let matrix: sparrow_quantized_matrix
    init(_ matrix: sparrow_quantized_matrix) { self.matrix = matrix }
    deinit {
        var m = matrix
        sparrow_quantized_matrix_free(&m)
    }
}

/// One slot per task, each written by exactly one thread, read after all have finished.
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ i: Int, _ value: T) { slots[i] = value }
    func values() -> [T] { slots.map { $0! } }
}

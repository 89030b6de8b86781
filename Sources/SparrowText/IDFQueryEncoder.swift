import Foundation

/// OpenSearch's inference-free ("doc-only") query encoder: a query's word pieces, each weighted by
/// a fixed table, so that no model runs at query time. Documents are encoded by a learned model
/// with the same vocabulary.
///
/// Every distinct word piece counts once, with its table weight; special tokens (`[CLS]`, …) and
/// pieces the table lacks are dropped.
///
/// ```swift
/// let encoder = try IDFQueryEncoder(table: "../shared/data/idf/opensearch-doc-v2-idf.json",
///                                   tokenizer: WordPieceTokenizer(directory: "../shared/data/models/splade-tiny"))
/// let (tokens, weights) = encoder.encode("what's the weather in ny now?")
/// ```
public struct IDFQueryEncoder: Sendable {
    /// The word-piece tokenizer whose vocabulary the table is keyed by.
    public let tokenizer: WordPieceTokenizer
    /// Weight by token id (0 for a token the table does not list).
    public let weights: [Float]

    /// Reads a JSON object of token → weight.
    public init(table path: String, tokenizer: WordPieceTokenizer) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError(path: path, "cannot read the IDF table (\(error.localizedDescription))")
        }
        guard let table = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError(path: path, "is not a JSON object of token: weight")
        }
        var weights = [Float](repeating: 0, count: tokenizer.tokens.count)
        for (token, value) in table {
            guard let number = value as? NSNumber, number.doubleValue.isFinite, number.doubleValue >= 0 else {
                throw TokenizerError(path: path, "weight of \"\(token)\" is not a finite non-negative number")
            }
            if let id = tokenizer.ids[token] { weights[Int(id)] = number.floatValue }
        }
        self.tokenizer = tokenizer
        self.weights = weights
    }

    /// The query's distinct word pieces, in order of first occurrence, with their weights.
    public func encode(_ text: String) -> (tokens: [String], weights: [Float]) {
        var seen = Set<Int32>()
        var tokens: [String] = []
        var out: [Float] = []
        let specials = Set(tokenizer.specialTokens.map(\.id))
        for id in tokenizer.pieceIDs(text) where !specials.contains(id) && seen.insert(id).inserted {
            let w = weights[Int(id)]
            guard w > 0 else { continue }
            tokens.append(tokenizer.tokens[Int(id)])
            out.append(w)
        }
        return (tokens, out)
    }
}

import Foundation

/// BERT's WordPiece tokenizer, as the Hugging Face `tokenizers` library runs it for uncased BERT
/// models (`BertNormalizer`, `BertPreTokenizer`, `WordPiece`, `[CLS] … [SEP]` template).
///
/// 1. Special tokens (`[CLS]`, `[SEP]`, `[MASK]`, …) written in the text are kept whole.
/// 2. Normalisation: control characters, NUL and U+FFFD dropped, whitespace made a space, spaces
///    put around CJK ideographs, accents stripped (NFD, then non-spacing marks removed), lower case.
/// 3. Pre-tokenisation: split at whitespace; every punctuation character is a word of its own.
/// 4. WordPiece: each word becomes the longest vocabulary prefix, then the longest `##`
///    continuation, and so on; a word with no such split, or longer than 100 characters, is `[UNK]`.
///
/// ```swift
/// let tokenizer = try WordPieceTokenizer(directory: "../shared/data/models/splade-tiny")
/// tokenizer.tokenize("Sparrows' nests")           // ["sparrow", "##s", "'", "nests"]
/// tokenizer.encode("Sparrows' nests", maxLength: 256)   // [101, …, 102]
/// ```
public struct WordPieceTokenizer: Sendable {
    /// Token strings by id.
    public let tokens: [String]
    /// Token ids by string.
    public let ids: [String: Int32]
    /// The id of `[UNK]` (the model's unknown token).
    public let unknownID: Int32
    /// The id of `[CLS]`, which starts every encoded text.
    public let classifierID: Int32
    /// The id of `[SEP]`, which ends every encoded text.
    public let separatorID: Int32
    /// Special tokens matched in raw text (longest first), and the characters they start with.
    let specialTokens: [(text: [Unicode.Scalar], id: Int32)]
    let specialStarts: Set<Unicode.Scalar>
    /// BERT normalisation: lower-case the text (uncased models).
    public var lowercase = true
    /// BERT normalisation: strip accents (NFD, then drop combining marks).
    public var stripAccents = true
    /// BERT normalisation: put spaces around CJK ideographs, so each is a word.
    public var handleChineseCharacters = true
    /// BERT normalisation: drop control characters and turn whitespace into spaces.
    public var cleanText = true
    /// The prefix of a word piece that continues a word.
    public var continuingPrefix = "##"
    /// Words longer than this (in characters) become `[UNK]`.
    public var maxCharactersPerWord = 100

    /// Loads `tokenizer.json` from `directory`, or `vocab.txt` when there is no `tokenizer.json`.
    public init(directory: String) throws {
        let json = directory + "/tokenizer.json"
        let vocabulary = directory + "/vocab.txt"
        if FileManager.default.fileExists(atPath: json) {
            try self.init(tokenizerJSON: json)
        } else if FileManager.default.fileExists(atPath: vocabulary) {
            try self.init(vocabularyFile: vocabulary)
        } else {
            throw TokenizerError(path: directory, "holds neither tokenizer.json nor vocab.txt (is it a model directory?)")
        }
    }

    /// Reads a Hugging Face `tokenizer.json` with a `WordPiece` model.
    public init(tokenizerJSON path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError(path: path, "cannot read the file (\(error.localizedDescription))")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any]
        else { throw TokenizerError(path: path, "is not a tokenizer.json object with a \"model\"") }
        guard (model["type"] as? String) == "WordPiece", let vocab = model["vocab"] as? [String: Int] else {
            throw TokenizerError(path: path, "model is not WordPiece with a vocab (only BERT-style tokenizers are supported)")
        }
        var tokens = [String](repeating: "", count: (vocab.values.max() ?? -1) + 1)
        for (token, id) in vocab {
            guard id >= 0 else { throw TokenizerError(path: path, "negative id for \"\(token)\"") }
            tokens[id] = token
        }
        let unknown = model["unk_token"] as? String ?? "[UNK]"
        let added = (root["added_tokens"] as? [[String: Any]] ?? []).compactMap { entry -> (String, Int)? in
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int,
                  entry["special"] as? Bool ?? false else { return nil }
            return (content, id)
        }
        try self.init(tokens: tokens, unknown: unknown, specials: added.map(\.0), path: path)
        if let prefix = model["continuing_subword_prefix"] as? String { continuingPrefix = prefix }
        if let limit = model["max_input_chars_per_word"] as? Int { maxCharactersPerWord = limit }
        if let normalizer = root["normalizer"] as? [String: Any] {
            guard (normalizer["type"] as? String) == "BertNormalizer" else {
                throw TokenizerError(path: path, "normalizer \(normalizer["type"] ?? "?") is not supported (BertNormalizer is)")
            }
            lowercase = normalizer["lowercase"] as? Bool ?? true
            stripAccents = normalizer["strip_accents"] as? Bool ?? lowercase
            handleChineseCharacters = normalizer["handle_chinese_chars"] as? Bool ?? true
            cleanText = normalizer["clean_text"] as? Bool ?? true
        }
    }

    /// Reads a BERT `vocab.txt` (one token per line, the line number is the id); uncased BERT settings.
    public init(vocabularyFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TokenizerError(path: path, "cannot read the vocabulary file")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        try self.init(tokens: lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }, unknown: "[UNK]",
                      specials: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], path: path)
    }

    private init(tokens: [String], unknown: String, specials: [String], path: String) throws {
        var ids: [String: Int32] = [:]
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        func id(_ t: String) throws -> Int32 {
            guard let i = ids[t] else { throw TokenizerError(path: path, "vocabulary has no \(t) token") }
            return i
        }
        self.tokens = tokens
        self.ids = ids
        unknownID = try id(unknown)
        classifierID = try id("[CLS]")
        separatorID = try id("[SEP]")
        specialTokens = try specials.filter { !$0.isEmpty }.map { (Array($0.unicodeScalars), try id($0)) }
            .sorted { $0.text.count > $1.text.count }
        specialStarts = Set(specialTokens.map { $0.text[0] })
    }

    /// FNV-1a 64 (hex) of the tokens in id order, each followed by a newline: two tokenizers
    /// with the same fingerprint map text to the same ids.
    public var vocabularyFingerprint: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for token in tokens {
            for byte in token.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            h = (h ^ 0x0A) &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }

    /// The word pieces of `text`, without `[CLS]`/`[SEP]`.
    public func tokenize(_ text: String) -> [String] {
        pieceIDs(text).map { tokens[Int($0)] }
    }

    /// The ids of `text` framed as `[CLS] … [SEP]`; with `maxLength`, the pieces are cut so that
    /// the result, `[SEP]` included, has at most `maxLength` ids.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var pieces = pieceIDs(text)
        if let maxLength, pieces.count > maxLength - 2 { pieces.removeSubrange(max(0, maxLength - 2)...) }
        return [classifierID] + pieces + [separatorID]
    }

    /// Word-piece ids of `text`, without the frame.
    public func pieceIDs(_ text: String) -> [Int32] {
        var out: [Int32] = []
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var i = 0
        // Special tokens written in the text stand for themselves.
        while i < scalars.count {
            if specialStarts.contains(scalars[i]), let special = specialTokens.first(where: { matches($0.text, scalars, at: i) }) {
                appendPieces(of: scalars[start..<i], to: &out)
                out.append(special.id)
                i += special.text.count
                start = i
            } else {
                i += 1
            }
        }
        appendPieces(of: scalars[start..<scalars.count], to: &out)
        return out
    }

    private func matches(_ needle: [Unicode.Scalar], _ hay: [Unicode.Scalar], at i: Int) -> Bool {
        i + needle.count <= hay.count && needle.indices.allSatisfy { hay[i + $0] == needle[$0] }
    }

    private func appendPieces(of raw: ArraySlice<Unicode.Scalar>, to out: inout [Int32]) {
        if raw.isEmpty { return }
        for word in words(normalize(raw)) { appendWordPieces(word, to: &out) }
    }

    /// BertNormalizer.
    func normalize(_ raw: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(raw.count)
        for c in raw {
            if cleanText {
                if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
                if Self.isWhitespace(c) { out.append(" "); continue }
            }
            if handleChineseCharacters && Self.isCJK(c.value) {
                out.append(" ")
                out.append(c)
                out.append(" ")
            } else {
                out.append(c)
            }
        }
        if stripAccents {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: out)
            out = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(out.count)
            for c in out {
                if c.value < 0x80 {
                    lowered.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c)
                } else if c.properties.changesWhenLowercased {
                    lowered.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
                } else {
                    lowered.append(c)
                }
            }
            out = lowered
        }
        return out
    }

    /// BertPreTokenizer: whitespace separates words, and each punctuation character is a word.
    func words(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start: Int?
        for (i, c) in text.enumerated() {
            if c.properties.isWhitespace {
                if let s = start { words.append(text[s..<i]); start = nil }
            } else if Self.isPunctuation(c) {
                if let s = start { words.append(text[s..<i]); start = nil }
                words.append(text[i...i])
            } else if start == nil {
                start = i
            }
        }
        if let s = start { words.append(text[s..<text.count]) }
        return words
    }

    /// Greedy longest-match-first WordPiece of one word.
    func appendWordPieces(_ word: ArraySlice<Unicode.Scalar>, to out: inout [Int32]) {
        guard word.count <= maxCharactersPerWord else { out.append(unknownID); return }
        let first = out.count
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while start < end {
                var candidate = String.UnicodeScalarView()
                if start > word.startIndex { candidate.append(contentsOf: continuingPrefix.unicodeScalars) }
                candidate.append(contentsOf: word[start..<end])
                if let id = ids[String(candidate)] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(first...)
                out.append(unknownID)
                return
            }
            out.append(id)
            start = end
        }
    }

    /// Rust's `char::is_whitespace` plus tab, newline and return.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    /// Unicode categories Cc, Cf, Cn, Co, Cs, except tab, newline and return.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (symbols included) or a Unicode punctuation category.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK ideograph blocks BERT puts spaces around.
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}

/// A tokenizer or encoder file that cannot be used.
public struct TokenizerError: Error, Sendable, CustomStringConvertible {
    /// The file or directory at fault.
    public var path: String
    /// What is wrong with it, as a sentence.
    public var problem: String
    init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}

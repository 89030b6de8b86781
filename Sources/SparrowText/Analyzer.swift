/// Turns text into index terms: a tokenizer followed by filters.
///
/// The default, ``english``, is the analyzer Anserini uses for English (Lucene's): the
/// ``StandardTokenizer``, then English possessives removed (`dog's` → `dog`), lower-casing,
/// Lucene's 33 English stop words removed, and the ``PorterStemmer``.
///
/// ```swift
/// Analyzer.english.analyze("Mary had a little lamb")   // ["mari", "had", "littl", "lamb"]
/// Analyzer.english.analyze("sample query")             // ["sampl", "queri"]
/// ```
public struct Analyzer: Sendable, Equatable, Codable, CustomStringConvertible {
    /// How text is cut into tokens.
    public enum Tokenizer: String, Sendable, Codable, CaseIterable {
        /// Unicode word boundaries (UAX #29) as Lucene's `StandardTokenizer` finds them.
        case standard
        /// Runs of letters (Unicode category L), as Lucene's `LetterTokenizer`.
        case letters
        /// Runs of non-whitespace (Java's `Character.isWhitespace`), as Lucene's `WhitespaceTokenizer`.
        case whitespace
    }

    /// Which words are dropped.
    public enum StopWords: String, Sendable, Codable, CaseIterable {
        /// Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (33 words).
        case lucene
        case none
    }

    /// How words are reduced to stems.
    public enum Stemmer: String, Sendable, Codable, CaseIterable {
        case porter
        case none
    }

    /// How text is cut into tokens.
    public var tokenizer: Tokenizer
    /// Removes a trailing `'s`, `’s` or `＇s` (Lucene's `EnglishPossessiveFilter`), before lower-casing.
    public var possessives: Bool
    /// Lower-cases each character (Unicode simple case mapping, as Java's `Character.toLowerCase`).
    public var lowercase: Bool
    /// Which tokens are dropped after lower-casing.
    public var stopWords: StopWords
    /// How the remaining tokens are stemmed.
    public var stemmer: Stemmer

    /// An analyzer from its parts, applied in Lucene's order: tokenizer, possessives, lower case,
    /// stop words, stemmer. ``english`` is Anserini's default.
    public init(tokenizer: Tokenizer, possessives: Bool, lowercase: Bool, stopWords: StopWords, stemmer: Stemmer) {
        self.tokenizer = tokenizer
        self.possessives = possessives
        self.lowercase = lowercase
        self.stopWords = stopWords
        self.stemmer = stemmer
    }

    /// Anserini's default English analyzer (Lucene `StandardTokenizer`, `EnglishPossessiveFilter`,
    /// `LowerCaseFilter`, `StopFilter` with the English stop set, `PorterStemFilter`).
    public static let english = Analyzer(tokenizer: .standard, possessives: true, lowercase: true,
                                         stopWords: .lucene, stemmer: .porter)
    /// Lucene's `StandardAnalyzer`: standard tokens, lower-cased; no stop words, no stemming.
    public static let standard = Analyzer(tokenizer: .standard, possessives: false, lowercase: true,
                                          stopWords: .none, stemmer: .none)
    /// Lucene's `SimpleAnalyzer`: runs of letters, lower-cased.
    public static let simple = Analyzer(tokenizer: .letters, possessives: false, lowercase: true,
                                        stopWords: .none, stemmer: .none)
    /// Lucene's `WhitespaceAnalyzer`: whitespace-separated tokens, unchanged.
    public static let whitespace = Analyzer(tokenizer: .whitespace, possessives: false, lowercase: false,
                                            stopWords: .none, stemmer: .none)

    /// The presets by name: `english`, `standard`, `simple`, `whitespace`.
    public static let presets: [(name: String, analyzer: Analyzer)] = [
        ("english", .english), ("standard", .standard), ("simple", .simple), ("whitespace", .whitespace),
    ]

    /// The preset called `name`, if any.
    public static func named(_ name: String) -> Analyzer? {
        presets.first { $0.name == name }?.analyzer
    }

    /// A preset's name, or a description of every setting.
    public var description: String {
        if let preset = Self.presets.first(where: { $0.analyzer == self }) { return preset.name }
        return "tokenizer=\(tokenizer.rawValue) possessives=\(possessives) lowercase=\(lowercase) "
            + "stopwords=\(stopWords.rawValue) stemmer=\(stemmer.rawValue)"
    }

    /// The terms of `text`, in order, repeats kept.
    public func analyze(_ text: String) -> [String] {
        var terms: [String] = []
        analyze(text) { terms.append($0) }
        return terms
    }

    /// Calls `body` with each term of `text`, in order.
    public func analyze(_ text: String, _ body: (String) -> Void) {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars { scalars.append(s.value) }
        var word: [UInt32] = []
        var utf8: [UInt8] = []
        scalars.withUnsafeBufferPointer { all in
            forEachToken(all) { range in
                word.removeAll(keepingCapacity: true)
                word.append(contentsOf: all[range])
                if possessives { Self.removePossessive(&word) }
                if lowercase { Self.lowercase(&word) }
                if stopWords == .lucene && Self.isEnglishStopWord(word) { return }
                if stemmer == .porter { PorterStemmer.stem(&word) }
                body(Self.string(word, buffer: &utf8))
            }
        }
    }

    private func forEachToken(_ scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void) {
        switch tokenizer {
        case .standard:
            StandardTokenizer().tokenize(scalars, body)
        case .letters:
            Self.runs(scalars, body) { s in
                guard let u = Unicode.Scalar(s) else { return false }
                switch u.properties.generalCategory {
                case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
                default: return false
                }
            }
        case .whitespace:
            Self.runs(scalars, body) { !Self.isJavaWhitespace($0) }
        }
    }

    /// Maximal runs of characters that satisfy `member`, cut every 255 UTF-16 units as Lucene's
    /// `CharTokenizer` does.
    private static func runs(_ scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void,
                             member: (UInt32) -> Bool) {
        var start: Int?
        var units = 0
        for (i, s) in scalars.enumerated() {
            if member(s) {
                let width = s > 0xFFFF ? 2 : 1
                if let st = start, units + width > StandardTokenizer.maxTokenLength {
                    body(st..<i)
                    start = i
                    units = 0
                }
                if start == nil { start = i }
                units += width
            } else if let st = start {
                body(st..<i)
                start = nil
                units = 0
            }
        }
        if let st = start { body(st..<scalars.count) }
    }

    /// Java's `Character.isWhitespace`: space, line and paragraph separators other than the
    /// no-break spaces, and the ASCII controls 9–13 and 28–31.
    static func isJavaWhitespace(_ s: UInt32) -> Bool {
        if (9...13).contains(s) || (28...31).contains(s) { return true }
        if s == 0x20 { return true }
        if s < 0x80 || s == 0xA0 || s == 0x2007 || s == 0x202F { return false }
        guard let u = Unicode.Scalar(s) else { return false }
        switch u.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    static func removePossessive(_ word: inout [UInt32]) {
        let n = word.count
        guard n >= 2 else { return }
        let quote = word[n - 2]
        let s = word[n - 1]
        if (quote == 0x27 || quote == 0x2019 || quote == 0xFF07) && (s == 0x73 || s == 0x53) {
            word.removeLast(2)
        }
    }

    static func lowercase(_ word: inout [UInt32]) {
        for i in word.indices {
            let s = word[i]
            if s < 0x80 {
                if s >= 0x41 && s <= 0x5A { word[i] = s + 32 }
            } else if let u = Unicode.Scalar(s), u.properties.changesWhenLowercased {
                // Simple case mapping: the full mapping's first scalar (they differ only for U+0130).
                word[i] = u.properties.lowercaseMapping.unicodeScalars.first?.value ?? s
            }
        }
    }

    /// Lucene's English stop set, packed as ASCII bytes into integers for a lookup without a string.
    private static let englishStopWords: Set<UInt64> = Set([
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
        "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this",
        "to", "was", "will", "with",
    ].map { word in word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } })

    /// The 33 words of Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`.
    public static var englishStopWordList: [String] {
        englishStopWords.map { packed in
            var bytes: [UInt8] = []
            var v = packed
            while v != 0 { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
            return String(decoding: bytes, as: UTF8.self)
        }.sorted()
    }

    static func isEnglishStopWord(_ word: [UInt32]) -> Bool {
        guard word.count <= 5 else { return false }
        var packed: UInt64 = 0
        for s in word {
            guard s < 0x80 else { return false }
            packed = packed << 8 | UInt64(s)
        }
        return englishStopWords.contains(packed)
    }

    /// `word` as a string, encoded through `buffer` (reused, to avoid growing a string scalar by scalar).
    static func string(_ word: [UInt32], buffer: inout [UInt8]) -> String {
        buffer.removeAll(keepingCapacity: true)
        for s in word {
            if s < 0x80 {
                buffer.append(UInt8(s))
            } else if let u = Unicode.Scalar(s) {
                buffer.append(contentsOf: UTF8.encode(u)!)
            }
        }
        return String(decoding: buffer, as: UTF8.self)
    }
}

extension Analyzer {
    /// The settings as strings, for storing beside an index.
    public var settings: [String: String] {
        ["tokenizer": tokenizer.rawValue, "possessives": String(possessives), "lowercase": String(lowercase),
         "stopwords": stopWords.rawValue, "stemmer": stemmer.rawValue]
    }

    /// The analyzer `settings` describe, or nil when a setting is missing or unknown (an index
    /// written by a newer Sparrow).
    public init?(settings: [String: String]) {
        guard let tokenizer = settings["tokenizer"].flatMap(Tokenizer.init(rawValue:)),
              let possessives = settings["possessives"].flatMap(Bool.init),
              let lowercase = settings["lowercase"].flatMap(Bool.init),
              let stopWords = settings["stopwords"].flatMap(StopWords.init(rawValue:)),
              let stemmer = settings["stemmer"].flatMap(Stemmer.init(rawValue:))
        else { return nil }
        self.init(tokenizer: tokenizer, possessives: possessives, lowercase: lowercase, stopWords: stopWords,
                  stemmer: stemmer)
    }

    /// The terms of `text` with how often each occurs, in order of first occurrence: a query
    /// vector in which a repeated word weighs as many times as it occurs.
    public func termCounts(_ text: String) -> (terms: [String], counts: [Int]) {
        var terms: [String] = []
        var counts: [Int] = []
        var position: [String: Int] = [:]
        analyze(text) { term in
            if let p = position[term] {
                counts[p] += 1
            } else {
                position[term] = terms.count
                terms.append(term)
                counts.append(1)
            }
        }
        return (terms, counts)
    }
}

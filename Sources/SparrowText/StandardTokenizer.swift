/// Splits text into words at Unicode (UAX #29) word boundaries, as Lucene's `StandardTokenizer`
/// does.
///
/// A token is the longest match, at the current position, of one of Lucene's rules:
/// - a word: letters, digits, katakana and connectors (`_`), with `'`, `.`, `:` and the like
///   allowed *between* letters (`o'neil`, `u.s.a`) and `.`, `,`, `;` *between* digits (`3.14`,
///   `1,000`);
/// - a run of South-East-Asian script (Thai, Lao, Myanmar, Khmer), kept whole;
/// - one Han ideograph, or one hiragana character;
/// - an emoji: a character with its presentation selector or skin tone, a ZWJ sequence, a tag
///   sequence, a keycap (`1️⃣`), or a pair of regional indicators (a flag).
///
/// Combining marks, format characters and ZWJ stay with the character they follow. Everything
/// else (spaces, punctuation, symbols) separates tokens and is dropped. A token never exceeds
/// 255 UTF-16 code units (Lucene's default `maxTokenLength`); a longer word is cut there and the
/// rest starts a new token.
public struct StandardTokenizer: Sendable {
    /// Lucene's `StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH`, in UTF-16 code units.
    public static let maxTokenLength = 255

    /// A tokenizer with Lucene's default settings.
    public init() {}

    /// Calls `body` with the scalar range of each token of `scalars`, in order.

    public func tokenize(_ scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void) {
        let table = WordClassTable.shared
        var i = 0
        let n = scalars.count
        while i < n {
            // A match may not run past 255 UTF-16 units from its start. Supplementary characters
            // take two units, so 255 scalars is an upper bound; tighten it only when it matters.
            var end = ScanView(scalars: scalars, limit: min(n, i + Self.maxTokenLength), table: table)
                .longestMatch(at: i)
            if end - i > Self.maxTokenLength / 2 {
                var limit = i
                var units = 0
                while limit < end {
                    units += scalars[limit] > 0xFFFF ? 2 : 1
                    if units > Self.maxTokenLength { break }
                    limit += 1
                }
                if limit < end {
                    end = ScanView(scalars: scalars, limit: limit, table: table).longestMatch(at: i)
                }
            }
            if end > i {
                body(i..<end)
                i = end
            } else {
                i += 1
            }
        }
    }
}

/// The characters a match may look at, and their classes.
struct ScanView {
    let scalars: UnsafeBufferPointer<UInt32>
    /// One past the last scalar the current match may include.
    let limit: Int
    let table: WordClassTable

    init(scalars: UnsafeBufferPointer<UInt32>, limit: Int, table: WordClassTable) {
        self.scalars = scalars
        self.limit = limit
        self.table = table
    }

    func classAt(_ i: Int) -> WordClass { table(scalars[i]) }

    /// Skips Extend, Format and ZWJ characters (UAX #29 WB4) from `i`.
    func skipAttached(_ i: Int) -> Int {
        var j = i
        while j < limit {
            let k = classAt(j).kind
            guard k == .extendOrFormat || k == .zwj else { break }
            j += 1
        }
        return j
    }

    /// The end of the longest token starting at `i`, or `i` when no rule matches there.
    func longestMatch(at i: Int) -> Int {
        let c = classAt(i)
        var best = word(at: i)
        if c.has(.complexContext) {
            var j = i
            while j < limit {
                let cj = classAt(j)
                if cj.has(.complexContext) || cj.kind == .extendOrFormat || cj.kind == .zwj { j += 1 } else { break }
            }
            best = max(best, j)
        }
        if c.has(.han) || c.has(.hiragana) { best = max(best, skipAttached(i + 1)) }
        let s = scalars[i]
        if c.raw >= 0x100 || c.kind == .zwj || c.kind == .regionalIndicator
            || s == 0x23 || s == 0x2A || (s >= 0x30 && s <= 0x39) {
            best = max(best, emoji(at: i))
        }
        return best
    }

    /// The word rule (UAX #29 WB5–WB13b as Lucene's grammar states them): the end of the longest
    /// word starting at `i`, or `i`.
    func word(at start: Int) -> Int {
        // States of a small automaton; `accepting` states may end a word.
        enum State { case start, leadingConnector, letter, hebrewLetter, digit, katakana, connector,
                     midLetter, midDigit, hebrewDoubleQuote, hebrewUnit }
        var state = State.start
        var lastAccept = start
        var i = start
        var kind = classAt(i).kind   // the class of the character at `i`, looked up once
        while i < limit {
            let next: State?
            switch (state, kind) {
            case (.start, .extendNumLet), (.leadingConnector, .extendNumLet): next = .leadingConnector
            case (.connector, .extendNumLet), (.letter, .extendNumLet), (.hebrewLetter, .extendNumLet),
                 (.digit, .extendNumLet), (.katakana, .extendNumLet), (.hebrewUnit, .extendNumLet):
                next = .connector
            case (.start, .aLetter), (.leadingConnector, .aLetter), (.connector, .aLetter), (.letter, .aLetter),
                 (.hebrewLetter, .aLetter), (.digit, .aLetter), (.midLetter, .aLetter), (.hebrewUnit, .aLetter):
                next = .letter
            case (.start, .hebrewLetter), (.leadingConnector, .hebrewLetter), (.connector, .hebrewLetter),
                 (.letter, .hebrewLetter), (.hebrewLetter, .hebrewLetter), (.digit, .hebrewLetter),
                 (.midLetter, .hebrewLetter), (.hebrewUnit, .hebrewLetter):
                next = .hebrewLetter
            case (.start, .numeric), (.leadingConnector, .numeric), (.connector, .numeric), (.letter, .numeric),
                 (.hebrewLetter, .numeric), (.digit, .numeric), (.midDigit, .numeric), (.hebrewUnit, .numeric):
                next = .digit
            case (.start, .katakana), (.leadingConnector, .katakana), (.connector, .katakana),
                 (.katakana, .katakana):
                next = .katakana
            case (.letter, .midLetter), (.letter, .midNumLet), (.letter, .singleQuote),
                 (.hebrewLetter, .midLetter), (.hebrewLetter, .midNumLet):
                next = .midLetter
            // Hebrew_Letter Single_Quote ends a unit (WB7a) and may also join two letters (WB6/7).
            case (.hebrewLetter, .singleQuote): next = .hebrewUnit
            case (.hebrewLetter, .doubleQuote): next = .hebrewDoubleQuote
            case (.hebrewDoubleQuote, .hebrewLetter): next = .hebrewUnit
            case (.digit, .midNum), (.digit, .midNumLet), (.digit, .singleQuote): next = .midDigit
            default: next = nil
            }
            guard let next else { break }
            state = next
            i += 1
            while i < limit {   // attached characters (WB4), leaving `kind` at the next one
                kind = classAt(i).kind
                guard kind == .extendOrFormat || kind == .zwj else { break }
                i += 1
            }
            switch state {
            case .letter, .hebrewLetter, .digit, .katakana, .connector, .hebrewUnit: lastAccept = i
            default: break
            }
        }
        return lastAccept
    }

    /// The emoji rule: the end of the longest emoji sequence starting at `i`, or `i`.
    func emoji(at i: Int) -> Int {
        var best = i
        // Keycap: [0-9#*] (attached)* FE0F? 20E3 (attached)*.
        let s = scalars[i]
        if s == 0x23 || s == 0x2A || (s >= 0x30 && s <= 0x39) {
            for p in attachedRun(from: i + 1) {
                var q = p
                if q < limit && scalars[q] == 0xFE0F { q += 1 }
                if q < limit && scalars[q] == 0x20E3 { best = max(best, skipAttachedSansSelectors(q + 1)) }
            }
            return best
        }
        // A flag: two regional indicators.
        if classAt(i).kind == .regionalIndicator {
            let j = skipAttached(i + 1)
            if j < limit && classAt(j).kind == .regionalIndicator { best = skipAttached(j + 1) }
            return best
        }
        // unit ( (ZWJ unit)* | tag-spec+ tag-term )
        let first = units(at: i)
        var frontier = first
        var seen = Set(first)
        while let p = frontier.popLast() {
            best = max(best, p)
            if p < limit && scalars[p] == 0x200D {
                for e in units(at: p + 1) where seen.insert(e).inserted { frontier.append(e) }
            }
        }
        for p in first {
            var q = p
            while q < limit && scalars[q] >= 0xE0020 && scalars[q] <= 0xE007E { q += 1 }
            if q > p && q < limit && scalars[q] == 0xE007F { best = max(best, q + 1) }
        }
        return best
    }

    /// Attached characters other than the presentation selectors FE0E and FE0F.
    func skipAttachedSansSelectors(_ i: Int) -> Int {
        var j = i
        while j < limit {
            let k = classAt(j).kind
            guard (k == .extendOrFormat || k == .zwj) && scalars[j] != 0xFE0E && scalars[j] != 0xFE0F else { break }
            j += 1
        }
        return j
    }

    /// Every position a run of attached characters (sans selectors) from `i` may end at.
    func attachedRun(from i: Int) -> ClosedRange<Int> { i...skipAttachedSansSelectors(i) }

    /// Ends of one emoji unit at `i`: `ZWJ* char FE0F?`, or `(ZWJ* base)? modifier`, each character
    /// followed by attached characters.
    func units(at i: Int) -> [Int] {
        var ends: [Int] = []
        var k = i
        while k < limit && scalars[k] == 0x200D { k += 1 }
        if k < limit {
            let c = classAt(k)
            if c.has(.emojiCharacter) {
                for p in attachedRun(from: k + 1) { ends.append(p) }
                let e = skipAttachedSansSelectors(k + 1)
                if e < limit && scalars[e] == 0xFE0F { ends.append(e + 1) }
            }
            if c.has(.emojiModifierBase) {
                for p in attachedRun(from: k + 1) where p < limit && classAt(p).has(.emojiModifier) {
                    ends.append(contentsOf: attachedRun(from: p + 1))
                }
            }
        }
        if i < limit && classAt(i).has(.emojiModifier) { ends.append(contentsOf: attachedRun(from: i + 1)) }
        return ends
    }
}

/// The word-break class of a code point, as Lucene's StandardTokenizer grammar sees it
/// (UAX #29 word-break property, Unicode 9.0), plus flags for the script and emoji properties
/// the grammar also uses.
struct WordClass: Equatable {
    let raw: UInt16

    init(raw: UInt16) { self.raw = raw }

    var kind: Kind { Kind(rawValue: UInt8(truncatingIfNeeded: raw)) ?? .other }
    func has(_ flag: Flag) -> Bool { raw & (UInt16(flag.rawValue) << 8) != 0 }

    /// Word-break property values the grammar distinguishes (the low byte).
    enum Kind: UInt8 {
        case other = 0
        case aLetter = 1
        case hebrewLetter = 2
        case numeric = 3
        case katakana = 4
        case extendNumLet = 5
        case midLetter = 6
        case midNum = 7
        case midNumLet = 8
        case singleQuote = 9
        case doubleQuote = 10
        /// Extend or Format: attaches to the character before it (UAX #29 WB4).
        case extendOrFormat = 11
        case zwj = 12
        case regionalIndicator = 13
    }

    /// Other properties (the high byte).
    enum Flag: UInt8 {
        /// Line_Break = Complex_Context: Thai, Lao, Myanmar, Khmer, … kept together.
        case complexContext = 1
        case han = 2
        case hiragana = 4
        /// Extended_Pictographic, or Emoji other than digits, `#`, `*`, ©, ®, ™, 〰, 〽, regional
        /// indicators and skin-tone modifiers.
        case emojiCharacter = 8
        case emojiModifierBase = 16
        case emojiModifier = 32
    }
}

/// Code point → ``WordClass``, as a two-level table built once from the generated runs.
///
/// The table lives for the whole process (it is the shared instance), so it is kept in plain
/// allocated memory and read without bounds checks on the tokenizer's hot path.
final class WordClassTable: @unchecked Sendable {
    static let shared = WordClassTable()

    /// For each block of 128 code points, the offset of its 128 values in `values`.
    private let blockStarts: UnsafeMutablePointer<Int32>
    private let values: UnsafeMutablePointer<UInt16>

    private init() {
        var full = [UInt16](repeating: 0, count: 0x110000)
        var runs: [(start: Int, value: UInt16)] = []
        unicodeWordClassRuns.withUTF8Buffer { text in
            var number = 0
            var start = 0
            for byte in text {
                switch byte {
                case UInt8(ascii: ":"): start = number; number = 0
                case UInt8(ascii: ";"): runs.append((start, UInt16(number))); number = 0
                case UInt8(ascii: "0")...UInt8(ascii: "9"): number = number * 16 + Int(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): number = number * 16 + Int(byte - UInt8(ascii: "a")) + 10
                default: break  // line breaks of the literal
                }
            }
        }
        for (i, run) in runs.enumerated() {
            let end = i + 1 < runs.count ? runs[i + 1].start : full.count
            for c in run.start..<end { full[c] = run.value }
        }
        var starts: [Int32] = []
        var values: [UInt16] = []
        var seen: [[UInt16]: Int32] = [:]
        for block in stride(from: 0, to: full.count, by: 128) {
            let slice = Array(full[block..<(block + 128)])
            if let known = seen[slice] {
                starts.append(known)
            } else {
                let offset = Int32(values.count)
                seen[slice] = offset
                values += slice
                starts.append(offset)
            }
        }
        blockStarts = .allocate(capacity: starts.count)
        blockStarts.initialize(from: starts, count: starts.count)
        self.values = .allocate(capacity: values.count)
        self.values.initialize(from: values, count: values.count)
    }

    @inline(__always)
    func callAsFunction(_ scalar: UInt32) -> WordClass {
        guard scalar < 0x110000 else { return WordClass(raw: 0) }
        return WordClass(raw: values[Int(blockStarts[Int(scalar >> 7)]) + Int(scalar & 127)])
    }
}

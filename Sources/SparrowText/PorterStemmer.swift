/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), in the form
/// Lucene's `PorterStemFilter` applies it: Porter's own reference implementation, which differs
/// from the paper in two rules of step 2 (`-bli` → `-ble` instead of `-abli` → `-able`, and
/// `-logi` → `-log`), and leaves words of one or two characters alone.
///
/// Works in place on lower-case text held as Unicode scalars; any character other than `a e i o u`
/// (and `y` after a consonant) counts as a consonant, as in the reference.
///
/// ```swift
/// var word = Array("relational".unicodeScalars.map(\.value))
/// PorterStemmer.stem(&word)   // "relat"
/// ```
public enum PorterStemmer {
    /// Stems `word` in place.
    public static func stem(_ word: inout [UInt32]) {
        guard word.count > 2 else { return }
        var s = State(b: [])
        swap(&s.b, &word)   // work on the caller's storage: no copy
        s.k = s.b.count - 1
        s.step1ab()
        s.step1c()
        s.step2()
        s.step3()
        s.step4()
        s.step5()
        swap(&s.b, &word)
        word.removeSubrange((s.k + 1)...)
    }

    /// Stems a `String` (convenience for tests and tools).
    public static func stem(_ word: String) -> String {
        var scalars = word.unicodeScalars.map(\.value)
        stem(&scalars)
        var out = String.UnicodeScalarView()
        for v in scalars { if let u = Unicode.Scalar(v) { out.append(u) } }
        return String(out)
    }

    /// The reference implementation's variables: `b[0...k]` is the current word, and `j` marks the
    /// end of the stem once `ends` has matched a suffix.
    struct State {
        var b: [UInt32]
        var k: Int
        var j = 0
        var changed = false

        init(b: [UInt32]) {
            self.b = b
            self.k = b.count - 1
        }

        static let a = UInt32(UInt8(ascii: "a")), e = UInt32(UInt8(ascii: "e")), i = UInt32(UInt8(ascii: "i"))
        static let o = UInt32(UInt8(ascii: "o")), u = UInt32(UInt8(ascii: "u")), y = UInt32(UInt8(ascii: "y"))
        static let s = UInt32(UInt8(ascii: "s")), l = UInt32(UInt8(ascii: "l")), z = UInt32(UInt8(ascii: "z"))
        static let w = UInt32(UInt8(ascii: "w")), x = UInt32(UInt8(ascii: "x")), t = UInt32(UInt8(ascii: "t"))

        func ch(_ p: Int) -> UInt32 { b[p] }

        /// Is `b[p]` a consonant?
        func cons(_ p: Int) -> Bool {
            switch b[p] {
            case Self.a, Self.e, Self.i, Self.o, Self.u: return false
            case Self.y: return p == 0 ? true : !cons(p - 1)
            default: return true
            }
        }

        /// The measure m of `b[0...j]`: the number of vowel–consonant sequences.
        func m() -> Int {
            var n = 0
            var p = 0
            while true {
                if p > j { return n }
                if !cons(p) { break }
                p += 1
            }
            p += 1
            while true {
                while true {
                    if p > j { return n }
                    if cons(p) { break }
                    p += 1
                }
                p += 1
                n += 1
                while true {
                    if p > j { return n }
                    if !cons(p) { break }
                    p += 1
                }
                p += 1
            }
        }

        /// Does `b[0...j]` contain a vowel?
        func vowelInStem() -> Bool {
            var p = 0
            while p <= j {
                if !cons(p) { return true }
                p += 1
            }
            return false
        }

        /// Does `b[p-1...p]` hold a double consonant?
        func doubleConsonant(_ p: Int) -> Bool {
            p >= 1 && b[p] == b[p - 1] && cons(p)
        }

        /// Is `b[p-2...p]` consonant–vowel–consonant with the last not `w`, `x` or `y`?
        func cvc(_ p: Int) -> Bool {
            if p < 2 || !cons(p) || cons(p - 1) || !cons(p - 2) { return false }
            let c = b[p]
            return !(c == Self.w || c == Self.x || c == Self.y)
        }

        /// Does `b[0...k]` end with `suffix`? Sets `j` to the end of the stem when it does.
        mutating func ends(_ suffix: StaticString) -> Bool {
            let length = suffix.utf8CodeUnitCount
            let start = k - length + 1
            if start < 0 { return false }
            let matches = suffix.withUTF8Buffer { text in
                for q in 0..<length where b[start + q] != UInt32(text[q]) { return false }
                return true
            }
            if !matches { return false }
            j = k - length
            return true
        }

        /// Replaces `b[j+1...k]` with `replacement`.
        mutating func setTo(_ replacement: StaticString) {
            let length = replacement.utf8CodeUnitCount
            let start = j + 1
            replacement.withUTF8Buffer { text in
                for q in 0..<length {
                    if start + q < b.count { b[start + q] = UInt32(text[q]) } else { b.append(UInt32(text[q])) }
                }
            }
            k = j + length
            changed = true
        }

        /// `setTo` when the stem's measure is positive.
        mutating func replace(_ replacement: StaticString) {
            if m() > 0 { setTo(replacement) }
        }

        /// Step 1a (plurals) and 1b (`-ed`, `-ing`).
        mutating func step1ab() {
            if b[k] == Self.s {
                if ends("sses") { k -= 2 } else if ends("ies") { setTo("i") } else if b[k - 1] != Self.s { k -= 1 }
            }
            if ends("eed") {
                if m() > 0 { k -= 1 }
            } else if (ends("ed") || ends("ing")) && vowelInStem() {
                k = j
                if ends("at") {
                    setTo("ate")
                } else if ends("bl") {
                    setTo("ble")
                } else if ends("iz") {
                    setTo("ize")
                } else if doubleConsonant(k) {
                    k -= 1
                    let c = b[k]
                    if c == Self.l || c == Self.s || c == Self.z { k += 1 }
                } else if m() == 1 && cvc(k) {
                    setTo("e")
                }
            }
        }

        /// Step 1c: a final `y` after a vowel-containing stem becomes `i`.
        mutating func step1c() {
            if ends("y") && vowelInStem() {
                b[k] = Self.i
                changed = true
            }
        }

        /// Step 2: double suffixes to single ones (`-ization` → `-ize`, …) when m > 0.
        mutating func step2() {
            if k == 0 { return }
            switch b[k - 1] {
            case UInt32(UInt8(ascii: "a")):
                if ends("ational") { replace("ate") } else if ends("tional") { replace("tion") }
            case UInt32(UInt8(ascii: "c")):
                if ends("enci") { replace("ence") } else if ends("anci") { replace("ance") }
            case UInt32(UInt8(ascii: "e")):
                if ends("izer") { replace("ize") }
            case UInt32(UInt8(ascii: "l")):
                if ends("bli") { replace("ble") }
                else if ends("alli") { replace("al") }
                else if ends("entli") { replace("ent") }
                else if ends("eli") { replace("e") }
                else if ends("ousli") { replace("ous") }
            case UInt32(UInt8(ascii: "o")):
                if ends("ization") { replace("ize") }
                else if ends("ation") { replace("ate") }
                else if ends("ator") { replace("ate") }
            case UInt32(UInt8(ascii: "s")):
                if ends("alism") { replace("al") }
                else if ends("iveness") { replace("ive") }
                else if ends("fulness") { replace("ful") }
                else if ends("ousness") { replace("ous") }
            case UInt32(UInt8(ascii: "t")):
                if ends("aliti") { replace("al") }
                else if ends("iviti") { replace("ive") }
                else if ends("biliti") { replace("ble") }
            case UInt32(UInt8(ascii: "g")):
                if ends("logi") { replace("log") }
            default:
                break
            }
        }

        /// Step 3: `-ic-`, `-full`, `-ness` and the like, when m > 0.
        mutating func step3() {
            switch b[k] {
            case UInt32(UInt8(ascii: "e")):
                if ends("icate") { replace("ic") } else if ends("ative") { replace("") } else if ends("alize") { replace("al") }
            case UInt32(UInt8(ascii: "i")):
                if ends("iciti") { replace("ic") }
            case UInt32(UInt8(ascii: "l")):
                if ends("ical") { replace("ic") } else if ends("ful") { replace("") }
            case UInt32(UInt8(ascii: "s")):
                if ends("ness") { replace("") }
            default:
                break
            }
        }

        /// Step 4: drops `-ant`, `-ence`, `-ment`, … when m > 1.
        mutating func step4() {
            if k == 0 { return }
            let found: Bool
            switch b[k - 1] {
            case UInt32(UInt8(ascii: "a")): found = ends("al")
            case UInt32(UInt8(ascii: "c")): found = ends("ance") || ends("ence")
            case UInt32(UInt8(ascii: "e")): found = ends("er")
            case UInt32(UInt8(ascii: "i")): found = ends("ic")
            case UInt32(UInt8(ascii: "l")): found = ends("able") || ends("ible")
            case UInt32(UInt8(ascii: "n")): found = ends("ant") || ends("ement") || ends("ment") || ends("ent")
            case UInt32(UInt8(ascii: "o")):
                found = (ends("ion") && j >= 0 && (b[j] == Self.s || b[j] == Self.t)) || ends("ou")
            case UInt32(UInt8(ascii: "s")): found = ends("ism")
            case UInt32(UInt8(ascii: "t")): found = ends("ate") || ends("iti")
            case UInt32(UInt8(ascii: "u")): found = ends("ous")
            case UInt32(UInt8(ascii: "v")): found = ends("ive")
            case UInt32(UInt8(ascii: "z")): found = ends("ize")
            default: found = false
            }
            if found && m() > 1 { k = j }
        }

        /// Step 5: a final `-e` goes when m > 1 (or m = 1 and not *o), and `-ll` becomes `-l` when m > 1.
        mutating func step5() {
            j = k
            if b[k] == Self.e {
                let measure = m()
                if measure > 1 || (measure == 1 && !cvc(k - 1)) { k -= 1 }
            }
            if b[k] == Self.l && doubleConsonant(k) && m() > 1 { k -= 1 }
        }
    }
}

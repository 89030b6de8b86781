import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// Sparrow's analyzer against real Lucene 9 / Anserini 0.22.1 output
/// (Tools/lucene-reference/make-fixtures.sh made the fixtures).
struct AnalyzerLuceneParityTests {
    static let fixtures = repositoryRoot + "/Tests/Fixtures/analyzer/"

    struct Line: Decodable { var id: String; var text: String?; var tokens: [String]? }

    static func readLines(_ name: String) throws -> [Line] {
        let text = String(decoding: readFileBytes(fixtures + name), as: UTF8.self)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// The standard tokenizer alone: no possessive, case or stop-word filter, no stemming.
    static let tokenizerOnly = Analyzer(tokenizer: .standard, possessives: false, lowercase: false,
                                        stopWords: .none, stemmer: .none)

    @Test("hand-picked hard strings: English analyzer and bare tokenizer equal Lucene")
    func edgeCases() throws {
        let inputs = try Self.readLines("edge-cases.jsonl")
        let english = try Self.readLines("edge-cases.lucene-english.jsonl")
        let tokenizer = try Self.readLines("edge-cases.lucene-tokenizer.jsonl")
        #expect(inputs.count == english.count && inputs.count == tokenizer.count && inputs.count > 30)
        for (input, (e, t)) in zip(inputs, zip(english, tokenizer)) {
            let text = try #require(input.text)
            #expect(Analyzer.english.analyze(text) == e.tokens, "\(input.id): \(text.prefix(60))")
            #expect(Self.tokenizerOnly.analyze(text) == t.tokens, "\(input.id): \(text.prefix(60))")
        }
    }

    @Test("the examples of the issue")
    func examples() {
        #expect(Analyzer.english.analyze("sample query") == ["sampl", "queri"])
        #expect(Analyzer.english.analyze("Mary had a little lamb") == ["mari", "had", "littl", "lamb"])
        #expect(Analyzer.english.analyze("") == [])
        #expect(Analyzer.english.analyze("The dog's bone, the DOG’S BONE") == ["dog", "bone", "dog", "bone"])
        #expect(Analyzer.englishStopWordList.count == 33)
    }

    @Test("every document and query of the shared collections analyses as in Lucene")
    func sharedCollections() throws {
        // FNV-1a 64 of the tokens joined by single spaces, as the Java tool computes it.
        let expected = readTabSeparatedPairs(Self.fixtures + "corpora.lucene-english.hashes.tsv")
        #expect(expected.count > 50_000)
        var checked = 0
        var mismatches: [String] = []
        try forEachSharedText { id, text in
            checked += 1
            if expected[id] != fnv1a64Hex(Analyzer.english.analyze(text).joined(separator: " ")) && mismatches.count < 10 {
                mismatches.append("\(id): \(text.prefix(80))")
            }
        }
        #expect(checked == expected.count)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}

struct PorterStemmerTests {
    /// Examples printed in M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980,
    /// step by step (the expected stems are the paper's).
    static let paper: [(String, String)] = [
        // Step 1a
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
        // Step 1b
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
        ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
        ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
        ("filing", "file"),
        // Step 1c
        ("happy", "happi"), ("sky", "sky"),
        // Step 2 (the stems after all steps)
        ("relational", "relat"), ("conditional", "condit"), ("rational", "ration"), ("valenci", "valenc"),
        ("hesitanci", "hesit"), ("digitizer", "digit"), ("radicalli", "radic"), ("differentli", "differ"),
        ("vileli", "vile"), ("analogousli", "analog"), ("vietnamization", "vietnam"), ("predication", "predic"),
        ("operator", "oper"), ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"),
        ("callousness", "callous"), ("formaliti", "formal"), ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"),
        // Step 3
        ("triplicate", "triplic"), ("formative", "form"), ("formalize", "formal"), ("electriciti", "electr"),
        ("electrical", "electr"), ("hopeful", "hope"), ("goodness", "good"),
        // Step 4
        ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"), ("airliner", "airlin"),
        ("gyroscopic", "gyroscop"), ("adjustable", "adjust"), ("defensible", "defens"), ("irritant", "irrit"),
        ("replacement", "replac"), ("adjustment", "adjust"), ("dependent", "depend"), ("adoption", "adopt"),
        ("homologou", "homolog"), ("communism", "commun"), ("activate", "activ"), ("angulariti", "angular"),
        ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
        // Step 5
        ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"),
        // The paper's running example
        ("generalizations", "gener"), ("oscillators", "oscil"),
    ]

    @Test("the published examples of the algorithm")
    func paperExamples() {
        for (word, stem) in Self.paper {
            #expect(PorterStemmer.stem(word) == stem, "\(word)")
        }
    }

    /// Porter's reference implementation (which Lucene ports) departs from the paper in step 2:
    /// `-bli` → `-ble` replaces `-abli` → `-able`, and `-logi` → `-log` is added.
    @Test("the reference implementation's two step-2 departures")
    func departures() {
        #expect(PorterStemmer.stem("conformabli") == "conform")
        #expect(PorterStemmer.stem("possibli") == "possibl")   // paper: unchanged by step 2
        #expect(PorterStemmer.stem("archaeologi") == "archaeolog")
    }

    /// 78,397 words (every a–z run of the shared collections' texts) stemmed by NLTK's
    /// `PorterStemmer(mode: MARTIN_EXTENSIONS)`, Porter's own reference implementation
    /// (Tools/porter-reference/make_fixture.py).
    @Test("a large real vocabulary stems as Porter's reference implementation stems it")
    func referenceVocabulary() throws {
        var checked = 0
        var mismatches: [String] = []
        try LineReader(path: repositoryRoot + "/Tests/Fixtures/analyzer/porter.nltk-martin.tsv.gz").forEachLine { line, _ in
            let fields = String(decoding: line, as: UTF8.self).split(separator: "\t").map(String.init)
            guard fields.count == 2 else { return }
            checked += 1
            let stem = PorterStemmer.stem(fields[0])
            if stem != fields[1] && mismatches.count < 20 { mismatches.append("\(fields[0]): \(stem), expected \(fields[1])") }
        }
        #expect(checked > 78_000)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("words of one or two letters are left alone")
    func short() {
        for w in ["a", "is", "as", "ys", "s", ""] { #expect(PorterStemmer.stem(w) == w) }
    }
}

struct SmallFloatTests {
    /// Lucene's `SmallFloat.intToByte4` and `byte4ToInt` for 0...4096 and a geometric sweep to
    /// Int32.max, written by Tools/lucene-reference/make-fixtures.sh.
    @Test("intToByte4 and byte4ToInt equal Lucene's")
    func againstLucene() {
        let table = String(decoding: readFileBytes(repositoryRoot + "/Tests/Fixtures/analyzer/smallfloat.lucene.tsv"),
                           as: UTF8.self)
        var rows = 0
        for line in table.split(separator: "\n") {
            let f = line.split(separator: "\t").map { Int($0)! }
            #expect(Int(SmallFloat.intToByte4(f[0])) == f[1], "\(f[0])")
            #expect(SmallFloat.byte4ToInt(UInt8(f[1])) == f[2], "\(f[0])")
            rows += 1
        }
        #expect(rows > 4000)
    }

    /// Worked by hand from the definition: below 24 a length is its own code; above, 24 plus a
    /// 4-significant-bit code of (length − 24) with a 3-bit mantissa and the exponent in the upper bits.
    @Test("hand-worked values")
    func handWorked() {
        #expect(SmallFloat.intToByte4(23) == 23)
        // 100 − 24 = 76 = 0b1001100: 7 bits, shift 3, mantissa (76 >> 3) & 7 = 1,
        // 4-bit code 1 | (3 + 1) << 3 = 33, byte 24 + 33 = 57.
        #expect(SmallFloat.intToByte4(100) == 57)
        // Decoding 57: 57 − 24 = 33, mantissa 1, shift 3: (1 | 8) << 3 = 72, plus 24 = 96;
        // lengths 96...103 share the byte.
        #expect(SmallFloat.byte4ToInt(57) == 96)
        #expect(SmallFloat.intToByte4(103) == 57 && SmallFloat.intToByte4(104) == 58)
        #expect(SmallFloat.byte4ToInt(255) <= Int(Int32.max))
        for code in 0...255 { #expect(SmallFloat.intToByte4(SmallFloat.byte4ToInt(UInt8(code))) == UInt8(code)) }
    }
}

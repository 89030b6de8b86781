import Foundation
import Sparrow

/// Calls `body(id, text)` for every document (BEIR flat text: title + " " + text) and query of
/// the shared collections, with the ids and in the order of Tools/lucene-reference/corpus_texts.py:
/// `COLLECTION/DOCID` and `COLLECTION/q/QID`.
public func forEachSharedText(_ body: (String, String) throws -> Void) throws {
    for c in ["scifact", "nfcorpus", "cranfield", "cacm", "msmarco-dl-pool", "msmarco-dev-queries"] {
        let dir = try requireSharedData(c)
        let files = listDirectory(dir)
        if files.contains("corpus.jsonl.gz") {
            try TextRecordReader.forEach(path: dir + "/corpus.jsonl.gz") { r, _ in try body("\(c)/\(r.id)", r.text) }
        }
        for q in files.filter({ $0.hasPrefix("queries") && $0.hasSuffix(".jsonl") }).sorted() {
            try TextRecordReader.forEach(path: dir + "/" + q) { r, _ in try body("\(c)/q/\(r.id)", r.text) }
        }
    }
}

/// FNV-1a 64 of the UTF-8 bytes of `s`, in lower-case hex, as the fixture tools write it.
public func fnv1a64Hex(_ s: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(h, radix: 16)
}

/// A `key<TAB>value` file as a dictionary.
public func readTabSeparatedPairs(_ path: String) -> [String: String] {
    var pairs: [String: String] = [:]
    for line in String(decoding: readFileBytes(path), as: UTF8.self).split(separator: "\n") {
        let f = line.split(separator: "\t", maxSplits: 1)
        if f.count == 2 { pairs[String(f[0])] = String(f[1]) }
    }
    return pairs
}

/// One row of a SPLADE parity file written by `../shared/tools/reference/make_golden.py`: the
/// Hugging Face `tokenizers` ids (maxlen 256, `[SEP]` kept) and the numpy reference vector.
public struct SpladeGolden: Decodable, Sendable {
    public var id: String
    public var text: String
    public var ids: [Int32]
    public var vector: [String: Float]
}

/// The SPLADE parity rows: the model's own `golden.jsonl` (105 texts, in ../shared) followed by
/// the committed `Tests/Fixtures/splade/golden.jsonl` (310 texts; Tests/Fixtures/README.md says
/// how it was made).
public func readSpladeGolden() throws -> [SpladeGolden] {
    let files = [try requireSharedData("models/splade-tiny/golden.jsonl"),
                 repositoryRoot + "/Tests/Fixtures/splade/golden.jsonl"]
    return try files.flatMap { path in
        try String(decoding: readFileBytes(path), as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(SpladeGolden.self, from: Data($0.utf8))
        }
    }
}

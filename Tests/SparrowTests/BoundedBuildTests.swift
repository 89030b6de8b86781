import Sparrow
import SparrowTestSupport
import Testing

/// Builds that write parts within a memory budget and merge them (`sparrow index --memory`)
/// against the all-in-memory build of the same input.
struct BoundedBuildTests {
    static func vectorFile(_ dir: String, documents: Int = 900) -> (path: String, corpus: RandomCorpus) {
        let corpus = RandomCorpus(seed: 41, documentCount: documents, vocabularySize: 500, termsPerDocument: 1...60,
                                  queryCount: 30, termsPerQuery: 1...20, weights: .skewed)
        writeFile(dir + "/docs.jsonl", jsonLines(corpus.documents))
        return (dir + "/docs.jsonl", corpus)
    }

    /// 700 documents of words drawn from a small vocabulary, so terms recur across parts.
    static func textFile(_ dir: String) -> String {
        var random = SeededRandom(seed: 3)
        let words = (0..<300).map { "w\($0)x" } + ["the", "sparrow", "nests", "running", "runs"]
        var lines: [String] = []
        for i in 0..<700 {
            let n = Int.random(in: 0...40, using: &random)
            let text = (0..<n).map { _ in words[min(Int.random(in: 0..<words.count, using: &random),
                                                    Int.random(in: 0..<words.count, using: &random))] }.joined(separator: " ")
            lines.append(#"{"_id": "t\#(i)", "title": "", "text": "\#(text)"}"#)
        }
        writeFile(dir + "/corpus.jsonl", lines.joined(separator: "\n") + "\n")
        return dir + "/corpus.jsonl"
    }

    @Test("a vector build in many parts writes the bytes of the all-in-memory build",
          arguments: [BuildOptions(), BuildOptions(blockSize: 4, rangeSize: 8),
                      BuildOptions(clustered: ClusterSettings(postingsPerTerm: 50, minDocuments: 100))])
    func vectorParts(options: BuildOptions) throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let (input, corpus) = Self.vectorFile(dir)
        try SearchIndex.build(fromVectorFile: input, options: options).write(to: dir + "/memory")
        var documentsSeen: [Int] = []
        let meta = try SearchIndex.build(fromVectorFile: input, to: dir + "/parts", options: options, memory: 64 << 10,
                                         progress: { documentsSeen.append($0.documents) })
        #expect(meta.documents == corpus.documents.count && meta.segments.count == 1)
        let expected = segmentFiles(dir + "/memory")
        #expect(!expected.isEmpty && segmentFiles(dir + "/parts") == expected)
        #expect(documentsSeen.last == corpus.documents.count)
        // The parts are gone; only the merged segment's files, meta.json and nothing else remain.
        #expect(listDirectory(dir + "/parts").count == expected.count + 1)
        #expect(SearchIndex.check(at: dir + "/parts").problems.isEmpty)
    }

    @Test("a text build in parts scores as the all-in-memory build: weights recomputed over the whole collection")
    func textParts() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let input = Self.textFile(dir)
        try SearchIndex.build(fromTextFile: input).write(to: dir + "/memory")
        try SearchIndex.build(fromTextFile: input, to: dir + "/parts", memory: 64 << 10)
        #expect(segmentFiles(dir + "/parts") == segmentFiles(dir + "/memory"))
        #expect(try SearchIndex.meta(at: dir + "/parts").text == SearchIndex.meta(at: dir + "/memory").text)
        let parts = try SearchIndex.open(at: dir + "/parts")
        let memory = try SearchIndex.open(at: dir + "/memory")
        for q in ["sparrow nests", "w1x w2x running", "the w250x"] {
            #expect(try parts.search(text: q, k: 20) == memory.search(text: q, k: 20))
        }
    }

    @Test("an id in two parts is an error naming both lines; a failed build leaves the old index and no part behind")
    func duplicateAcrossParts() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let (input, corpus) = Self.vectorFile(dir)
        try SearchIndex.build(fromVectorFile: input, to: dir + "/index")
        let before = segmentFiles(dir + "/index")
        var records = corpus.documents
        records[850].id = records[3].id
        writeFile(dir + "/dup.jsonl", jsonLines(records))
        let error = #expect(throws: InputError.self) {
            try SearchIndex.build(fromVectorFile: dir + "/dup.jsonl", to: dir + "/index", memory: 64 << 10)
        }
        #expect(error?.line == 851 && error?.field == "id")
        #expect(error?.problem == "duplicate id \"\(records[3].id)\" (first used on line 4)")
        // A bad line after several parts were written.
        writeFile(dir + "/bad.jsonl", jsonLines(Array(corpus.documents[0..<800])) + #"{"id": "x", "vector": {"a": -1}}"# + "\n")
        #expect(throws: InputError.self) {
            try SearchIndex.build(fromVectorFile: dir + "/bad.jsonl", to: dir + "/index", memory: 64 << 10)
        }
        #expect(segmentFiles(dir + "/index") == before)
        #expect(listDirectory(dir + "/index").count == before.count + 1)
    }
}

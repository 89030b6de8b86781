import Sparrow
import SparrowTestSupport
import Testing

/// Errors that once misled a new user now say what is wrong and what to do.
struct MessageTests {
    @Test("text queries on a vector index, vector queries on a text index, vectors given to a text build")
    func mismatchedKinds() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile(dir + "/vectors.jsonl", #"{"id": "d1", "vector": {"sparrow": 1.5}}"# + "\n")
        writeFile(dir + "/text.jsonl", #"{"_id": "q1", "text": "where do sparrows nest"}"# + "\n")
        let vectorIndex = try SearchIndex.build(fromVectorFile: dir + "/vectors.jsonl")
        let e1 = #expect(throws: IndexError.self) { try vectorIndex.readQueries(fromFile: dir + "/text.jsonl") }
        #expect("\(e1!)".contains("holds text queries") && "\(e1!)".contains("--encoder"), "\(e1!)")

        writeFile(dir + "/docs.jsonl", #"{"id": "d1", "text": "sparrows nest in hedges"}"# + "\n")
        let textIndex = try SearchIndex.build(fromTextFile: dir + "/docs.jsonl")
        let e2 = #expect(throws: IndexError.self) { try textIndex.readQueries(fromFile: dir + "/vectors.jsonl") }
        #expect("\(e2!)".contains("BM25 text index") && "\(e2!)".contains("text queries"), "\(e2!)")

        let e3 = #expect(throws: IndexError.self) { try SearchIndex.build(fromTextFile: dir + "/vectors.jsonl") }
        #expect("\(e3!)".contains("not text") && "\(e3!)".contains("without --text"), "\(e3!)")

        // A file with both a vector and a text still reads as text (the toy collection does).
        writeFile(dir + "/both.jsonl", #"{"id": "d2", "vector": {"a": 1}, "text": "a heron"}"# + "\n")
        #expect(try SearchIndex.build(fromTextFile: dir + "/both.jsonl").documentCount == 1)
    }
}

// libFuzzer target: every parser of JSON a user hands us. A request body as a tree (and as
// NDJSON), a search body with its vector read straight from the bytes, a vector line and a text
// line of an ingest file. None may crash, hang or read out of bounds (the buffers are exactly the
// input, with nothing after it); each either parses or throws its error type.
import SparrowFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let tree = try? JSONValue.parse(bytes)
    if let value = tree {
        // What parses serialises and parses back to the same tree.
        let again = try? JSONValue.parse(Array(value.serialized.utf8))
        if again != value { fatalError("round trip changed \(value.serialized)") }
    }
    _ = try? JSONValue.parseLines(bytes, prefix: "documents")
    bytes.withUnsafeBufferPointer { buffer in
        // What the direct read of a search body accepts, the tree holds the same way.
        if let (rest, vector) = JSONValue.parse(buffer, sparseMember: "vector") {
            guard case .object(let all)? = tree, case .object(let others) = rest else { fatalError("accepted what the tree refuses") }
            if others.keys != all.keys.filter({ $0 != "vector" || vector == nil }) { fatalError("members differ") }
            if let vector {
                guard case .object(let v)? = all["vector"], v.keys == vector.tokens,
                      v.values.map({ $0.number.map(Float.init) }) == vector.weights.map(Optional.some) else { fatalError("vectors differ") }
            }
        }
        var parser = VectorRecordParser(path: "fuzz.jsonl")
        _ = try? parser.parse(buffer, lineNumber: 1)
        _ = try? TextRecordReader.parseJSON(buffer, path: "fuzz.jsonl", lineNumber: 1)
        _ = try? TextRecordReader.parseTSV(buffer, path: "fuzz.tsv", lineNumber: 1)
    }
    return 0
}

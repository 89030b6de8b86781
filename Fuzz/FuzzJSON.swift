// libFuzzer target: every parser of JSON a user hands us. A request body as a tree (and as
// NDJSON), a vector line and a text line of an ingest file. None may crash, hang or read out of
// bounds; each either parses or throws its error type.
import SparrowFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONValue.parse(bytes) {
        // What parses serialises and parses back to the same tree.
        let again = try? JSONValue.parse(Array(value.serialized.utf8))
        if again != value { fatalError("round trip changed \(value.serialized)") }
    }
    _ = try? JSONValue.parseLines(bytes, prefix: "documents")
    // The line readers need the NUL that LineReader puts after every line.
    var line = bytes
    line.append(0)
    line.withUnsafeBufferPointer { all in
        let buffer = UnsafeBufferPointer(rebasing: all[0..<size])
        var parser = VectorRecordParser(path: "fuzz.jsonl")
        _ = try? parser.parse(buffer, lineNumber: 1)
        _ = try? TextRecordReader.parseJSON(buffer, path: "fuzz.jsonl", lineNumber: 1)
        _ = try? TextRecordReader.parseTSV(buffer, path: "fuzz.tsv", lineNumber: 1)
    }
    return 0
}

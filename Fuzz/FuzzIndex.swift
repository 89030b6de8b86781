// libFuzzer target: the index opener. A small valid index (built once per process) is copied,
// one of its files is replaced by the input (the first byte picks which), and the directory is
// opened with checksums off (so the structural checks, not the CRC, must catch the damage), every
// posting list is walked, and the full check runs. Opening must throw or give an index whose
// every read stays in bounds.
import Foundation
import SparrowCore
import SparrowIndex

let seed: String = {
    let d = "/dev/shm/sparrow-fuzz-index-\(getpid())"
    try? FileManager.default.removeItem(atPath: d)
    var records: [(String, [String], [Float])] = []
    for i in 0..<40 {
        let tokens = (0..<(1 + i % 5)).map { "t\((i * 7 + $0 * 3) % 13)" }
        records.append(("doc\(i)", Array(Set(tokens)).sorted(), (0..<Set(tokens).count).map { Float($0 + i % 3 + 1) * 0.5 }))
    }
    let documents = records.map { PreparedDocument(id: $0.0, tokens: $0.1, weights: $0.2, text: "text of \($0.0)") }
    let settings = IndexSettings(blockSize: 4, rangeSize: 8)
    let segment = try! IndexBuilder.segment(of: documents, settings: settings)
    try! IndexDirectory.write(segment, settings: settings, to: d)
    return d
}()

let files: [String] = {
    let names = try! FileManager.default.contentsOfDirectory(atPath: seed).filter { $0 != "write.lock" }.sorted()
    // With FUZZ_SEED_CORPUS=DIR, each intact file becomes a seed input, so mutation starts from them.
    if let dir = ProcessInfo.processInfo.environment["FUZZ_SEED_CORPUS"] {
        for (i, name) in names.enumerated() {
            let bytes = [UInt8(i)] + [UInt8](FileManager.default.contents(atPath: seed + "/" + name)!)
            FileManager.default.createFile(atPath: dir + "/intact-" + name, contents: Data(bytes))
        }
    }
    return names
}()
let work = "/dev/shm/sparrow-fuzz-index-work-\(getpid())"

/// A fresh copy of the seed index in `work`. Foundation's copy gives up on EINTR, which
/// libFuzzer's timeout alarm (a signal every second) causes now and then: it tries again.
func copySeed() {
    for attempt in 1...10 {
        try? FileManager.default.removeItem(atPath: work)
        do {
            try FileManager.default.copyItem(atPath: seed, toPath: work)
            return
        } catch where attempt < 10 {
            continue
        } catch {
            fatalError("cannot copy the seed index: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let target = files[Int(data[0]) % files.count]
    copySeed()
    FileManager.default.createFile(atPath: work + "/" + target, contents: Data(bytes: data + 1, count: size - 1))
    if let (_, segments) = try? IndexDirectory.open(work, verifyChecksums: false) {
        for stored in segments {
            let segment = stored.segment
            let postings = segment.postings
            var sum: Float = 0
            for t in 0..<segment.termCount {
                for p in postings.range(of: TermID(t)) {
                    sum += postings.weights[p]
                    precondition(Int(postings.docs[p]) < segment.documentCount, "a posting names document \(postings.docs[p]) of \(segment.documentCount)")
                }
                _ = segment.vocabulary.string(at: t)
            }
            for d in 0..<segment.documentCount { _ = segment.externalID(of: DocID(UInt32(d))); _ = segment.text(of: DocID(UInt32(d))) }
            _ = sum
        }
    }
    _ = IndexDirectory.check(work)
    return 0
}

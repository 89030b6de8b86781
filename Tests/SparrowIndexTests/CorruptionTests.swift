import Foundation
import Sparrow
import SparrowTestSupport
import Testing

/// Damage to any byte of any file of an index is reported by `open` and `check`, never a crash.
struct CorruptionTests {
    static func makeIndex() throws -> (dir: String, files: [String]) {
        let dir = makeTemporaryDirectory()
        let c = RandomCorpus(seed: 9, documentCount: 200, vocabularySize: 100, termsPerDocument: 1...20,
                             queryCount: 1, termsPerQuery: 1...3, weights: .flat)
        try SearchIndex.build(records: c.documents, options: BuildOptions(rangeSize: 8)).write(to: dir + "/index")
        return (dir, listDirectory(dir + "/index"))
    }

    @Test("flipping a byte anywhere in any file is detected")
    func flipEveryFile() throws {
        let (dir, files) = try Self.makeIndex()
        defer { removeTree(dir) }
        #expect(files.count == 5)   // meta.json, postings, terms, docs, ranges
        let index = dir + "/index"
        for file in files {
            let original = readFileBytes(index + "/" + file)
            // Header, section table, first section, middle, just before the footer, the footer's CRC, the end.
            let positions = Set([0, 9, 13, 70, 130, original.count / 2, original.count - 40, original.count - 16,
                                 original.count - 1].filter { $0 >= 0 && $0 < original.count })
            for at in positions.sorted() {
                var damaged = original
                damaged[at] ^= 0x5A
                writeFile(index + "/" + file, damaged)
                let error = #expect(throws: IndexError.self, "\(file) byte \(at)") { try SearchIndex.open(at: index) }
                #expect(error?.description.contains(file) == true, "\(error?.description ?? "")")
                let report = SearchIndex.check(at: index)
                #expect(!report.isSound, "\(file) byte \(at)")
            }
            writeFile(index + "/" + file, original)
            #expect(SearchIndex.check(at: index).isSound)
        }
    }

    @Test("truncated, empty, missing and foreign files are errors")
    func structuralDamage() throws {
        let (dir, files) = try Self.makeIndex()
        defer { removeTree(dir) }
        let index = dir + "/index"
        for file in files {
            let original = readFileBytes(index + "/" + file)
            for variant: [UInt8] in [[], Array(original.prefix(original.count - 1)), Array(original.prefix(100)),
                                     Array("not an index at all\n".utf8), original + [0]] {
                writeFile(index + "/" + file, variant)
                #expect(throws: IndexError.self, "\(file) with \(variant.count) bytes") { try SearchIndex.open(at: index) }
                #expect(!SearchIndex.check(at: index).isSound)
            }
            writeFile(index + "/" + file, original)
        }
        removeTree(index + "/" + files[1])
        let missing = #expect(throws: IndexError.self) { try SearchIndex.open(at: index) }
        #expect(missing?.description.contains("missing") == true)
        #expect(!SearchIndex.check(at: index).isSound)

        let absent = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/nope") }
        #expect(absent?.code == .notFound)
        writeFile(dir + "/file", "x")
        #expect(throws: IndexError.self) { try SearchIndex.open(at: dir + "/file") }
    }

    @Test("an index from a newer format version is refused with a clear message")
    func newerVersion() throws {
        let (dir, files) = try Self.makeIndex()
        defer { removeTree(dir) }
        let index = dir + "/index"
        let segmentFile = files.first { $0.hasSuffix(".postings") }!
        var bytes = readFileBytes(index + "/" + segmentFile)
        bytes[12] = 99  // format version field
        // Re-seal the footer's checksum, so that the version, not the damage, is what is refused.
        let footer = bytes.count - 32
        let crc = crc32Bytes(Array(bytes[0..<footer]))
        withUnsafeBytes(of: crc.littleEndian) { for (i, b) in $0.enumerated() { bytes[footer + 16 + i] = b } }
        writeFile(index + "/" + segmentFile, bytes)
        let error = #expect(throws: IndexError.self) { try SearchIndex.open(at: index) }
        #expect(error?.code == .unsupportedVersion && "\(error!)".contains("version 99"), "\(String(describing: error))")

        // A meta.json that asks for a newer reader (with a valid checksum) is refused the same way.
        let (dir2, _) = try Self.makeIndex()
        defer { removeTree(dir2) }
        let metaPath = dir2 + "/index/meta.json"
        let text = String(decoding: readFileBytes(metaPath), as: UTF8.self)
        let body = String(text[text.range(of: "\"meta\":")!.upperBound..<text.index(text.endIndex, offsetBy: -2)])
            .replacingOccurrences(of: "\"minReaderVersion\" : 2", with: "\"minReaderVersion\" : 99")
        let sealed = "{\"crc32\":\"" + String(format: "%08x", crc32Bytes(Array(body.utf8))) + "\",\"meta\":" + body + "}\n"
        writeFile(metaPath, sealed)
        let metaError = #expect(throws: IndexError.self) { try SearchIndex.open(at: dir2 + "/index") }
        #expect(metaError?.code == .unsupportedVersion && "\(metaError!)".contains("99"), "\(String(describing: metaError))")
    }
}

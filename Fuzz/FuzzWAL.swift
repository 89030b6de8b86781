// libFuzzer target: the write-ahead-log reader. The input is used twice: as a whole log file
// (header and framing as found), and as the payload of one correctly framed record (so that the
// record decoder sees arbitrary bytes behind a valid checksum). The reader must report a torn
// tail or decode; never crash.
import CZlib
import Foundation
import SparrowIndex

let directory: String = {
    let d = "/dev/shm/sparrow-fuzz-wal-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAL(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let path = directory + "/wal.log"
    let magic = Array("SPRWAL01".utf8)
    // 1. The bytes as a log file.
    FileManager.default.createFile(atPath: path, contents: Data(input))
    _ = try? WriteAheadLog.scan(path: path)
    // 2. The bytes as one record's payload, framed: length, CRC-32 of opstamp + payload, opstamp.
    var body: [UInt8] = withUnsafeBytes(of: UInt64(1).littleEndian, Array.init) + input
    let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    let record = withUnsafeBytes(of: UInt32(input.count).littleEndian, Array.init) + withUnsafeBytes(of: crc.littleEndian, Array.init) + body
    body = magic + record
    FileManager.default.createFile(atPath: path, contents: Data(body))
    if let scan = try? WriteAheadLog.scan(path: path), scan.tornTail == nil, scan.records.count != 1 {
        fatalError("a clean log of one record decoded as \(scan.records.count)")
    }
    return 0
}

#if os(Linux)
import Glibc
@testable import SparrowIndex
import SparrowTestSupport
import Testing

/// ``MappedFile/adviseHugePages(_:preload:)``: advice only, so what a test can see is whether the
/// sections are read in (page-cache residency, through `mincore`) and that they read the same.
/// (Needs Linux 5.14 or later, for `MADV_POPULATE_READ`.)
struct HugePageTests {
    /// How many of the 4 KiB pages of `bytes` from `from` to `to` (multiples of 2 MiB, with the
    /// section's start rounded up to one) are in memory, and how many there are.
    static func residentPages(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> (resident: Int, pages: Int) {
        let huge = 2 << 20
        let low = (Int(bitPattern: bytes.baseAddress!) + huge - 1) & ~(huge - 1) + from
        let high = low - from + to
        #expect(high <= Int(bitPattern: bytes.baseAddress!) + bytes.count)
        let pages = (high - low) / 4096
        var vector = [UInt8](repeating: 0, count: pages)
        #expect(mincore(UnsafeMutableRawPointer(bitPattern: low), high - low, &vector) == 0)
        return (vector.filter { $0 & 1 != 0 }.count, pages)
    }

    @Test("advising huge pages reads nothing in; with preload the sections' whole 2 MiB pages are read in, and read the same")
    func preloadReadsSectionsIn() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/big"
        // A small section, then one of 64 MiB, each word its own number. Opening reads the
        // header and the footer, and the kernel reads around them (8 MiB on the CI machines),
        // so what is not read in is checked from 16 to 48 MiB into the section.
        let small = [UInt8](repeating: 7, count: 100)
        let words = [UInt32](unsafeUninitializedCapacity: 64 << 18) { buffer, count in
            for i in buffer.indices { buffer[i] = UInt32(i) }
            count = buffer.count
        }
        let mib = 1 << 20
        try small.withUnsafeBufferPointer { s in
            try words.withUnsafeBufferPointer { w in
                try SectionFileWriter.write(path: path, kind: FourCC("TEST"),
                                            sections: [SectionSource(FourCC("SMAL"), s), SectionSource(FourCC("BIGS"), w)])
            }
        }
        // Written back and out of the page cache, so that only the advice can read it in.
        try Posix.fsyncPath(path, directory: false)
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        #expect(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        close(fd)

        let file = try MappedFile(path: path, expectedKind: FourCC("TEST"), verifyChecksum: false)
        let big = try file.section(FourCC("BIGS"), as: UInt32.self)
        let middle = (from: 16 * mib, to: 48 * mib)
        #expect(Self.residentPages(UnsafeRawBufferPointer(big), from: middle.from, to: middle.to) == (0, 32 * 256))

        file.adviseHugePages([FourCC("BIGS"), FourCC("SMAL")], preload: false)
        #expect(Self.residentPages(UnsafeRawBufferPointer(big), from: middle.from, to: middle.to) == (0, 32 * 256))

        // Every whole 2 MiB page of the section: 31 of them, whatever the section's alignment.
        file.adviseHugePages([FourCC("BIGS"), FourCC("SMAL")], preload: true)
        #expect(Self.residentPages(UnsafeRawBufferPointer(big), from: 0, to: 62 * mib) == (62 * 256, 62 * 256))
        #expect(words.withUnsafeBytes { memcmp(big.baseAddress!, $0.baseAddress!, $0.count) } == 0)
        #expect(try file.section(FourCC("SMAL"), as: UInt8.self).elementsEqual(small))
    }
}
#endif

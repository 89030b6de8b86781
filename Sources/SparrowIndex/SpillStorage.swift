#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Scratch arrays in files rather than on the heap, for builds whose working set is larger than
/// the machine's memory (the clustered layout of a 10M-document segment: a forward index as
/// large as the postings).
///
/// Each array is a file in `directory`, unlinked as soon as it is created (so a crash leaves
/// nothing behind), its blocks reserved up front with `posix_fallocate` (so a full disk is an
/// error here, not a fault on a later write) and mapped shared: the kernel writes its pages back
/// and drops them under memory pressure, as it does any file's, where heap pages would stay.
/// The mappings go with the storage.
final class SpillStorage: ScratchStorage, @unchecked Sendable {
    typealias Failure = IndexError
    let directory: String
    /// The mappings' addresses and lengths.
    private let mappings = Mutex<[(start: UInt, bytes: Int)]>([])

    init(directory: String) {
        self.directory = directory
    }

    func allocate<T>(_ type: T.Type, count: Int) throws(IndexError) -> UnsafeMutableBufferPointer<T> {
        let bytes = max(count * MemoryLayout<T>.stride, 1)
        var template = Array((directory + "/.spill-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Posix.ioError("creating a scratch file", directory) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        unlink(path)
        defer { close(fd) }
        let reserved = posix_fallocate(fd, 0, off_t(bytes))
        guard reserved == 0 else {
            errno = reserved
            throw Posix.ioError("reserving \(bytes) bytes of scratch space", directory)
        }
        let start = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let start, start != MAP_FAILED else { throw Posix.ioError("mapping a scratch file", directory) }
        let address = UInt(bitPattern: start)
        mappings.withLock { $0.append((address, bytes)) }
        return UnsafeMutableBufferPointer(start: start.bindMemory(to: T.self, capacity: max(count, 1)), count: count)
    }

    func release(_ start: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: start)
        let bytes = mappings.withLock { m in m.lastIndex(where: { $0.start == address }).map { m.remove(at: $0).bytes } }
        if let bytes { munmap(start, bytes) }
    }

    deinit {
        for m in mappings.withLock({ $0 }) { munmap(UnsafeMutableRawPointer(bitPattern: m.start), m.bytes) }
    }
}

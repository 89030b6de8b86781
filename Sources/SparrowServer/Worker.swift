import Foundation
import SparrowIndex

/// A thread that runs jobs one at a time, in order, at a lower scheduling priority than the
/// threads that answer searches (nice +5 on Linux): a collection's writes, encodings and commits
/// run here, so that a search arriving during a write waits for the CPU as little as possible.
/// Priority alone lets a search wait until the kernel's next tick; the long loops of write work
/// also give the core back at the server's `--write-yield` interval (``YieldPacer``).
final class Worker: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    init(name: String) {
        let thread = Thread { [condition] in
            ThreadPriority.lowerCurrentThread(to: 5)
            while true {
                condition.lock()
                while self.jobs.isEmpty { condition.wait() }
                let job = self.jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `job` after the jobs queued before it.
    func async(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `job` after the jobs queued before it and waits for its result.
    func sync<T>(_ job: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, any Error>!
        async {
            result = Result { try job() }
            done.signal()
        }
        done.wait()
        return try result.get()
    }
}

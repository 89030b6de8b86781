import NIOCore
import NIOPosix

/// Runs Swift tasks on NIO's event loops: a job resumed on an event loop's thread (a request's
/// bytes arrived there) runs on that loop, any other on the next loop.
///
/// Hummingbird hands each connection to a child task; by default those run on Swift's global
/// executor, so every request crosses threads twice (event loop → task → event loop), which costs
/// wake-ups and context switches of the order of a search itself. Under this executor preference a
/// connection's task stays on its channel's event loop. Blocking work (fsync, encoding, commits)
/// must therefore never run on it: the server sends all of it to the collections' queues.
@available(macOS 15.0, *)
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup

    init(group: MultiThreadedEventLoopGroup) {
        self.group = group
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        loop.execute { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

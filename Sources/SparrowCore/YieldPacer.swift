#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Gives the core back at short intervals during long pieces of write work (segment builds,
/// merges, the parsing and logging of a batch), when a server has asked for it with
/// ``setInterval(_:)``; otherwise (the default, and in the command-line tools) it does nothing.
///
/// Why: a server answers searches on a thread that sleeps between requests, and writes on threads
/// of lower priority. On Linux (EEVDF), a search thread that has just run more than its share is
/// not eligible to preempt when it wakes, so it can wait for the writer until the scheduler next
/// looks, which may be the next timer tick, milliseconds later. A writer that yields every
/// interval lets the scheduler look that often, so a search waits about one interval at most.
///
/// A loop makes one pacer and calls ``point()`` once per document, or ``lightPoint()`` once per
/// term:
///
/// ```swift
/// var pacer = YieldPacer()
/// for term in terms {
///     pacer.lightPoint()
///     // … the term's work …
/// }
/// ```
public struct YieldPacer {
    /// The interval in nanoseconds; 0 turns pacing off.
    private static let interval = Atomic<Int>(0)

    /// Sets the interval for the whole process (nil or zero: no pacing). A server sets it once at
    /// start.
    public static func setInterval(_ interval: Duration?) {
        Self.interval.store(nanoseconds(interval), ordering: .relaxed)
    }

    /// The interval in force, or nil.
    public static var currentInterval: Duration? {
        let ns = interval.load(ordering: .relaxed)
        return ns > 0 ? .nanoseconds(ns) : nil
    }

    private let every: UInt64
    private var last: UInt64
    private var calls: UInt32 = 0
    /// How many times this pacer has yielded.
    public private(set) var yields = 0

    /// A pacer with the process's interval (see ``setInterval(_:)``).
    public init() {
        self.init(everyNanoseconds: Self.interval.load(ordering: .relaxed))
    }

    /// A pacer with its own interval (nil: it never yields).
    public init(interval: Duration?) {
        self.init(everyNanoseconds: Self.nanoseconds(interval))
    }

    private init(everyNanoseconds: Int) {
        every = UInt64(max(0, everyNanoseconds))
        last = every == 0 ? 0 : Self.now()
    }

    /// Yields the core when the interval has passed since the last yield. Reads the clock (a few
    /// tens of nanoseconds): call it per unit of work that costs microseconds, such as a document.
    @inline(__always)
    public mutating func point() {
        guard every != 0 else { return }
        let t = Self.now()
        if t &- last >= every {
            sched_yield()
            yields += 1
            last = Self.now()
        }
    }

    /// ``point()`` on every 16th call: for units of work of a fraction of a microsecond, such as a
    /// term of a merge.
    @inline(__always)
    public mutating func lightPoint() {
        guard every != 0 else { return }
        calls &+= 1
        if calls & 15 == 0 { point() }
    }

    /// `interval` in whole nanoseconds (0 for nil or a negative interval).
    private static func nanoseconds(_ interval: Duration?) -> Int {
        let (seconds, attoseconds) = (interval ?? .zero).components
        return max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

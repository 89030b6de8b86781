/// The first position in `values[from ..< to]` (sorted increasing) holding a value `>= target`,
/// or `to` if none: exponential steps from `from`, then binary search, so a target close to `from`
/// costs a few compares. Cursors, BMP's range lookup and windowed term-at-a-time scoring all use it.
@inlinable @inline(__always)
public func gallop(toFirstAtLeast target: UInt32, in values: UnsafePointer<UInt32>, from: Int, to: Int) -> Int {
    var lo = from
    var hi = from
    var step = 1
    while hi < to && values[hi] < target {
        lo = hi &+ 1
        hi = hi &+ step
        step &<<= 1
    }
    if hi > to { hi = to }
    while lo < hi {
        let mid = (lo &+ hi) >> 1
        if values[mid] < target { lo = mid &+ 1 } else { hi = mid }
    }
    return lo
}

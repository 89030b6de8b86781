import SparrowCore
import Testing

struct YieldPacerTests {
    /// Spins until `d` has passed, so that the next point finds its interval elapsed.
    static func spin(_ d: Duration) {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < d {}
    }

    @Test("a pacer yields once its interval has passed, and never without one")
    func yieldsAfterItsInterval() {
        var off = YieldPacer(interval: nil)
        for _ in 0..<1000 { off.point(); off.lightPoint() }
        #expect(off.yields == 0)

        var paced = YieldPacer(interval: .microseconds(50))
        paced.point()   // too soon: 50 µs have not passed since the pacer was made
        #expect(paced.yields == 0)
        for _ in 0..<5 {
            Self.spin(.microseconds(60))
            paced.point()
        }
        #expect(paced.yields == 5)
    }

    @Test("a light point reads the clock on every 16th call only")
    func lightPointsAreSampled() {
        var paced = YieldPacer(interval: .nanoseconds(1))
        for _ in 0..<15 { paced.lightPoint() }
        #expect(paced.yields == 0)
        paced.lightPoint()
        #expect(paced.yields == 1)
        for _ in 0..<32 { paced.lightPoint() }
        #expect(paced.yields == 3)
    }

    @Test("the process's interval is what new pacers take, and nil or zero turns pacing off")
    func processInterval() {
        let saved = YieldPacer.currentInterval
        defer { YieldPacer.setInterval(saved) }
        YieldPacer.setInterval(.microseconds(250))
        #expect(YieldPacer.currentInterval == .microseconds(250))
        YieldPacer.setInterval(.zero)
        #expect(YieldPacer.currentInterval == nil)
        var off = YieldPacer()
        Self.spin(.microseconds(20))
        off.point()
        #expect(off.yields == 0)
        YieldPacer.setInterval(.nanoseconds(1))
        var on = YieldPacer()
        Self.spin(.microseconds(20))
        on.point()
        #expect(on.yields == 1)
    }
}

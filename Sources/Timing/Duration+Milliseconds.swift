import Foundation

/// Inside, every time is a `Duration`; this file is the one place that turns it into milliseconds.
extension Duration {
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    public static func milliseconds(_ value: Double) -> Duration {
        .nanoseconds(Int64((value * 1_000_000).rounded()))
    }

    /// "12.34 ms", the way CloudWatch prints a duration.
    public var formattedMilliseconds: String { String(format: "%.2f ms", milliseconds) }
}

/// A monotonic instant shared by every part of the lab (spawn times, hand-outs, responses).
public typealias Instant = ContinuousClock.Instant

public enum Clock {
    public static var now: Instant { ContinuousClock.now }
}

extension Double {
    /// Milliseconds with two decimals, for tables ("12.34").
    public var ms2: String { String(format: "%.2f", self) }
}

import Foundation

/// Inside, every time is a `Duration`; this file is the one place that turns it into milliseconds
/// or seconds, and writes either as text.
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

    public var seconds: Double { milliseconds / 1_000 }

    /// "3.00", the way Lambda's timeout messages write seconds ("Task timed out after 3.00 seconds").
    public var formattedSeconds: String { String(format: "%.2f", seconds) }
}

/// A monotonic instant shared by every part of the lab (spawn times, hand-outs, responses).
public typealias Instant = ContinuousClock.Instant

public enum Clock {
    public static var now: Instant { ContinuousClock.now }
}

extension Double {
    /// A figure with two decimals, for tables and narratives ("12.34"): milliseconds, mostly.
    public var twoDecimals: String { String(format: "%.2f", self) }
}

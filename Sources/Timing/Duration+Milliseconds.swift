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

    /// "12.34 ms", the way CloudWatch prints a duration. Written by hand, rounded half up to the
    /// hundredth: Foundation's `String(format:)` costs more than the rest of a REPORT line, and the
    /// lab writes one for every invocation.
    public var formattedMilliseconds: String { Self.twoDecimals(milliseconds) + " ms" }

    /// `value` with two decimals ("12.34"), without Foundation.
    static func twoDecimals(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        let hundredths = Int64((abs(value) * 100).rounded())
        let fraction = hundredths % 100
        return (value < 0 && hundredths != 0 ? "-" : "") + String(hundredths / 100) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }

    public var seconds: Double { milliseconds / 1_000 }

    /// "3.00", the way Lambda's timeout messages write seconds ("Task timed out after 3.00 seconds").
    public var formattedSeconds: String { Self.twoDecimals(seconds) }
}

/// A monotonic instant shared by every part of the lab (spawn times, hand-outs, responses).
public typealias Instant = ContinuousClock.Instant

public enum Clock {
    public static var now: Instant { ContinuousClock.now }
}

extension Double {
    /// A figure with two decimals, for tables and narratives ("12.34"): milliseconds, mostly.
    public var twoDecimals: String { Duration.twoDecimals(self) }
}

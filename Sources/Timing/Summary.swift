/// Count, min, p50, p90, p99 and max of a set of durations.
/// Percentiles use the nearest-rank method: p-th = the smallest value with at least p % of the
/// values at or below it, so every reported figure is one that was actually measured.
public struct Summary: Sendable, Equatable, Codable {
    public let count: Int
    public let min: Double
    public let p50: Double
    public let p90: Double
    public let p99: Double
    public let max: Double

    /// Values in milliseconds. An empty set summarises to zeros with count 0.
    public init(milliseconds values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        p50 = Summary.percentile(50, of: sorted)
        p90 = Summary.percentile(90, of: sorted)
        p99 = Summary.percentile(99, of: sorted)
    }

    public init(_ durations: [Duration]) {
        self.init(milliseconds: durations.map(\.milliseconds))
    }

    /// Nearest rank: index ceil(p/100 × n) − 1 of the sorted values.
    public static func percentile(_ p: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count, rank) - 1)]
    }
}

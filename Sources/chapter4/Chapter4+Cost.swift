import Workbook

/// What this chapter's choices cost on AWS — modeled from AWS's published prices (`Cost`), using the
/// Billed Durations the lab measured in this run. Nothing here is measured money.
extension Chapter4 {
    struct CostComparison: Codable, Sendable, Equatable {
        var memoryMB: Int
        var prices: Cost
        var source = Cost.source
        /// Part 1: P environments of capacity, for one hour and for a 730-hour month.
        var provisioned: Int
        var capacityPerHourUSD: Double
        var capacityPerMonthUSD: Double
        /// The share of its time a provisioned environment must be busy to cost less than on-demand.
        var breakEvenUtilization: Double

        /// Part 2: the fan-out of N, once per burst.
        var fanOut: Int
        /// Billed Duration of N cold calls (Init included): the unqualified burst, measured.
        var coldBurstBilledMs: Int
        /// Billed Duration of N calls on provisioned environments (no Init): the burst sized equal, measured.
        var provisionedBurstBilledMs: Int
        /// One burst on demand, every environment cold (the worst case: bursts further apart than
        /// AWS keeps idle environments).
        var coldBurstUSD: Double
        /// One burst served by N provisioned environments (duration and requests; capacity apart).
        var provisionedBurstUSD: Double
        /// N environments kept provisioned for an hour.
        var fanOutCapacityPerHourUSD: Double
        /// Bursts per hour above which N provisioned environments cost less than cold bursts
        /// (nil: never, a cold burst costing no more than a provisioned one).
        var breakEvenBurstsPerHour: Double?
        /// The same, had each Init taken `awsInitExtraMs` longer, as a Swift custom runtime's does on AWS.
        var awsInitExtraMs: Int
        var breakEvenBurstsPerHourWithAWSInit: Double?

        /// Monthly bill of each choice at `burstsPerHour` (730 hours).
        func monthly(burstsPerHour: Double) -> (onDemand: Double, provisioned: Double) {
            let bursts = burstsPerHour * 730
            return (bursts * coldBurstUSD, fanOutCapacityPerHourUSD * 730 + bursts * provisionedBurstUSD)
        }
    }

    /// maxday/lambda-perf's average Init Duration of a Swift hello world on provided.al2023 (2026-08),
    /// against the lab's ~2 ms process start: what one Init costs more on AWS.
    static let swiftInitOnAWSMs = 126

    static func costComparison(provisioned p: Int, fanOut n: Int, cold: StepOutcome, onProvisioned: StepOutcome,
                               memoryMB: Int = 128, prices: Cost = .x86_64) -> CostComparison {
        let capacityHour = prices.provisionedCapacity(environments: p, memoryMB: memoryMB, seconds: 3_600)
        let coldUSD = prices.onDemand(billedMs: cold.billedTotalMs, invocations: n, memoryMB: memoryMB)
        let provisionedUSD = prices.provisionedInvocations(billedMs: onProvisioned.billedTotalMs, invocations: n, memoryMB: memoryMB)
        let fanOutHour = prices.provisionedCapacity(environments: n, memoryMB: memoryMB, seconds: 3_600)
        let extraUSD = prices.onDemand(billedMs: n * swiftInitOnAWSMs, invocations: 0, memoryMB: memoryMB)
        func breakEven(_ perBurst: Double) -> Double? { perBurst > provisionedUSD ? fanOutHour / (perBurst - provisionedUSD) : nil }
        return CostComparison(memoryMB: memoryMB, prices: prices, provisioned: p, capacityPerHourUSD: capacityHour,
                              capacityPerMonthUSD: capacityHour * 730, breakEvenUtilization: prices.breakEvenUtilization,
                              fanOut: n, coldBurstBilledMs: cold.billedTotalMs, provisionedBurstBilledMs: onProvisioned.billedTotalMs,
                              coldBurstUSD: coldUSD, provisionedBurstUSD: provisionedUSD, fanOutCapacityPerHourUSD: fanOutHour,
                              breakEvenBurstsPerHour: breakEven(coldUSD), awsInitExtraMs: swiftInitOnAWSMs,
                              breakEvenBurstsPerHourWithAWSInit: breakEven(coldUSD + extraUSD))
    }
}

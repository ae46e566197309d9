import Foundation
import Timing
import Workbook

/// One hour of steady traffic, priced both ways from `Cost`: modeled money, from three figures the
/// run measured (a call's Billed Duration, the Init a cold start bills, the on-demand pool's size).
extension Chapter6 {
    struct Hour: Codable, Sendable, Equatable {
        var requestsPerSecond: Double
        /// Billed Duration of one call (the handler's duration rounded up to the ms).
        var billedMs: Int
        var memoryMB: Int
        var provisioned: Int
        var initMs: Double
        /// Environments on demand kept for this traffic: the pool the run measured.
        var onDemandEnvironments: Int
        var recycleHours: Double

        /// Calls in flight on average (Little's law: rate × duration).
        var concurrency: Double { requestsPerSecond * Double(billedMs) / 1_000 }
        /// The share of the provisioned environments' time spent running calls.
        var utilization: Double { concurrency / Double(provisioned) }
        var requests: Double { requestsPerSecond * 3_600 }
        /// Cold starts an hour in steady state: each environment recycled every `recycleHours`.
        var onDemandColdStarts: Double { Double(onDemandEnvironments) / recycleHours }
        var provisionedInits: Double { Double(provisioned) / recycleHours }

        func onDemandUSD(_ prices: Cost) -> Double {
            let calls = prices.onDemand(billedMs: 0, invocations: Int(requests.rounded()), memoryMB: memoryMB)
            return calls + gbSeconds(requests * Double(billedMs) + onDemandColdStarts * initMs.rounded(.up)) * prices.onDemandPerGBSecond
        }

        /// Capacity for the hour, plus the calls at provisioned concurrency's duration price (all
        /// of them while utilization ≤ 1; beyond that the excess spills over to on-demand prices),
        /// plus the Init of each recycled environment. AWS bills that Init but names no rate for
        /// it: the on-demand price here is an assumption, and the chapter says so.
        func provisionedUSD(_ prices: Cost) -> Double {
            let capacity = prices.provisionedCapacity(environments: provisioned, memoryMB: memoryMB, seconds: 3_600)
            let servedShare = min(1, 1 / max(utilization, 1e-12))
            let served = requests * servedShare, spilled = requests - served
            let requestsUSD = prices.onDemand(billedMs: 0, invocations: Int(requests.rounded()), memoryMB: memoryMB)
            return capacity + requestsUSD
                + gbSeconds(served * Double(billedMs)) * prices.provisionedDurationPerGBSecond
                + gbSeconds(spilled * Double(billedMs) + provisionedInits * initMs.rounded(.up)) * prices.onDemandPerGBSecond
        }

        /// The utilization at which both cost the same, with the Inits counted: solve
        /// OD(u) = PC(u) for the rate, where only the duration terms depend on it.
        func breakEvenUtilization(_ prices: Cost) -> Double {
            let capacity = prices.provisionedCapacity(environments: provisioned, memoryMB: memoryMB, seconds: 3_600)
            let inits = gbSeconds(initMs.rounded(.up)) * prices.onDemandPerGBSecond
            let fixed = capacity + (provisionedInits - onDemandColdStarts) * inits
            let perCallSaved = gbSeconds(Double(billedMs)) * (prices.onDemandPerGBSecond - prices.provisionedDurationPerGBSecond)
            let rate = fixed / perCallSaved / 3_600
            return rate * Double(billedMs) / 1_000 / Double(provisioned)
        }

        /// The same hour at another utilization of the same P (the rate that gives it).
        func at(utilization: Double) -> Hour {
            var hour = self
            hour.requestsPerSecond = utilization * Double(provisioned) * 1_000 / Double(billedMs)
            return hour
        }

        private func gbSeconds(_ milliseconds: Double) -> Double { Double(memoryMB) / 1_024 * milliseconds / 1_000 }
    }

    /// The hour priced at one utilization of the same P.
    struct SweepPoint: Codable, Sendable, Equatable {
        var utilization: Double
        var requestsPerSecond: Double
        var onDemandUSD: Double
        var provisionedUSD: Double
    }

    /// The same P at 10 %, 20 %, … 100 % utilization.
    static func sweep(_ hour: Hour, _ prices: Cost) -> [SweepPoint] {
        stride(from: 0.1, through: 1.0001, by: 0.1).map { utilization in
            let at = hour.at(utilization: utilization)
            return SweepPoint(utilization: utilization, requestsPerSecond: at.requestsPerSecond,
                              onDemandUSD: at.onDemandUSD(prices), provisionedUSD: at.provisionedUSD(prices))
        }
    }

    static func sweepTable(_ sweep: [SweepPoint]) -> String {
        var table = TextTable([("utilization", .right), ("calls/s", .right), ("on demand $/h", .right), ("provisioned $/h", .right), ("cheaper", .left)])
        for point in sweep {
            table.add([percent(point.utilization), String(format: "%.1f", point.requestsPerSecond), Narrative.dollars(point.onDemandUSD),
                       Narrative.dollars(point.provisionedUSD), Cheaper(point.onDemandUSD, point.provisionedUSD).rawValue])
        }
        return table.render()
    }

    /// The hour both ways, as a table.
    static func hourTable(_ hour: Hour, onDemandUSD: Double, provisionedUSD: Double) -> String {
        var table = TextTable([("", .left), ("requests", .right), ("cold starts / Inits", .right), ("capacity", .right), ("$ / hour", .right), ("$ / month", .right)])
        table.add(["on demand", String(Int(hour.requests)), String(format: "%.1f", hour.onDemandColdStarts), "—",
                   Narrative.dollars(onDemandUSD), Narrative.dollars(onDemandUSD * 730)])
        table.add(["provisioned (P = \(hour.provisioned))", String(Int(hour.requests)), String(format: "%.1f", hour.provisionedInits),
                   "\(hour.provisioned) × \(hour.memoryMB) MB", Narrative.dollars(provisionedUSD), Narrative.dollars(provisionedUSD * 730)])
        return table.render()
    }

    static func percent(_ share: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f %%", share * 100) }

    /// A price per GB-second as AWS publishes it: $0.0000166667.
    static func price(_ value: Double) -> String {
        var text = String(format: "%.10f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

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
        /// plus the Init of each recycled environment (billed, at the on-demand price: AWS bills
        /// the Init again and names no other price for it).
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
}

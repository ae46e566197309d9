import Timing
import Workbook

/// The fan-out's case: N calls at once, now and then. On demand, a burst that finds no warm
/// environment pays N Inits; provisioned for N, it pays none, but N environments of capacity are
/// billed every hour. Modeled money (`Cost`) from the Billed Durations this run measured.
extension Chapter6 {
    struct BurstCost: Codable, Sendable, Equatable {
        var fanOut: Int
        var memoryMB: Int
        /// Billed Duration of the N cold calls, Init included: the cold fan-out, measured.
        var coldBilledMs: Int
        /// Billed Duration of the N calls on provisioned environments (no Init), measured.
        var provisionedBilledMs: Int
        /// One burst on demand, every environment cold.
        var coldUSD: Double
        /// One burst on N provisioned environments: requests and duration, capacity apart.
        var provisionedUSD: Double
        /// N environments of provisioned capacity for an hour, busy or not.
        var capacityPerHourUSD: Double
        /// Bursts per hour above which provisioned for N costs less than cold bursts on demand
        /// (nil: never).
        var breakEvenBurstsPerHour: Double?
        /// The cold fan-out's Init Duration p50, measured.
        var labInitMs: Double
        /// The Init a Swift worker would bill on AWS: lambda-perf's hello-world Swift Init plus the
        /// modeled database handshake — like with like, since the lab's Init includes it too.
        var awsInitMs: Double
        var breakEvenBurstsPerHourWithAWSInit: Double?

        /// maxday/lambda-perf's average Init Duration of a hello-world Swift function (128 MB,
        /// x86_64, 2026-08-22; chapters/aws-facts.md#cold-start-figures).
        static let swiftHelloWorldInitMs = 126.0

        init(fanOut n: Int, cold: StepOutcome, provisioned: StepOutcome, handshakeMs: Double, memoryMB: Int, prices: Cost) {
            fanOut = n
            self.memoryMB = memoryMB
            coldBilledMs = cold.billedTotalMs
            provisionedBilledMs = provisioned.billedTotalMs
            coldUSD = prices.onDemand(billedMs: cold.billedTotalMs, invocations: n, memoryMB: memoryMB)
            provisionedUSD = prices.provisionedInvocations(billedMs: provisioned.billedTotalMs, invocations: n, memoryMB: memoryMB)
            capacityPerHourUSD = prices.provisionedCapacity(environments: n, memoryMB: memoryMB, seconds: 3_600)
            labInitMs = cold.initDurations.p50
            awsInitMs = Self.swiftHelloWorldInitMs + handshakeMs
            // Each of the N Inits as long as on AWS: the difference billed on top of this run's.
            let extraMs = n * Int(max(0, awsInitMs - labInitMs).rounded(.up))
            let coldOnAWS = prices.onDemand(billedMs: cold.billedTotalMs + extraMs, invocations: n, memoryMB: memoryMB)
            breakEvenBurstsPerHour = Self.breakEven(capacity: capacityPerHourUSD, cold: coldUSD, provisioned: provisionedUSD)
            breakEvenBurstsPerHourWithAWSInit = Self.breakEven(capacity: capacityPerHourUSD, cold: coldOnAWS, provisioned: provisionedUSD)
        }

        /// Capacity ÷ what each burst saves: the bursts an hour at which both cost the same.
        static func breakEven(capacity: Double, cold: Double, provisioned: Double) -> Double? {
            cold > provisioned ? capacity / (cold - provisioned) : nil
        }

        /// Each choice's bill for a 730-hour month at `burstsPerHour`, every on-demand burst cold.
        func monthly(burstsPerHour: Double) -> (onDemand: Double, provisioned: Double) {
            let bursts = burstsPerHour * 730
            return (bursts * coldUSD, capacityPerHourUSD * 730 + bursts * provisionedUSD)
        }

        /// The monthly bills at a few burst rates, as a table.
        func table(rates: [Double] = [1, 6, 60, 600]) -> String {
            var table = TextTable([("bursts per hour", .right), ("on demand, every burst cold", .right), ("provisioned for N", .right), ("cheaper", .left)])
            for rate in rates {
                let month = monthly(burstsPerHour: rate)
                table.add([String(format: "%.0f", rate), "$" + Narrative.dollars(month.onDemand) + " / month",
                           "$" + Narrative.dollars(month.provisioned) + " / month", Cheaper(month.onDemand, month.provisioned).rawValue])
            }
            return table.render()
        }
    }

    /// Which of two bills is lower — equal within half a percent, as at a break-even.
    enum Cheaper: String, Codable, Sendable {
        case onDemand = "on demand", provisioned, equal

        init(_ onDemand: Double, _ provisioned: Double) {
            self = abs(onDemand - provisioned) <= 0.005 * max(onDemand, provisioned) ? .equal
                : onDemand < provisioned ? .onDemand : .provisioned
        }
    }
}

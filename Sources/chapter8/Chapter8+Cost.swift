import Foundation
import Timing
import Workbook

/// What the fan-out would cost, sustained, three ways — modeled from AWS's published prices
/// (chapters/aws-facts.md#pricing, #lambda-managed-instances), applied to this run's measured
/// Duration; never a bill.
///
/// The traffic: the fan-out of N, once a second, for an hour (N requests a second, each taking the
/// worker's measured Duration). On Lambda's default the worker has 128 MB; on Managed Instances it
/// has 2 GB (the smallest a Managed Instances function may be), and AWS starts three instances (one
/// per Availability Zone); the price is AWS's own example instance, an m7g.xlarge.
struct ManagedCost: Codable, Sendable {
    var requestsPerHour: Int
    var durationMs: Double
    var onDemandPerHour: Double
    var provisionedPerHour: Double
    var provisionedEnvironments: Int
    var managedPerHour: Double
    var instances: Int
    var instancePricePerHour: Double
    /// Requests a second at which on demand (duration and requests) costs what the instances cost.
    var breakEvenRequestsPerSecond: Double

    /// AWS's example: an m7g.xlarge (4 vCPUs, 16 GiB) on demand in US East (N. Virginia).
    static let instancePrice = 0.1632
    static let managementFee = 0.15
    static let defaultInstances = 3
    static let defaultMemoryMB = 128
    static let managedMemoryMB = 2_048

    static func priced(fanOut n: Int, onDefault: StepOutcome, onManaged: StepOutcome, environments: Int) -> ManagedCost {
        let prices = Cost.x86_64
        let requests = n * 3_600
        // The handler's work, billed per ms: the Duration measured on Managed Instances (warm, as
        // sustained traffic is), rounded up as AWS rounds it.
        let durationMs = onManaged.durations.p50.rounded(.up)
        let billedMs = Int(durationMs) * requests
        let onDemand = prices.onDemand(billedMs: billedMs, invocations: requests, memoryMB: defaultMemoryMB)
        // Provisioned concurrency sized to the fan-out (chapter 4): N environments for the hour.
        let provisioned = prices.provisionedCapacity(environments: n, memoryMB: defaultMemoryMB, seconds: 3_600)
            + prices.provisionedInvocations(billedMs: billedMs, invocations: requests, memoryMB: defaultMemoryMB)
        let instances = max(defaultInstances, environments)
        let instanceCost = Double(instances) * instancePrice * (1 + managementFee)
        let managed = instanceCost + Double(requests) / 1_000_000 * prices.requestsPerMillion
        // Per request a second, for an hour: on demand pays duration and the request; Managed
        // Instances pay the request only.
        let onDemandPerRPS = 3_600 * (durationMs / 1_000 * Double(defaultMemoryMB) / 1_024 * prices.onDemandPerGBSecond)
        return ManagedCost(requestsPerHour: requests, durationMs: durationMs, onDemandPerHour: onDemand, provisionedPerHour: provisioned,
                           provisionedEnvironments: n, managedPerHour: managed, instances: instances, instancePricePerHour: instancePrice,
                           breakEvenRequestsPerSecond: instanceCost / onDemandPerRPS)
    }

    var narrative: String {
        "Modeled cost (AWS's us-east-1 prices applied to this run's measured Duration; not a measurement): the fan-out once a second for an hour — \(requestsPerHour) requests of \(Int(durationMs)) ms each — costs $\(Narrative.dollars(onDemandPerHour)) on Lambda's default at 128 MB; $\(Narrative.dollars(provisionedPerHour)) with provisioned concurrency sized to it (\(provisionedEnvironments) environments all hour); and $\(Narrative.dollars(managedPerHour)) on Managed Instances: \(instances) m7g.xlarge instances (AWS starts three, one per Availability Zone) at $\(instancePricePerHour) an hour plus AWS's 15 % management fee, plus $0.20 per million requests — and no charge for duration. The instances cost the same however busy they are: Managed Instances cost less than on demand at this function's size from about \(Int(breakEvenRequestsPerSecond.rounded())) requests a second, sustained."
    }
}

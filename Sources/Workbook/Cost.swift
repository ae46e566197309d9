/// What a run would cost on AWS Lambda — modeled from AWS's published prices, never measured.
///
/// Prices: us-east-1, from https://aws.amazon.com/lambda/pricing/ (checked 2026-11-27; the page
/// renders its tables with JavaScript, so the figures were read through the third-party copies
/// cited in chapters/aws-facts.md#pricing). Billing rules, from the same page and AWS's blogs:
/// - duration is billed per 1 ms (rounded up) since December 2020;
/// - a custom runtime's Init is billed with its first invocation (and, since 1 August 2025, every
///   on-demand Init is);
/// - provisioned concurrency bills its capacity from enable to disable, rounded up to 5 minutes,
///   whether or not anything runs, plus a lower duration price for the invocations it serves; its
///   environments run Init at allocation and again each time AWS recycles them (every few hours);
///   spillover beyond it is billed at on-demand prices; the free tier does not apply to it.
/// The free tier is left out everywhere: these are the prices of the work itself.
public struct Cost: Codable, Sendable, Equatable {
    public enum Architecture: String, Codable, Sendable {
        case x86_64, arm64
    }

    public var architecture: Architecture
    /// Per 1 million requests.
    public var requestsPerMillion: Double
    /// On-demand duration, per GB-second.
    public var onDemandPerGBSecond: Double
    /// Provisioned concurrency capacity, per GB-second it is enabled.
    public var provisionedCapacityPerGBSecond: Double
    /// Duration of invocations served by provisioned concurrency, per GB-second.
    public var provisionedDurationPerGBSecond: Double

    public static let x86_64 = Cost(architecture: .x86_64, requestsPerMillion: 0.20, onDemandPerGBSecond: 0.0000166667,
                                    provisionedCapacityPerGBSecond: 0.0000041667, provisionedDurationPerGBSecond: 0.0000097222)
    /// 20 % below x86 for duration and provisioned concurrency, as AWS announced for Graviton2.
    public static let arm64 = Cost(architecture: .arm64, requestsPerMillion: 0.20, onDemandPerGBSecond: 0.0000133334,
                                   provisionedCapacityPerGBSecond: 0.0000033334, provisionedDurationPerGBSecond: 0.0000077778)

    public static let source = "AWS Lambda pricing, us-east-1 (aws.amazon.com/lambda/pricing, checked 2026-11-27); modeled, not measured"
    /// Provisioned concurrency is billed in blocks of 5 minutes.
    public static let provisionedBlockSeconds = 300.0
    public static let secondsPerMonth = 730.0 * 3_600

    /// Invocations billed on demand: requests plus GB-seconds of their Billed Duration (Init included).
    public func onDemand(billedMs: Int, invocations: Int, memoryMB: Int) -> Double {
        requests(invocations) + gigabytes(memoryMB) * Double(billedMs) / 1_000 * onDemandPerGBSecond
    }

    /// Invocations served by provisioned environments: requests plus their lower duration price.
    public func provisionedInvocations(billedMs: Int, invocations: Int, memoryMB: Int) -> Double {
        requests(invocations) + gigabytes(memoryMB) * Double(billedMs) / 1_000 * provisionedDurationPerGBSecond
    }

    /// Provisioned capacity kept for `seconds`, rounded up to the 5-minute block.
    public func provisionedCapacity(environments: Int, memoryMB: Int, seconds: Double) -> Double {
        let billedSeconds = (seconds / Self.provisionedBlockSeconds).rounded(.up) * Self.provisionedBlockSeconds
        return Double(environments) * gigabytes(memoryMB) * billedSeconds * provisionedCapacityPerGBSecond
    }

    /// The share of its enabled time a provisioned environment must be busy for provisioned to cost
    /// less than on-demand: capacity / (on-demand duration − provisioned duration). About 0.60.
    public var breakEvenUtilization: Double {
        provisionedCapacityPerGBSecond / (onDemandPerGBSecond - provisionedDurationPerGBSecond)
    }

    private func requests(_ count: Int) -> Double { Double(count) / 1_000_000 * requestsPerMillion }
    private func gigabytes(_ memoryMB: Int) -> Double { Double(memoryMB) / 1_024 }
}

/// What provisioned concurrency costs on AWS — modeled from published prices, not measured
/// (https://aws.amazon.com/lambda/pricing/, us-east-1, x86, as of 2026): capacity is billed from enable to disable,
/// whether or not anything is invoked.
struct ProvisionedCost: Codable, Sendable {
    static let capacityPerGBSecond = 0.0000041667
    static let provisionedDurationPerGBSecond = 0.0000097222
    static let onDemandDurationPerGBSecond = 0.0000166667

    var environments: Int
    var memoryMB: Int
    /// Capacity alone, for one hour: P × memory in GB × 3,600 s × the capacity price.
    var capacityPerHourUSD: Double
    /// The same for a 730-hour month.
    var capacityPerMonthUSD: Double
    /// Utilization above which provisioned is cheaper than on-demand:
    /// capacity / (on-demand duration − provisioned duration) ≈ 0.60.
    var breakEvenUtilization: Double
    var source = "AWS Lambda pricing, us-east-1, x86 (aws.amazon.com/lambda/pricing); modeled, not measured"

    init(environments: Int, memoryMB: Int) {
        self.environments = environments
        self.memoryMB = memoryMB
        let gigabytes = Double(memoryMB) / 1024
        capacityPerHourUSD = Double(environments) * gigabytes * 3_600 * Self.capacityPerGBSecond
        capacityPerMonthUSD = capacityPerHourUSD * 730
        breakEvenUtilization = Self.capacityPerGBSecond / (Self.onDemandDurationPerGBSecond - Self.provisionedDurationPerGBSecond)
    }
}

/// What a chapter's run would have cost on AWS Lambda: the Billed Durations the lab measured,
/// priced with `Cost`. Modeled money from measured milliseconds; the free tier left out.
public struct RunCost: Codable, Sendable, Equatable {
    public var memoryMB: Int
    public var architecture: Cost.Architecture
    /// Invocations billed at the on-demand price (the orchestrator's included), and their Billed
    /// Duration in total (Init included on cold starts).
    public var onDemandInvocations: Int
    public var onDemandBilledMs: Int
    /// Invocations served by provisioned environments, billed at its lower duration price. The
    /// capacity itself is billed by the hour, whatever runs; chapters that provision price it apart.
    public var provisionedInvocations: Int
    public var provisionedBilledMs: Int
    /// Invocations on Lambda Managed Instances: billed per request only (their instances are
    /// billed by the hour, and a chapter that uses them prices those apart).
    public var managedInvocations: Int = 0
    public var usd: Double

    public init(onDemandInvocations: Int, onDemandBilledMs: Int, provisionedInvocations: Int = 0, provisionedBilledMs: Int = 0,
                memoryMB: Int = 128, prices: Cost = .x86_64) {
        self.memoryMB = memoryMB
        architecture = prices.architecture
        self.onDemandInvocations = onDemandInvocations
        self.onDemandBilledMs = onDemandBilledMs
        self.provisionedInvocations = provisionedInvocations
        self.provisionedBilledMs = provisionedBilledMs
        usd = prices.onDemand(billedMs: onDemandBilledMs, invocations: onDemandInvocations, memoryMB: memoryMB)
            + prices.provisionedInvocations(billedMs: provisionedBilledMs, invocations: provisionedInvocations, memoryMB: memoryMB)
    }

    /// Every invocation that ran in `steps`: the workers' and the orchestrator's.
    public init(steps: [StepOutcome], memoryMB: Int = 128, prices: Cost = .x86_64) {
        let all = steps.flatMap(\.invocations)
        let managed = all.filter { $0.initializationType == .lambdaManagedInstances }
        let provisioned = all.filter(\.isProvisioned)
        let onDemand = all.filter { !$0.isProvisioned && $0.initializationType != .lambdaManagedInstances }
        self.init(onDemandInvocations: onDemand.count + steps.map(\.orchestratorInvocations).reduce(0, +),
                  onDemandBilledMs: onDemand.map(\.billedDurationMs).reduce(0, +) + steps.map(\.orchestratorBilledMs).reduce(0, +),
                  provisionedInvocations: provisioned.count, provisionedBilledMs: provisioned.map(\.billedDurationMs).reduce(0, +),
                  memoryMB: memoryMB, prices: prices)
        managedInvocations = managed.count
        usd += Double(managed.count) / 1_000_000 * prices.requestsPerMillion
    }

    public var invocations: Int { onDemandInvocations + provisionedInvocations + managedInvocations }
    public var billedMs: Int { onDemandBilledMs + provisionedBilledMs }
}

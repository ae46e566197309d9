import FoundationXML
import LabTestSupport
import Testing
import Workbook
@testable import chapter4

/// Chapter 4's claims on one small run: provisioned concurrency 3 on `live`, 2 more to spill over;
/// part 2 with a fan-out of 4 (P = 2, 4 and 6).
@Suite("Chapter 4: provisioned concurrency", .serialized, .timeLimit(.minutes(10)))
struct Chapter4Tests {
    static let (p, k, n) = (3, 2, 4)
    static let outcome = Task {
        var options = Chapter4.Options()
        options.provisioned = p
        options.spillover = k
        options.fanOut = n
        options.dbHandshakeMs = 60
        options.dbQueryMs = 2
        return try await exclusively { try await Chapter4.run(options) }
    }

    @Test("the run's picture marks the provisioned environments' rows, and its widths are measured durations to scale")
    func picture() async throws {
        let outcome = try await Self.outcome.value
        let picture = try PictureInspection.check(outcome.picture(), steps: outcome.steps)
        // Tinted rows, not counting the legend's swatch.
        let tinted = try picture.elements("rect", class: "provisioned-lane")
            .filter { ($0.parent as? XMLElement).flatMap { PictureInspection.attribute($0, "class") } == "lane" }.count
        #expect(tinted > 0)
        #expect(tinted == Set(outcome.steps.flatMap(\.invocations).filter(\.isProvisioned).map(\.environmentID)).count)
    }

    @Test("provisioned concurrency on $LATEST is refused with AWS's message")
    func latestRefused() async throws {
        #expect(try await Self.outcome.value.allocation.latestRejected
            == "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    }

    @Test("the configuration is IN_PROGRESS when put and READY only once all 3 environments finished Init")
    func allocation() async throws {
        let allocation = try await Self.outcome.value.allocation
        #expect(allocation.putStatus == .inProgress)
        #expect(allocation.config.history.map(\.status) == [.inProgress, .ready])
        #expect(allocation.config.allocated == Self.p)
        #expect(allocation.environments.count == Self.p)
        #expect(allocation.environments.allSatisfy { ($0.initDurationMs ?? 0) >= 60 })
    }

    @Test("a burst of 3 on the alias: 0 cold starts, only provisioned environments, no Init Duration, faster than any cold start")
    func provisionedBurst() async throws {
        let step = try await Self.outcome.value.step("provisioned burst")
        #expect(step.coldStarts == 0)
        #expect(step.environments <= Self.p)
        #expect(step.invocations.allSatisfy { $0.initializationType == .provisionedConcurrency && $0.initDurationMs == nil })
        #expect(step.invocations.allSatisfy { $0.initializationTypeSeenByFunction == "provisioned-concurrency" })
        let baseline = try await Self.outcome.value.step("cold baseline")
        #expect(step.latency.max < baseline.latency.min)
    }

    @Test("3 + 2 at once: 3 on provisioned environments, 2 spill over to on-demand with cold starts")
    func spillover() async throws {
        let outcome = try await Self.outcome.value
        let step = outcome.step("spillover burst")
        #expect(outcome.metrics.provisionedConcurrencyInvocations == Self.p)
        #expect(outcome.metrics.provisionedConcurrencySpilloverInvocations == Self.k)
        #expect(step.coldStarts == Self.k)
        #expect(step.invocations.filter(\.spillover).allSatisfy { $0.initializationType == .onDemand && $0.coldStart })
        #expect(outcome.metrics.provisionedConcurrencyUtilization == 1)
    }

    @Test("without provisioned concurrency the same burst cold-starts 3 and is more than 3 × slower at p50")
    func coldBaseline() async throws {
        let outcome = try await Self.outcome.value
        let baseline = outcome.step("cold baseline"), provisioned = outcome.step("provisioned burst")
        #expect(baseline.coldStarts == Self.p)
        #expect(baseline.latency.p50 > 3 * provisioned.latency.p50)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
    }

    @Test("fan-out of 4 through aliases provisioned for 2, 4 and 6: 2, 0 and 0 cold starts; unqualified: 4; before READY: some")
    func sizedToTheFanOut() async throws {
        let outcome = try await Self.outcome.value
        func onProvisioned(_ name: String) -> Int {
            outcome.step(name).invocations.filter { $0.initializationType == .provisionedConcurrency }.count
        }
        #expect(outcome.sizing.provisionedFor["sized below"] == 2)
        #expect(outcome.step("sized below").coldStarts == 2)
        #expect(onProvisioned("sized below") == 2)
        #expect(outcome.step("sized equal").coldStarts == 0)
        #expect(onProvisioned("sized equal") == Self.n)
        #expect(outcome.step("sized above").coldStarts == 0)
        #expect(onProvisioned("sized above") == Self.n)
        #expect(outcome.step("unqualified").coldStarts == Self.n)
        #expect(onProvisioned("unqualified") == 0)
        #expect(outcome.sizing.statusWhenSentEarly == .inProgress)
        #expect(outcome.step("before READY").coldStarts >= 1)
    }

    @Test("the cost comparison uses this run's Billed Durations and the x86 prices, figure by figure")
    func cost() async throws {
        let outcome = try await Self.outcome.value
        let cost = outcome.cost
        // 3 environments × 0.125 GB × 3,600 s × $0.0000041667
        #expect(abs(cost.capacityPerHourUSD - 0.005625045) < 1e-12)
        #expect(abs(cost.breakEvenUtilization - 0.6) < 0.001)
        #expect(cost.coldBurstBilledMs == outcome.step("unqualified").billedTotalMs)
        #expect(cost.provisionedBurstBilledMs == outcome.step("sized equal").billedTotalMs)
        // 4 requests at $0.20 per million + 0.125 GB × billed seconds × $0.0000166667
        #expect(abs(cost.coldBurstUSD - (0.0000008 + 0.125 * Double(cost.coldBurstBilledMs) / 1_000 * 0.0000166667)) < 1e-15)
        // 4 environments for an hour: 4 × 0.125 × 3,600 × $0.0000041667
        #expect(abs(cost.fanOutCapacityPerHourUSD - 0.00750006) < 1e-12)
        let breakEven = try #require(cost.breakEvenBurstsPerHour)
        #expect(abs(breakEven * (cost.coldBurstUSD - cost.provisionedBurstUSD) - cost.fanOutCapacityPerHourUSD) < 1e-12)
        #expect(try #require(cost.breakEvenBurstsPerHourWithAWSInit) < breakEven)
    }
}

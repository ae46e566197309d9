import LabTestSupport
import Testing
import Workbook
@testable import chapter4

/// Chapter 4's claims on one small run: provisioned concurrency 3 on `live`, 2 more to spill over.
@Suite("Chapter 4: provisioned concurrency", .serialized, .timeLimit(.minutes(2)))
struct Chapter4Tests {
    static let (p, k) = (3, 2)
    static let outcome = Task {
        var options = Chapter4.Options()
        options.provisioned = p
        options.spillover = k
        options.dbHandshakeMs = 60
        options.dbQueryMs = 2
        return try await exclusively { try await Chapter4.run(options) }
    }

    @Test("provisioned concurrency on $LATEST is refused with AWS's message")
    func latestRefused() async throws {
        #expect(try await Self.outcome.value.allocation.latestRejected
            == "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    }

    @Test("the configuration is IN_PROGRESS when put and READY only once all 3 environments finished Init")
    func allocation() async throws {
        let allocation = try await Self.outcome.value.allocation
        #expect(allocation.putStatus == "IN_PROGRESS")
        #expect(allocation.config.history.map(\.status) == ["IN_PROGRESS", "READY"])
        #expect(allocation.config.allocated == Self.p)
        #expect(allocation.environments.count == Self.p)
        #expect(allocation.environments.allSatisfy { ($0.initDurationMs ?? 0) >= 60 })
    }

    @Test("a burst of 3 on the alias: 0 cold starts, only provisioned environments, no Init Duration, faster than any cold start")
    func provisionedBurst() async throws {
        let step = try await Self.outcome.value.step("provisioned burst")
        #expect(step.coldStarts == 0)
        #expect(step.environments <= Self.p)
        #expect(step.invocations.allSatisfy { $0.initializationType == "provisioned-concurrency" && $0.initDurationMs == nil })
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
        #expect(step.invocations.filter(\.spillover).allSatisfy { $0.initializationType == "on-demand" && $0.coldStart })
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

    @Test("provisioned capacity is priced from the cited table: break-even utilization ≈ 60 %")
    func cost() async throws {
        let cost = try await Self.outcome.value.cost
        #expect(abs(cost.breakEvenUtilization - 0.6) < 0.001)
        #expect(abs(cost.capacityPerHourUSD - 3 * 0.125 * 3600 * 0.0000041667) < 1e-9)
    }
}

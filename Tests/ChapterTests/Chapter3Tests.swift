import Foundation
import LabTestSupport
import Testing
import Workbook
@testable import chapter3

/// Chapter 3's claims, checked on one run of its experiment with small settings: 4 at once, and a
/// slower modeled database (100 ms handshake, 20 ms query) so the relations have wide margins.
@Suite("Chapter 3: concurrent fan-out", .serialized, .timeLimit(.minutes(10)))
struct Chapter3Tests {
    static let n = 4
    static let outcome = Task {
        var options = Chapter3.Options()
        options.concurrency = n
        options.dbHandshakeMs = 100
        options.dbQueryMs = 20
        return try await exclusively { try await Chapter3.run(options) }
    }

    func step(_ name: String) async throws -> StepOutcome {
        try await Self.outcome.value.step(name)
    }

    @Test("4 concurrent invocations start 4 environments, each a cold start with Init Duration in its REPORT")
    func coldBurst() async throws {
        let cold = try await step("cold burst")
        #expect(cold.invocations.count == Self.n)
        #expect(cold.environments == Self.n)
        #expect(cold.coldStarts == Self.n)
        #expect(cold.invocations.allSatisfy { $0.initDurationMs != nil && $0.logLines.last!.contains("\tInit Duration: ") })
    }

    @Test("the run's picture parses as SVG, has one row per environment, and every width is a measured duration to scale")
    func picture() async throws {
        let outcome = try await Self.outcome.value
        let picture = try PictureInspection.check(outcome.picture(), steps: outcome.steps)
        // 4 cold + 4 more in the bigger burst + 1 after the redeploy: 9 rows.
        #expect(try picture.elements("g", class: "lane").count == 2 * Self.n + 1)
    }

    @Test("the run's modeled cost counts every invocation that ran, the orchestrator's four included, with their Billed Durations")
    func runCost() async throws {
        let outcome = try await Self.outcome.value
        let cost = RunCost(steps: outcome.steps)
        let workers = outcome.steps.flatMap(\.invocations)
        #expect(cost.invocations == workers.count + 4)
        #expect(workers.count == 5 * Self.n)
        #expect(cost.billedMs > workers.map(\.billedDurationMs).reduce(0, +))
        #expect(cost.provisionedInvocations == 0)
        #expect(cost.usd == Cost.x86_64.onDemand(billedMs: cost.billedMs, invocations: cost.invocations, memoryMB: 128))
    }

    @Test("the orchestrator reads each call's REPORT from the log tail, and it is the lab's own: Billed Duration, Init Duration on cold starts only")
    func reportsFromTheTail() async throws {
        let outcome = try await Self.outcome.value
        for step in outcome.steps where step.name != "sequential" {
            for invocation in step.invocations {
                let report = try #require(step.calls.first { $0.requestID == invocation.requestID }?.report)
                #expect(report.billedDurationMs == invocation.billedDurationMs)
                #expect((report.initDurationMs != nil) == invocation.coldStart)
                #expect(abs(report.durationMs - invocation.durationMs) < 0.01)
            }
        }
    }

    @Test("the warm burst right after has 0 cold starts and starts no new environment")
    func warmBurst() async throws {
        let cold = try await step("cold burst"), warm = try await step("warm burst")
        #expect(warm.coldStarts == 0)
        #expect(warm.environmentIDs.isSubset(of: cold.environmentIDs))
        #expect(warm.invocations.allSatisfy { $0.initDurationMs == nil })
    }

    @Test("a burst of 2N reuses the N warm environments and cold-starts N more")
    func biggerBurst() async throws {
        let cold = try await step("cold burst"), bigger = try await step("bigger burst")
        #expect(bigger.invocations.count == 2 * Self.n)
        #expect(bigger.coldStarts == Self.n)
        #expect(bigger.environments == 2 * Self.n)
        #expect(cold.environmentIDs.isSubset(of: bigger.environmentIDs))
    }

    @Test("N invocations one after another use 1 environment and 1 cold start")
    func sequential() async throws {
        let sequential = try await step("sequential")
        #expect(sequential.invocations.count == Self.n)
        #expect(sequential.environments == 1)
        #expect(sequential.coldStarts == 1)
    }

    @Test("cold-burst p50 latency is more than 3 × the warm burst's")
    func coldIsSlower() async throws {
        let cold = try await step("cold burst"), warm = try await step("warm burst")
        #expect(cold.latency.p50 > 3 * warm.latency.p50)
    }

    @Test("the cold starts overlap: the burst takes less than 3/4 of its Inits and handlers one after another")
    func coldStartsOverlap() async throws {
        let cold = try await step("cold burst")
        let serial = cold.invocations.map { ($0.initDurationMs ?? 0) + $0.durationMs }.reduce(0, +)
        #expect(cold.wallMs < 0.75 * serial)
    }

    @Test("each burst reached the lab at once: every request was routed before the first call of its burst finished")
    func arrivedAtOnce() async throws {
        for name in ["cold burst", "warm burst", "bigger burst"] {
            let step = try await step(name)
            #expect(step.arrivalSpreadMs < step.firstFinishMs, "\(name)")
            #expect(step.arrivalSpreadMs >= 0 && step.sendSpreadMs >= 0)
        }
    }

    @Test("Init CPU time is measured for every cold start, and is part of its Init Duration")
    func initCPUTime() async throws {
        let cold = try await step("cold burst")
        #expect(cold.invocations.allSatisfy { ($0.initCPUMs ?? 0) > 0 && $0.initCPUMs! < $0.initDurationMs! })
        // The worker waits for the modeled 100 ms handshake in Init without using the CPU.
        #expect(cold.invocations.allSatisfy { $0.initDurationMs! - $0.initCPUMs! >= 100 })
    }

    @Test("every claim the chapter prints held in this run, and the JSON says initDurationMs null when warm")
    func claimsAndJSON() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.claims.count == 7)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.claim))")
        #expect(outcome.steps.map(\.name) == ["cold burst", "warm burst", "bigger burst", "sequential"])
        let encoded = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        #expect(encoded.contains(#""initDurationMs":null"#))
        #expect(encoded.contains(#""chapter":3"#))
    }

    @Test("bad options are refused with a one-line message", arguments: [
        ["--concurrency", "0"], ["--concurrency", "101"], ["--concurrency", "ten"], ["--db-handshake-ms", "-1"], ["--nope"], ["--concurrency"],
    ])
    func badOptions(arguments: [String]) {
        #expect(throws: WorkbookError.self) { try Chapter3.Options(arguments: arguments) }
    }
}

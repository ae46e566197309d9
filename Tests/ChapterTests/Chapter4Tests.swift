import FoundationXML
import Contracts
import LabTestSupport
import LambdaLab
import Testing
import Workbook
@testable import chapter4

/// Chapter 4 on one small run: provisioned concurrency 3 on `live`, then 3 at once, a fan-out of
/// 5 (2 beyond P), and 3 unqualified. Each test names the claim or the AWS behaviour it proves.
@Suite("Chapter 4: provisioned concurrency", .serialized, .timeLimit(.minutes(10)))
struct Chapter4Tests {
    static let (p, n) = (3, 5)
    static let outcome = Task {
        var options = Chapter4.Options()
        options.provisioned = p
        options.fanOut = n
        options.dbHandshakeMs = 60
        options.dbQueryMs = 2
        return try await exclusively { try await Chapter4.run(options) }
    }

    @Test("every claim the chapter prints held")
    func claims() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.claims.count == 5)
        let notHeld = outcome.claims.filter { !$0.holds }.map { $0.claim + " — " + $0.evidence }
        #expect(notHeld.isEmpty, "\(notHeld)")
    }

    /// Conformance, not a claim: the message AWS returned, as recorded in LocalStack's validated
    /// snapshot tests (chapters/aws-facts.md#validation-messages).
    @Test("provisioned concurrency on $LATEST is refused with AWS's recorded message")
    func latestRefused() async throws {
        #expect(try await Self.outcome.value.allocation.latestRejected
            == "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    }

    @Test("the Put answers IN_PROGRESS; READY is first read only when all 3 environments have an Init Duration of at least the 60 ms handshake")
    func allocation() async throws {
        let allocation = try await Self.outcome.value.allocation
        #expect(allocation.putStatus == .inProgress)
        #expect(allocation.config.history.map(\.status) == [.inProgress, .ready])
        #expect(allocation.config.allocated == Self.p)
        #expect(allocation.statusReads > 1)
        #expect(allocation.initialisedAtReady == Self.p)
        #expect(allocation.environments.allSatisfy { ($0.initDurationMs ?? 0) >= 60 })
        // No environment could finish Init before the Put plus its own Init Duration.
        #expect(allocation.readyAfterMs >= allocation.environments.compactMap(\.initDurationMs).max() ?? .infinity)
        #expect(allocation.readyReadMs >= allocation.readyAfterMs - 1)
    }

    @Test("3 at once on the alias: 0 cold starts, only provisioned environments, no Init Duration, the function saw provisioned-concurrency")
    func provisionedBurst() async throws {
        let step = try await Self.outcome.value.step("provisioned burst")
        #expect(step.coldStarts == 0)
        #expect(step.invocations.allSatisfy { $0.isProvisioned && $0.initDurationMs == nil })
        #expect(step.invocations.allSatisfy { $0.initializationTypeSeenByFunction == "provisioned-concurrency" })
        #expect(step.invocations.allSatisfy { !$0.logLines.contains { $0.contains("Init Duration") } })
    }

    @Test("a fan-out of 5 on P = 3: 2 cold starts (max(0, N − P)), 3 on provisioned environments, 2 spillover, CloudWatch's counts")
    func fanOut() async throws {
        let outcome = try await Self.outcome.value
        let step = outcome.step("fan-out")
        #expect(step.coldStarts == Self.n - Self.p)
        #expect(step.invocations.filter(\.isProvisioned).count == Self.p)
        #expect(step.invocations.filter(\.spillover).allSatisfy { $0.initializationType == .onDemand && $0.coldStart })
        #expect(outcome.metrics.provisionedConcurrencyInvocations == Self.p)
        #expect(outcome.metrics.provisionedConcurrencySpilloverInvocations == Self.n - Self.p)
        #expect(outcome.metrics.environmentsUsedShare == 1)
    }

    @Test("unqualified: $LATEST, 3 cold starts, none on the alias's environments, each slower than any provisioned call")
    func unqualified() async throws {
        let outcome = try await Self.outcome.value
        let step = outcome.step("unqualified"), provisioned = outcome.step("provisioned burst")
        #expect(step.coldStarts == Self.p)
        #expect(step.invocations.allSatisfy { !$0.isProvisioned })
        #expect(step.invocations.allSatisfy { $0.logLines.contains { $0.contains("Version: $LATEST") } })
        #expect(provisioned.latency.max < step.latency.min)
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

    /// The page says to wait for READY: a burst sent while the allocation is IN_PROGRESS does not
    /// wait for the environments still in Init, it cold-starts on demand.
    @Test("4 calls sent right after the Put, while IN_PROGRESS: they do not wait, they cold-start on demand")
    func beforeReady() async throws {
        // An Init of 300 ms (the worker sleeps in it) outlasts sending the burst many times over.
        var worker = try WorkbookFunctions.worker(database: nil)
        worker.environment["WORKER_INIT_SLEEP_MS"] = "300"
        let step = try await exclusively {
            try await Lab.with { lab -> (ProvisionedConcurrencyStatus, StepOutcome) in
                try lab.startInvokeAPI()
                try lab.deploy(WorkbookFunctions.orchestrator())
                try lab.deploy(worker)
                try lab.publishVersion("worker")
                _ = try lab.createAlias("worker", name: "live", version: "1")
                _ = try lab.putProvisionedConcurrency("worker", qualifier: "live", executions: 4)
                let status = try lab.provisionedConcurrency("worker", qualifier: "live").status
                return (status, try await FanOutStep.run(lab, name: "before READY", target: "worker", qualifier: "live", count: 4,
                                                         payload: WorkerEvent(hangMs: 50)))
            }
        }
        #expect(step.0 == .inProgress)
        #expect(step.1.coldStarts == 4)
        #expect(step.1.invocations.allSatisfy { $0.initializationType == .onDemand && $0.spillover })
    }

    @Test("bad options are refused in one line; --help lists every option")
    func options() throws {
        #expect(throws: WorkbookError.self) { try Chapter4.Options(arguments: ["--provisioned", "0"]) }
        #expect(throws: WorkbookError.self) { try Chapter4.Options(arguments: ["--fan-out", "x"]) }
        #expect(throws: WorkbookError.self) { try Chapter4.Options(arguments: ["--spillover", "5"]) }
        #expect(try Chapter4.Options(arguments: ["--fan-out", "8"]).fanOut == 8)
        let usage = Chapter4.Options.command.usage
        for name in ["--provisioned", "--fan-out", "--slow-query-ms", "--db-handshake-ms", "--db-query-ms", "--svg", "--json"] {
            #expect(usage.contains(name))
        }
    }
}

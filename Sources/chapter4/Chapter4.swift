import Contracts
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 4 — provisioned concurrency, the article's fix: publish a version, point an alias at it,
/// and have Lambda initialise P environments before any request arrives.
enum Chapter4 {
    struct Options: Sendable {
        var provisioned = 10
        var spillover = 5
        var dbHandshakeMs = 40.0
        /// A fast indexed lookup: this chapter's headline is single-digit milliseconds.
        var dbQueryMs = 2.0
        /// The spillover burst's calls run a slow query, so all P + k are in flight at once.
        var slowQueryMs = 50
        /// Part 2: chapter 3's fan-out of N, through aliases provisioned below, at and above N.
        var fanOut = 10

        static let usage = """
            usage: swift run chapter4 [--provisioned P] [--spillover K] [--fan-out N] [--slow-query-ms MS] [--db-handshake-ms MS] [--db-query-ms MS] [--json]

              --provisioned P       provisioned concurrency on the alias `live`, 1–50 (default 10)
              --spillover K         extra invocations beyond P in the spillover burst, 1–50 (default 5)
              --fan-out N           part 2: N calls at once, with P = N/2, N and 3N/2 provisioned, 2–30 (default 10)
              --slow-query-ms MS    the spillover burst's modeled slow query, 10–1000 (default 50)
              --db-handshake-ms MS  modeled database connection set-up, paid in init (default 40)
              --db-query-ms MS      modeled round trip of the handler's one query (default 2)
              --svg PATH            also write a picture of the run (SVG) to PATH
              --json                print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["provisioned", "spillover", "fan-out", "slow-query-ms", "db-handshake-ms", "db-query-ms"])
            provisioned = try options.int("provisioned", default: provisioned, in: 1...50)
            spillover = try options.int("spillover", default: spillover, in: 1...50)
            fanOut = try options.int("fan-out", default: fanOut, in: 2...30)
            slowQueryMs = try options.int("slow-query-ms", default: slowQueryMs, in: 10...1_000)
            (dbHandshakeMs, dbQueryMs) = try options.databaseLatency(handshakeMs: dbHandshakeMs, queryMs: dbQueryMs)
        }
    }

    struct ProvisionedEnvironment: Codable, Sendable {
        var environmentID: String
        var initDurationMs: Double?
    }

    struct Allocation: Codable, Sendable {
        /// What PutProvisionedConcurrencyConfig on `$LATEST` answered.
        var latestRejected: String
        var putStatus: ProvisionedConcurrencyStatus
        var config: ProvisionedConcurrencyConfig
        var environments: [ProvisionedEnvironment]
        /// Put → READY, measured.
        var allocationMs: Double
    }

    struct Metrics: Codable, Sendable {
        /// Of the spillover burst, as CloudWatch would count them (chapters/aws-facts.md#metrics).
        var provisionedConcurrencyInvocations: Int
        var provisionedConcurrencySpilloverInvocations: Int
        /// Provisioned environments busy at the burst's peak / allocated: an instant peak, where
        /// CloudWatch reports an average over a minute.
        var provisionedConcurrencyUtilization: Double
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 4
        var provisioned: Int
        var spillover: Int
        var modeled: ModeledDatabase
        /// The spillover burst's modeled slow query.
        var slowQueryMs: Int
        var allocation: Allocation
        var steps: [StepOutcome]
        var metrics: Metrics
        var sizing: Sizing
        var cost: CostComparison
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 4 · provisioned concurrency (P = \(provisioned), spillover \(spillover))" }
    }

    static func run(_ options: Options) async throws -> Outcome {
        let (p, k) = (options.provisioned, options.spillover)
        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                queryLatency: .milliseconds(options.dbQueryMs)))
        defer { database.stop() }
        let (allocation, steps, sizing) = try await Lab.with { lab -> (Allocation, [StepOutcome], Sizing) in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())

            // Provisioned concurrency needs a published version; $LATEST is refused.
            var rejected = ""
            do { try lab.putProvisionedConcurrency("worker", qualifier: "$LATEST", executions: p) } catch let error as LabError { rejected = error.message }
            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            let start = ContinuousClock.now
            let put = try lab.putProvisionedConcurrency("worker", qualifier: "live", executions: p)
            let ready = try await lab.waitForProvisionedConcurrency("worker", qualifier: "live")
            let allocationMs = (ContinuousClock.now - start).milliseconds
            let environments = lab.environments.filter { $0.provisionedFor == "live" }
                .map { ProvisionedEnvironment(environmentID: $0.id, initDurationMs: $0.initDuration?.milliseconds) }
            let allocation = Allocation(latestRejected: rejected, putStatus: put.status, config: ready, environments: environments,
                                        allocationMs: allocationMs)

            let provisioned = try await FanOutStep.run(lab, name: "provisioned burst", target: "worker", qualifier: "live", count: p)
            // Each call of this burst runs a slow query (modeled), so the provisioned environments are
            // all still busy when the last of the P + k calls arrives: the burst is truly concurrent.
            let spill = try await FanOutStep.run(lab, name: "spillover burst", target: "worker", qualifier: "live", count: p + k,
                                                 payload: WorkerEvent(key: "report", queryMs: options.slowQueryMs))
            // The same code as version 2, without provisioned concurrency: the before picture.
            try lab.publishVersion("worker")
            let baseline = try await FanOutStep.run(lab, name: "cold baseline", target: "worker", qualifier: "2", count: p)
            let (sizing, sized) = try await Chapter4.sizing(lab, database: database, options: options)
            return (allocation, [provisioned, spill, baseline] + sized, sizing)
        }
        let spill = steps[1]
        let onProvisioned = spill.invocations.filter { $0.initializationType == .provisionedConcurrency }
        let metrics = Metrics(provisionedConcurrencyInvocations: onProvisioned.count,
                              provisionedConcurrencySpilloverInvocations: spill.invocations.filter(\.spillover).count,
                              provisionedConcurrencyUtilization: Double(Set(onProvisioned.map(\.environmentID)).count) / Double(p))
        return Outcome(provisioned: p, spillover: k, modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs),
                       slowQueryMs: options.slowQueryMs,
                       allocation: allocation, steps: steps, metrics: metrics, sizing: sizing,
                       cost: costComparison(provisioned: p, fanOut: options.fanOut, cold: steps.first { $0.name == "unqualified" }!,
                                            onProvisioned: steps.first { $0.name == "sized equal" }!),
                       claims: claims(allocation, steps, metrics, p: p, k: k) + sizingClaims(sizing, steps, handshakeMs: options.dbHandshakeMs))
    }

    static func claims(_ allocation: Allocation, _ steps: [StepOutcome], _ metrics: Metrics, p: Int, k: Int) -> [Claim] {
        let (provisioned, spill, baseline) = (steps[0], steps[1], steps[2])
        let statuses = allocation.config.history.map(\.status)
        return [
            Claim("Provisioned concurrency on $LATEST is refused with AWS's error",
                  holds: allocation.latestRejected == "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
                  evidence: "InvalidParameterValueException: \(allocation.latestRejected)"),
            Claim("The configuration goes IN_PROGRESS → READY only after all \(p) environments have run Init as provisioned-concurrency",
                  holds: allocation.putStatus == .inProgress && statuses == [.inProgress, .ready] && allocation.config.allocated == p
                      && allocation.environments.count == p && allocation.environments.allSatisfy { $0.initDurationMs != nil },
                  evidence: "\(statuses.map(\.rawValue).joined(separator: " → ")) after \(allocation.allocationMs.twoDecimals) ms; \(allocation.environments.count) environments initialised, \(allocation.config.allocated) allocated"),
            Claim("A burst of \(p) on the alias starts nothing: 0 cold starts, every call on a provisioned environment, no Init Duration in any REPORT",
                  holds: provisioned.coldStarts == 0 && provisioned.environments <= p
                      && provisioned.invocations.allSatisfy { $0.initializationType == .provisionedConcurrency && $0.initDurationMs == nil
                          && $0.initializationTypeSeenByFunction == "provisioned-concurrency" },
                  evidence: "\(provisioned.coldStarts) cold starts, \(provisioned.environments) provisioned environments served \(provisioned.invocations.count) calls, the function saw AWS_LAMBDA_INITIALIZATION_TYPE=\(provisioned.invocations.first?.initializationTypeSeenByFunction ?? "?")"),
            Claim("Every call in that burst was faster than the fastest cold start: its slowest latency is below the cold baseline's quickest",
                  holds: provisioned.latency.max < baseline.latency.min,
                  evidence: "provisioned burst latency p50 \(provisioned.latency.p50.twoDecimals) ms, max \(provisioned.latency.max.twoDecimals) ms; cold baseline min \(baseline.latency.min.twoDecimals) ms"),
            Claim("\(p + k) at once: \(p) run on provisioned environments, \(k) spill over to on-demand with cold starts",
                  holds: metrics.provisionedConcurrencyInvocations == p && metrics.provisionedConcurrencySpilloverInvocations == k && spill.coldStarts == k,
                  evidence: "ProvisionedConcurrencyInvocations \(metrics.provisionedConcurrencyInvocations), ProvisionedConcurrencySpilloverInvocations \(metrics.provisionedConcurrencySpilloverInvocations), cold starts \(spill.coldStarts), utilization \(Int(metrics.provisionedConcurrencyUtilization * 100)) %"),
            // A difference, not a ratio: it holds however long the handler (--db-query-ms) is.
            Claim("Without provisioned concurrency the same burst cold-starts \(p) environments, and its p50 is slower than the provisioned burst's by at least half an Init Duration (p50)",
                  holds: baseline.coldStarts == p && baseline.latency.p50 - provisioned.latency.p50 >= 0.5 * baseline.initDurations.p50,
                  evidence: "cold baseline: \(baseline.coldStarts) cold starts, p50 \(baseline.latency.p50.twoDecimals) ms vs \(provisioned.latency.p50.twoDecimals) ms provisioned; Init Duration p50 \(baseline.initDurations.p50.twoDecimals) ms"),
        ]
    }
}

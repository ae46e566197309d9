import Contracts
import Foundation
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 4 — provisioned concurrency, the article's fix: publish a version, point an alias at it,
/// have Lambda initialise P environments before any request arrives, then fan out through the
/// alias — P at once, N at once (cold starts = max(0, N − P)), and without the alias.
enum Chapter4: Chapter {
    struct Options: ChapterOptions {
        var provisioned = 10
        var fanOut = 15
        /// The fan-out step's calls run a slow query, so all N are in flight at once.
        var slowQueryMs = 50
        var dbHandshakeMs = 40.0
        /// A fast indexed lookup; the other chapters use 5 ms.
        var dbQueryMs = 2.0

        static let command = Command<Options>("chapter4", [
            .int("provisioned", \.provisioned, in: 1...50, placeholder: "P", "provisioned concurrency on the alias `live`"),
            .int("fan-out", \.fanOut, in: 1...100, "the fan-out step: N calls at once through the alias, each running the slow query"),
            .int("slow-query-ms", \.slowQueryMs, in: 10...1_000, placeholder: "MS", "the fan-out step's modeled slow query, so all N calls are in flight together"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up, paid in the worker's init"),
            .milliseconds("db-query-ms", \.dbQueryMs, in: 0...10_000, "modeled round trip of the handler's one query (a fast indexed lookup)"),
        ])
    }

    /// Of the fan-out step, as CloudWatch would count them (chapters/aws-facts.md#metrics).
    struct Metrics: Codable, Sendable {
        var provisionedConcurrencyInvocations: Int
        var provisionedConcurrencySpilloverInvocations: Int
        /// Distinct provisioned environments that served the step ÷ P. Not CloudWatch's
        /// ProvisionedConcurrencyUtilization (busy ÷ allocated, averaged over a minute).
        var environmentsUsedShare: Double
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 4
        var provisioned: Int
        var fanOut: Int
        var modeled: ModeledDatabase
        var slowQueryMs: Int
        var allocation: Allocation
        var metrics: Metrics
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 4 · provisioned concurrency (P = \(provisioned), fan-out N = \(fanOut))" }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let (p, n) = (options.provisioned, options.fanOut)
        transcript.title(4, "provisioned concurrency", question: "Can the fan-out's cold starts be paid before anyone is waiting?")
        transcript.say("Setup: the worker of chapter 3 (it connects to the stand-in database in its init) and the orchestrator. Modeled (not measured): the database handshake \(options.dbHandshakeMs.twoDecimals) ms, the handler's query \(options.dbQueryMs.twoDecimals) ms (a fast indexed lookup) and the fan-out step's slow query \(options.slowQueryMs) ms. Everything else is measured on this machine.")

        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                queryLatency: .milliseconds(options.dbQueryMs)))
        defer { database.stop() }
        let (allocation, metrics) = try await Lab.with { lab -> (Allocation, Metrics) in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())

            // Allocation. $LATEST is refused; a published version behind an alias is provisioned.
            var rejected = ""
            do { try lab.putProvisionedConcurrency("worker", qualifier: "$LATEST", executions: p) } catch let error as LabError { rejected = error.message }
            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            let allocation = try await allocate(lab, function: "worker", qualifier: "live", executions: p, latestRejected: rejected)
            let inits = Summary(milliseconds: allocation.environments.compactMap(\.initDurationMs))
            transcript.show("Allocation\n──────────")
            transcript.say("Provisioned concurrency is set on a published version or an alias. Asked for on $LATEST, the lab answers with AWS's recorded error (chapters/aws-facts.md#validation-messages):", indent: "  ")
            transcript.show("    InvalidParameterValueException: \(allocation.latestRejected)")
            transcript.say("So: PublishVersion → version 1; CreateAlias live → 1; PutProvisionedConcurrencyConfig live = \(p), answered \(allocation.putStatus.rawValue). The lab starts \(p) environments with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency; each runs its Init (process start, database handshake) with no request waiting: Init Duration p50 \(inits.p50.twoDecimals) ms, max \(inits.max.twoDecimals) ms.", indent: "  ")
            transcript.say("The status became READY \(allocation.readyAfterMs.twoDecimals) ms after the Put (the lab's status history). The chapter, reading it every millisecond as a deployment waits for READY, first read READY at \(allocation.readyReadMs.twoDecimals) ms (its own clock, read \(allocation.statusReads) times), and read the alias's environments right after.", indent: "  ")
            // An observable, not the lab's definition of READY: an environment still in Init
            // when READY was read would show up in the read right after it.
            transcript.claim("The status read READY only once all \(p) provisioned environments had finished Init",
                             holds: allocation.putStatus == .inProgress && allocation.config.history.map(\.status) == [.inProgress, .ready]
                                 && allocation.environments.count == p && allocation.initialisedAtReady == p,
                             evidence: "\(allocation.statusReads - 1) reads said IN_PROGRESS, then READY at \(allocation.readyReadMs.twoDecimals) ms; read right after: \(allocation.initialisedAtReady) of \(allocation.environments.count) environments with an Init Duration")

            // 1. The article's fix: the burst of chapter 3, through the alias.
            let provisioned = try await FanOutStep.run(lab, name: "provisioned burst", target: "worker", qualifier: "live", count: p)
            transcript.step(provisioned, "The orchestrator invokes worker:live \(p) times at once — the article's fix. Every request finds an initialised environment: expect 0 cold starts, no Init Duration in any REPORT, and the latency of a warm call.", burst: true)
            transcript.claim("\(p) at once through the alias start nothing: 0 cold starts, every call on a provisioned environment, no Init Duration in any REPORT, and the function itself saw AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency",
                             holds: provisioned.coldStarts == 0 && provisioned.environments <= p
                                 && provisioned.invocations.allSatisfy { $0.isProvisioned && $0.initDurationMs == nil
                                     && $0.initializationTypeSeenByFunction == "provisioned-concurrency" },
                             evidence: "\(provisioned.coldStarts) cold starts; \(provisioned.invocations.filter(\.isProvisioned).count) of \(provisioned.invocations.count) calls on provisioned environments; the function saw \(Set(provisioned.invocations.compactMap(\.initializationTypeSeenByFunction)).sorted().joined(separator: ", "))")
            transcript.say("Latency p50 \(provisioned.latency.p50.twoDecimals) ms, of which the handler ran \(provisioned.durations.p50.twoDecimals) ms (Duration p50): the \(options.dbQueryMs.twoDecimals) ms modeled query plus the handler's own work; the rest is the hops from the orchestrator to the environment and back. Provisioned concurrency took the Init out of the call; how many milliseconds are left is the handler's.", indent: "  ")

            // 2. The fan-out outgrows P (or not): every call holds its environment for the slow
            // query, so all N are in flight together and none can reuse another's.
            let fanOut = try await FanOutStep.run(lab, name: "fan-out", target: "worker", qualifier: "live", count: n,
                                                  payload: WorkerEvent(key: "report", queryMs: options.slowQueryMs))
            let spill = max(0, n - p)
            transcript.step(fanOut, "Now \(n) at once through the alias, each running a slow query (modeled: \(options.slowQueryMs) ms) so that all \(n) are in flight together. "
                + (spill > 0 ? "\(p) take the provisioned environments; the other \(spill) find them all busy and spill over to on-demand concurrency, with cold starts: expect \(spill) cold starts, max(0, N − P)."
                             : "Each takes a provisioned environment: expect 0 cold starts, max(0, N − P), and \(p - n) provisioned environment\(p - n == 1 ? "" : "s") left idle — paid for all the same."),
                            logs: false, burst: true)
            let onProvisioned = fanOut.invocations.filter(\.isProvisioned)
            let metrics = Metrics(provisionedConcurrencyInvocations: onProvisioned.count,
                                  provisionedConcurrencySpilloverInvocations: fanOut.invocations.filter(\.spillover).count,
                                  environmentsUsedShare: Double(Set(onProvisioned.map(\.environmentID)).count) / Double(p))
            transcript.say("As CloudWatch would count them: ProvisionedConcurrencyInvocations \(metrics.provisionedConcurrencyInvocations) · ProvisionedConcurrencySpilloverInvocations \(metrics.provisionedConcurrencySpilloverInvocations). Provisioned environments used: \(Set(onProvisioned.map(\.environmentID)).count) of \(p) (environments used ÷ P = \(Int((metrics.environmentsUsedShare * 100).rounded())) %; CloudWatch's ProvisionedConcurrencyUtilization is busy ÷ allocated, averaged over a minute).", indent: "  ")
            transcript.claim("\(n) at once through an alias provisioned for \(p): max(0, N − P) = \(spill) cold start\(spill == 1 ? "" : "s"); \(min(n, p)) calls on provisioned environments, \(spill) counted as spillover",
                             unless: notAtOnce(fanOut),
                             holds: fanOut.coldStarts == spill && onProvisioned.count == min(n, p) && metrics.provisionedConcurrencySpilloverInvocations == spill,
                             evidence: "\(fanOut.coldStarts) cold starts, \(onProvisioned.count) calls on provisioned environments, \(metrics.provisionedConcurrencySpilloverInvocations) spillover")

            // 3. The same burst as step 1, unqualified: $LATEST, which no provisioned concurrency
            // covers. Chapter 3's cold burst again — the before picture.
            let unqualified = try await FanOutStep.run(lab, name: "unqualified", target: "worker", count: p)
            transcript.step(unqualified, "The same \(p) calls as step 1, without a qualifier. An unqualified call goes to $LATEST, which provisioned concurrency never covers: expect \(p) cold starts beside the alias's \(p) idle provisioned environments — chapter 3's cold burst, the before picture.", burst: true)
            transcript.claim("Called without a qualifier, the same function goes to $LATEST and never uses the alias's \(p) provisioned environments: \(p) cold starts",
                             unless: notAtOnce(unqualified),
                             holds: unqualified.coldStarts == p && !unqualified.invocations.contains(where: \.isProvisioned),
                             evidence: "unqualified: \(unqualified.coldStarts) cold starts, \(unqualified.invocations.filter(\.isProvisioned).count) calls on provisioned environments")
            transcript.claim("Every call of the provisioned burst was faster than the fastest cold start: its slowest latency is below the unqualified burst's quickest",
                             holds: provisioned.latency.max < unqualified.latency.min,
                             evidence: "provisioned burst: p50 \(provisioned.latency.p50.twoDecimals) ms, max \(provisioned.latency.max.twoDecimals) ms; unqualified: min \(unqualified.latency.min.twoDecimals) ms, p50 \(unqualified.latency.p50.twoDecimals) ms")

            transcript.summary()
            transcript.say("Sizing P to a fan-out: cold starts = max(0, N − P). P = N removes them all; a larger P only adds idle environments; a smaller one leaves N − P cold starts, on demand. Every provisioned environment is billed for each hour it is kept, busy or not: what that costs against the Inits it saves is chapter 6 (`swift run chapter6`).")
            return (allocation, metrics)
        }
        transcript.recap()
        return Outcome(provisioned: p, fanOut: n, modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs),
                       slowQueryMs: options.slowQueryMs, allocation: allocation, metrics: metrics,
                       steps: transcript.steps, claims: transcript.claims)
    }

    /// Why a count claim cannot be tested on this run: its burst did not reach the lab at once.
    static func notAtOnce(_ step: StepOutcome) -> String? {
        step.arrivedAtOnce ? nil : "beyond this machine: the burst reached the lab over \(step.arrivalSpreadMs.twoDecimals) ms and its first call ended at \(step.firstFinishMs.twoDecimals) ms, so late calls could reuse early environments"
    }
}

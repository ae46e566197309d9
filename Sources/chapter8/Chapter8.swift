import Contracts
import Foundation
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 8 — one environment, many requests: the article's fan-out on Lambda Managed Instances.
/// The same orchestrator and worker, the same fan-out of N, two ways: on Lambda's default (one
/// request per environment: N environments, N cold starts) and on Managed Instances (environments
/// started when the version is published, K requests at once in each, no cold start — and a
/// throttle when every slot is busy, until the scaler adds environments).
enum Chapter8: Chapter {
    struct Options: ChapterOptions {
        var fanOut = 64
        var maxConcurrency = 16
        var dbHandshakeMs = 40.0
        /// Long enough that a fan-out's calls are all in flight together.
        var dbQueryMs = 50.0
        /// The Managed Instances scaler's model times, scaled (0.01: it looks every 0.6 s).
        var scalerTimeScale = 0.01
        /// The SDK's backoff base for throttled calls (the standard retry mode uses 1 s).
        var retryBaseMs = 100.0

        static let command = Command<Options>("chapter8", [
            .int("fan-out", \.fanOut, in: 4...128, "how many times the orchestrator invokes the worker at once"),
            .int("max-concurrency", \.maxConcurrency, in: 2...64, placeholder: "K", "PerExecutionEnvironmentMaxConcurrency: invocations at once in one environment"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up, paid in init"),
            .milliseconds("db-query-ms", \.dbQueryMs, in: 1...10_000, "modeled round trip of the worker's one query"),
            .number("scaler-time-scale", \.scalerTimeScale, in: 0.001...1, "the scaler's model times, scaled (1: it looks every 60 s)"),
            .milliseconds("retry-base-ms", \.retryBaseMs, in: 10...1_000, "the SDK's backoff base for throttled calls"),
        ])
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 8
        var fanOut: Int
        var maxConcurrency: Int
        var modeled: ModeledDatabase
        /// Publish → Active of the Managed Instances version, and its environments' Inits.
        var publishToActiveMs: Double
        var managedInitDurationsMs: [Double]
        var scaling: [Lab.ScalingEvent]
        var environmentsAfterBurst: Int
        var cost: ManagedCost
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 8 · the fan-out on Lambda Managed Instances (N = \(fanOut), K = \(maxConcurrency))" }
        func picture() -> String { Chapter8.picture(self) }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let n = options.fanOut, k = options.maxConcurrency
        transcript.title(8, "one environment, many requests", question: "The article's fan-out of \(n) costs \(n) cold starts on Lambda's default. What changes when one execution environment may serve \(k) requests at once?")
        transcript.say("Setup: the orchestrator and the worker of chapter 3, with the worker deployed twice — as `worker`, on Lambda's default, and as `worker-mi`, on a capacity provider with PerExecutionEnvironmentMaxConcurrency \(k) (Lambda Managed Instances). Modeled: the database's handshake \(options.dbHandshakeMs.twoDecimals) ms and query \(options.dbQueryMs.twoDecimals) ms; the scaler's times (AWS publishes none) at \(options.scalerTimeScale) of the lab's model, and prices. Everything else is measured on this machine.")

        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                queryLatency: .milliseconds(options.dbQueryMs)))
        defer { database.stop() }
        var configuration = LabConfiguration()
        configuration.managedInstances.timeScale = options.scalerTimeScale
        // The lab's account limit must fit the default step's N environments and the orchestrator.
        configuration.accountConcurrency = max(1_000, 2 * n + 10)
        let retry = RetryPolicy(maxAttempts: 12, baseMs: options.retryBaseMs, seed: 8)
        let calling = FanOutStep.Calling(retry: retry, acceptThrottles: true)

        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.orchestrator(timeout: .seconds(120)))
            try lab.deploy(WorkbookFunctions.worker(database: database, timeout: .seconds(10)))

            // 1. Lambda's default: one request per environment (chapter 3's lesson, at N).
            var onDefault = try await FanOutStep.run(lab, name: "on Lambda's default", target: "worker", count: n)
            for _ in 1..<3 where !onDefault.arrivedAtOnce {
                try lab.deploy(WorkbookFunctions.worker(database: database, timeout: .seconds(10)))
                onDefault = try await FanOutStep.run(lab, name: "on Lambda's default", target: "worker", count: n)
            }
            transcript.step(onDefault, "The orchestrator invokes `worker` \(n) times at once. One environment serves one request at a time: expect \(n) environments and \(n) cold starts.", logs: false, burst: true)
            transcript.claim("On Lambda's default, \(n) calls at once start \(n) execution environments, each a cold start",
                             unless: notAtOnce(onDefault),
                             holds: onDefault.environments == n && onDefault.coldStarts == n,
                             evidence: "\(onDefault.environments) environments, \(onDefault.coldStarts) cold starts")

            // 2. Managed Instances: the worker on a capacity provider; publishing starts its environments.
            try lab.deploy(WorkbookFunctions.worker(name: "worker-mi", database: database, timeout: .seconds(10)))
            let published = ContinuousClock.now
            // Held at AWS's default minimum of 3 for now (maximum 3 too), so step 2 shows what three
            // environments do; step 3 lets the scaler go further.
            let version = try lab.runOnManagedInstances("worker-mi", maxConcurrency: k, scaling: Lab.ScalingConfig(minimum: 3, maximum: 3))
            let active = try await lab.waitForManagedVersion("worker-mi", version: version.version)
            let publishToActive = (ContinuousClock.now - published).milliseconds
            let managed = lab.environments.filter { $0.functionName == "worker-mi" }
            let inits = managed.compactMap(\.initDuration).map(\.milliseconds).sorted()
            // Init ends when a runtime's first worker asks for work; its other workers may still be
            // starting. The burst waits until every worker waits, so it meets K slots with K workers.
            let allWaitingMs = try await waitForWorkers(lab, function: "worker-mi", each: k, since: published)
            transcript.section("Publishing on Managed Instances")
            transcript.say("PublishVersion started \(managed.count) execution environments before any request, each told AWS_LAMBDA_MAX_CONCURRENCY=\(k) and AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances. Their Inits took \(inits.map(\.twoDecimals).joined(separator: ", ")) ms — each opening a small pool of database connections for its \(k) concurrent requests — and the version went from Pending to \(active.state) \(publishToActive.twoDecimals) ms after the publish. " + (allWaitingMs.map { "Every runtime had its \(k) workers waiting in GET /next \($0.twoDecimals) ms after the publish." } ?? "Not every runtime had its \(k) workers waiting in GET /next within 30 s: the next step may see fewer at once."), indent: "  ")
            transcript.claim("Publishing the version started its \(active.minimum) environments (AWS's default minimum) before any invocation, and it became Active only after every one finished Init",
                             holds: active.state == "Active" && managed.count == active.minimum && inits.count == active.minimum
                                 && publishToActive >= (inits.max() ?? .infinity),
                             evidence: "\(managed.count) environments, Inits \(inits.map(\.twoDecimals).joined(separator: ", ")) ms; Active after \(publishToActive.twoDecimals) ms")

            // 3. The same fan-out on Managed Instances, with the SDK's retries.
            let startedBefore = lab.environmentsStarted
            let onManaged = try await FanOutStep.run(lab, name: "on Managed Instances", target: "worker-mi", qualifier: version.version,
                                                     count: n, calling: calling)
            let slots = active.minimum * k
            let firstThrottled = onManaged.everThrottled.count
            let peaks = peakInFlight(onManaged)
            let answers = onManaged.invocations.compactMap { $0.response?.decode(WorkerAnswer.self) }
            transcript.step(onManaged, "The same \(n) calls at once, to `worker-mi:\(version.version)`. Nothing starts: \(active.minimum) environments × \(k) slots = \(slots) requests at once. " + (n > slots ? "The other \(n - slots) are throttled (429) — Managed Instances never queue a request and never cold-start one — and the SDK's retries bring them back as slots free up." : "Every call finds a free slot."), logs: false)
            transcript.show(environmentTable(onManaged, peaks: peaks, answers: answers))
            transcript.claim("On Managed Instances the \(n) calls need no cold start: they run in the \(active.minimum) environments started at publish",
                             holds: onManaged.coldStarts == 0 && onManaged.environments == active.minimum && lab.environmentsStarted == startedBefore
                                 && onManaged.invocations.count == n,
                             evidence: "\(onManaged.invocations.count) ran in \(onManaged.environments) environments, \(onManaged.coldStarts) cold starts, \(lab.environmentsStarted - startedBefore) environments started")
            transcript.claim("Each environment ran \(k) requests at once, never more: \(min(n, slots)) slots were filled and the \(max(0, n - slots)) calls beyond them were throttled at first",
                             unless: notAtOnce(firstAttempts(onManaged)),
                             holds: peaks.values.allSatisfy { $0 <= k } && peaks.values.reduce(0, +) == min(n, slots) && firstThrottled == max(0, n - slots),
                             evidence: "most at once per environment: \(peaks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); throttled at first: \(firstThrottled)")
            transcript.claim("The SDK's retries got every call through: \(n) answered 200, none left throttled",
                             holds: onManaged.calls.count == n && onManaged.calls.allSatisfy { $0.status == 200 },
                             evidence: "\(onManaged.calls.filter { $0.status == 200 }.count) answered 200 after \(onManaged.calls.map(\.attempts).max() ?? 0) attempts at most")
            // Shared state: one counter per environment, bumped by concurrent requests under a lock;
            // and one database connection per query in flight, from a pool that grows no further.
            let byEnvironment = Dictionary(grouping: answers, by: { $0.pid }).values
            let counted = byEnvironment.map { $0.map(\.invocationCount).max() ?? 0 }.reduce(0, +)
            let connections = byEnvironment.map { $0.map(\.connectionsOpened).max() ?? 0 }
            transcript.claim("The worker's state is shared by concurrent requests and stays right: its per-environment counters add up to the \(n) invocations, and no environment's connection pool grew beyond the \(k) queries it may run at once",
                             holds: counted == n && connections.allSatisfy { $0 <= k },
                             evidence: "counters sum to \(counted); connections opened per environment: \(connections.sorted().map(String.init).joined(separator: ", "))")

            // 4. More than double the in-flight work at once, for longer than the scaler takes to
            //    look: throttles until it adds environments.
            let burstSize = 3 * slots
            let heavyQueryMs = 1_000
            let maximum = 10 * active.minimum
            _ = try lab.putFunctionScalingConfig("worker-mi", qualifier: version.version, minimum: active.minimum, maximum: maximum)
            let environmentsBefore = Set(lab.environments.filter { $0.functionName == "worker-mi" }.map(\.id))
            let burst = try await FanOutStep.run(lab, name: "a burst of \(burstSize)", target: "worker-mi", qualifier: version.version,
                                                 count: burstSize, payload: WorkerEvent(queryMs: heavyQueryMs), calling: calling)
            let afterBurst = lab.managedStatus("worker-mi", version: version.version)
            let added = (afterBurst?.history ?? []).filter { $0.environmentsAfter > $0.environmentsBefore }
            let inAdded = burst.invocations.filter { !environmentsBefore.contains($0.environmentID) }.count
            transcript.step(burst, "\(burstSize) calls at once, each a \(heavyQueryMs) ms query: three times what the environments hold, for longer than the scaler takes to look, with the version's maximum raised from 3 to \(maximum) environments (PutFunctionScalingConfig). AWS keeps headroom for traffic to double within 5 minutes; faster than that, calls are throttled while the scaler — which watches how full the environments are and how much CPU they use, never an arrival — adds environments. The retries wait and try again, and later ones land in the new environments.", logs: false)
            transcript.say("The scaler: " + (added.isEmpty ? "added no environment." : added.map { "\(($0.afterMs / 1000).twoDecimals) s after the publish it saw the environments \(Int($0.saturation * 100)) % full (CPU \(Int($0.cpu * 100)) %) and went from \($0.environmentsBefore) to \($0.environmentsAfter)" }.joined(separator: "; ") + "."), indent: "  ")
            transcript.claim("A burst of three times the slots is throttled at first; the scaler adds environments (none is started by an arrival); the retries get every call through, some in the added environments, with no cold start",
                             holds: burst.everThrottled.count > 0 && !added.isEmpty && inAdded > 0 && burst.calls.allSatisfy { $0.status == 200 } && burst.coldStarts == 0,
                             evidence: "\(burst.everThrottled.count) calls throttled at least once; the scaler went \(added.first?.environmentsBefore ?? 0) → \(added.map(\.environmentsAfter).max() ?? 0) environments (\(afterBurst?.environments ?? 0) at the step's end); \(inAdded) calls ran in added environments; \(burst.calls.filter { $0.status == 200 }.count) of \(burstSize) answered 200; \(burst.coldStarts) cold starts")

            transcript.summary()
            let cost = ManagedCost.priced(fanOut: n, onDefault: onDefault, onManaged: onManaged, environments: active.minimum)
            transcript.say(cost.narrative)
            transcript.recap()
            return Outcome(fanOut: n, maxConcurrency: k,
                           modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs),
                           publishToActiveMs: publishToActive, managedInitDurationsMs: inits, scaling: afterBurst?.history ?? [],
                           environmentsAfterBurst: afterBurst?.environments ?? 0, cost: cost, steps: transcript.steps, claims: transcript.claims)
        }
    }

    /// Why a count claim cannot be tested on this run: its burst did not reach the lab at once.
    static func notAtOnce(_ step: StepOutcome) -> String? {
        step.arrivedAtOnce ? nil : "beyond this machine: the calls reached the lab over \(step.arrivalSpreadMs.twoDecimals) ms and the first ended at \(step.firstFinishMs.twoDecimals) ms"
    }

    /// Waits (up to 30 s) until each of the function's environments has `each` `GET /next` waiting;
    /// returns when that was, in ms since `since`, or nil if it never was.
    static func waitForWorkers(_ lab: Lab, function: String, each: Int, since: ContinuousClock.Instant) async throws -> Double? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let environments = lab.environments.filter { $0.functionName == function }
            if !environments.isEmpty, environments.allSatisfy({ $0.parkedNexts >= each }) {
                return (ContinuousClock.now - since).milliseconds
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    /// The calls that ran at their first attempt: whether those reached the lab at once is what
    /// "the slots were filled" needs (retries arrive later by design).
    static func firstAttempts(_ step: StepOutcome) -> StepOutcome {
        let first = Set(step.calls.filter { $0.attempts == 1 }.map(\.requestID))
        return StepOutcome(name: step.name, invocations: step.invocations.filter { first.contains($0.requestID) }, wallMs: step.wallMs)
    }

    /// The most invocations each environment ran at once, from the lab's records (handler start to end).
    static func peakInFlight(_ step: StepOutcome) -> [String: Int] {
        Dictionary(grouping: step.invocations, by: \.environmentID).mapValues { invocations -> Int in
            var edges: [(at: Double, change: Int)] = []
            for invocation in invocations {
                edges.append((invocation.handlerStartedAtMs, 1))
                edges.append((invocation.handlerStartedAtMs + invocation.durationMs, -1))
            }
            // An end and a start at the same instant: the end first.
            edges.sort { $0.at == $1.at ? $0.change < $1.change : $0.at < $1.at }
            var running = 0, peak = 0
            for edge in edges {
                running += edge.change
                peak = max(peak, running)
            }
            return peak
        }
    }

    /// One row per environment: what it served, how many at once, the worker's own counts.
    static func environmentTable(_ step: StepOutcome, peaks: [String: Int], answers: [WorkerAnswer]) -> String {
        var table = TextTable([("environment", .left), ("invocations", .right), ("most at once (lab)", .right),
                               ("most at once (worker)", .right), ("its counter", .right), ("DB connections", .right)])
        let byEnvironment = Dictionary(grouping: step.invocations, by: \.environmentID)
        for (environment, invocations) in byEnvironment.sorted(by: { $0.key.environmentNumber < $1.key.environmentNumber }) {
            let mine = invocations.compactMap { $0.response?.decode(WorkerAnswer.self) }
            table.add([environment, String(invocations.count), String(peaks[environment] ?? 0),
                       String(mine.compactMap(\.inFlightInEnvironment).max() ?? 0), String(mine.map(\.invocationCount).max() ?? 0),
                       String(mine.map(\.connectionsOpened).max() ?? 0)])
        }
        return table.render()
    }
}

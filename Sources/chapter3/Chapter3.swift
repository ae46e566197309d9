import Foundation
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 3 — concurrent fan-out: the article's experiment. An orchestrator function invokes a
/// worker N times at once; how many execution environments, how many cold starts, and what it
/// costs — then the same again warm, twice as many, and one at a time.
enum Chapter3: Chapter {
    struct Options: ChapterOptions {
        var concurrency = 10
        var dbHandshakeMs = 40.0
        var dbQueryMs = 5.0

        static let command = Command<Options>("chapter3", [
            .int("concurrency", \.concurrency, in: 1...100, "invocations the orchestrator sends at once"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up, paid in the worker's init"),
            .milliseconds("db-query-ms", \.dbQueryMs, in: 0...10_000, "modeled round trip of the worker's one query per invocation"),
        ])
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 3
        var concurrency: Int
        var modeled: ModeledDatabase
        /// How many times the three bursts were run before each reached the lab at once (1–3).
        var burstAttempts: Int
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 3 · concurrent fan-out (N = \(concurrency))" }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let n = options.concurrency
        transcript.title(3, "concurrent fan-out", question: "What happens when one function invokes another \(n) times at once?")
        transcript.say("Setup: the lab runs two functions, each execution environment a real process speaking the Lambda Runtime API. `orchestrator` calls the lab's Invoke API; `worker` opens a connection to a stand-in database in its init and runs one query per invocation. Modeled (not measured): the database's handshake \(options.dbHandshakeMs.twoDecimals) ms and query round trip \(options.dbQueryMs.twoDecimals) ms, standing for a database on another host. Everything else is measured on this machine.")

        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                queryLatency: .milliseconds(options.dbQueryMs)))
        defer { database.stop() }
        let attempts = try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.orchestrator())

            // Steps 1–3 are bursts, and the lesson needs each to reach the lab at once, as on AWS:
            // a burst that a busy machine spreads out lets late calls reuse early environments. So
            // the three run on a fresh deployment of the worker, again (up to three times) until
            // every burst arrived before its first call ended.
            var bursts: (cold: StepOutcome, warm: StepOutcome, bigger: StepOutcome)!
            var attempts = 0
            repeat {
                attempts += 1
                try lab.deploy(WorkbookFunctions.worker(database: database))
                bursts = (try await FanOutStep.run(lab, name: "cold burst", target: "worker", count: n),
                          try await FanOutStep.run(lab, name: "warm burst", target: "worker", count: n),
                          try await FanOutStep.run(lab, name: "bigger burst", target: "worker", count: 2 * n))
            } while attempts < 3 && ![bursts.cold, bursts.warm, bursts.bigger].allSatisfy(\.arrivedAtOnce)
            let (cold, warm, bigger) = bursts
            if attempts > 1 {
                transcript.say("⚠ This machine spread a burst out over longer than a call takes, so the three bursts were run \(attempts) times, each on a fresh deployment; what follows is the last run.")
            }

            // 1. Nothing runs yet: every concurrent request needs a new environment.
            transcript.step(cold, "The orchestrator invokes worker \(n) times at once. No environment exists yet, and one environment serves one request at a time, so Lambda starts one per request: expect \(n) environments and \(n) cold starts, each REPORT carrying Init Duration (process start + connecting to the database).", burst: true)
            transcript.waterfall(cold)
            machine(cold, n: n, handshakeMs: options.dbHandshakeMs, transcript: transcript)
            transcript.claim("\(n) concurrent invocations start \(n) execution environments, each with a cold start (Init Duration in its REPORT)",
                             unless: notAtOnce(cold),
                             holds: cold.environments == n && cold.coldStarts == n && cold.invocations.allSatisfy { $0.initDurationMs != nil },
                             evidence: "cold burst: \(cold.environments) environments, \(cold.coldStarts) cold starts")
            // Each cold call waited for its own Init before its handler ran; a warm one waits for none.
            transcript.claim("Every cold call waited for its environment's Init: its latency exceeds its own Init Duration",
                             holds: cold.invocations.allSatisfy { ($0.latencyMs ?? 0) > ($0.initDurationMs ?? .infinity) },
                             evidence: "smallest latency − Init Duration over the cold calls: \((cold.invocations.map { ($0.latencyMs ?? 0) - ($0.initDurationMs ?? 0) }.min() ?? 0).twoDecimals) ms")
            let serial = cold.invocations.map { ($0.initDurationMs ?? 0) + $0.durationMs }.reduce(0, +)
            // One after another they would take the sum of their Inits and handlers; side by side
            // the burst takes a fraction of that (on AWS, about one of them).
            transcript.claim("The \(n) cold starts ran side by side: the whole burst took less than 3/4 of its Inits and handlers one after another",
                             unless: n < 2 ? "with --concurrency 1 there is nothing to overlap" : nil,
                             holds: cold.wallMs < 0.75 * serial,
                             evidence: "cold burst wall time \(cold.wallMs.twoDecimals) ms; Init + Duration summed over its \(n) calls \(serial.twoDecimals) ms")

            // 2. Right away again: the N environments are idle, so all N are reused.
            transcript.step(warm, "The same burst, right away. The \(n) environments are idle (frozen, on AWS), so each request takes one: expect 0 cold starts and no new environment.", burst: true)
            transcript.claim("A second burst right after starts nothing: 0 cold starts, every request served by one of the \(n) environments already running",
                             holds: warm.coldStarts == 0 && warm.environmentIDs.isSubset(of: cold.environmentIDs),
                             evidence: "warm burst: \(warm.coldStarts) cold starts, \(warm.environments) environments, all from the cold burst: \(warm.environmentIDs.isSubset(of: cold.environmentIDs))")

            // 3. Twice as many: N find a warm environment, N more must start.
            transcript.step(bigger, "Now \(2 * n) at once. \(n) requests find a warm environment; the other \(n) find none idle and must cold-start: expect \(n) warm + \(n) cold.", burst: true)
            transcript.claim("A burst of \(2 * n) reuses the \(n) warm environments and cold-starts \(n) more",
                             unless: notAtOnce(bigger),
                             holds: bigger.coldStarts == n && bigger.environments == 2 * n && cold.environmentIDs.isSubset(of: bigger.environmentIDs),
                             evidence: "bigger burst: \(bigger.environments) environments, \(bigger.coldStarts) cold starts, \(bigger.environmentIDs.intersection(cold.environmentIDs).count) reused")
            transcript.claim("Each burst reached the lab at once: every request was routed before the first call of its burst finished",
                             holds: [cold, warm, bigger].allSatisfy(\.arrivedAtOnce),
                             evidence: [cold, warm, bigger].map { "\($0.name): arrived within \($0.arrivalSpreadMs.twoDecimals) ms, first finish at \($0.firstFinishMs.twoDecimals) ms" }.joined(separator: "; ")
                                 + (attempts > 1 ? " (run \(attempts) times)" : ""))

            // 4. A fresh deployment (its old environments are shut down), invoked one call at a time.
            try lab.deploy(WorkbookFunctions.worker(database: database))
            let sequential = try await FanOutStep.run(lab, name: "sequential", target: "worker", count: n, sequential: true)
            transcript.step(sequential, "A fresh deployment of worker (its old environments are shut down), invoked \(n) times one after another. Each call finds the previous environment idle again: expect 1 environment and 1 cold start. The cost moves from Init to time: about \(n) handler times in a row.")
            transcript.claim("\(n) invocations one after another need one environment and one cold start",
                             holds: sequential.environments == 1 && sequential.coldStarts == 1,
                             evidence: "sequential: \(sequential.environments) environment, \(sequential.coldStarts) cold start")

            transcript.summary()
            let billedCold = cold.billedTotalMs, billedSequential = sequential.billedTotalMs
            transcript.say("The trade-off the article is about. At once, \(n) calls took about one Init plus one handler of wall time (\(cold.wallMs.twoDecimals) ms) but paid \(cold.coldStarts) cold starts: \(billedCold) ms billed in total, most of it Init. One at a time, they took one Init plus \(n) handlers (\(sequential.wallMs.twoDecimals) ms) and paid one Init: \(billedSequential) ms billed. Concurrency buys wall time with Inits; once the environments are warm (step 2) it costs neither. The orchestrator is billed too, for as long as it waits for its calls: \(cold.orchestratorBilledMs) ms for the cold burst, \(sequential.orchestratorBilledMs) ms for the sequential step. On AWS each Init is larger (a Swift custom runtime averages about 126 ms on maxday/lambda-perf, before any database handshake), so each cold start costs more latency and more money.")
            return attempts
        }
        transcript.recap()
        return Outcome(concurrency: n, modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs),
                       burstAttempts: attempts, steps: transcript.steps, claims: transcript.claims)
    }

    /// Why a count claim cannot be tested on this run: its burst did not reach the lab at once.
    static func notAtOnce(_ step: StepOutcome) -> String? {
        step.arrivedAtOnce ? nil : "beyond this machine: the burst reached the lab over \(step.arrivalSpreadMs.twoDecimals) ms and its first call ended at \(step.firstFinishMs.twoDecimals) ms, so late calls could reuse early environments"
    }

    /// Where the machine ends: Init Duration beside the CPU the process really used in Init.
    static func machine(_ cold: StepOutcome, n: Int, handshakeMs: Double, transcript: Transcript) {
        let duration = cold.initDurations.p50, cpu = cold.initCPUTimes.p50
        let waiting = max(0, duration - cpu - handshakeMs)
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        transcript.say("Init Duration p50 \(duration.twoDecimals) ms, of which the process used \(cpu.twoDecimals) ms of CPU (measured: the kernel's accounting) and waited \(handshakeMs.twoDecimals) ms on the modeled database handshake. The other \(waiting.twoDecimals) ms is inferred — what is left — and is mostly time spent runnable, waiting for a CPU: \(n) environment\(n == 1 ? "" : "s") started at once on this machine's \(cpus) CPU\(cpus == 1 ? "" : "s"). On AWS every environment has its own CPU share, so Init Duration stays near CPU + waits however large the burst; here it grows with N. That growth is the machine, not the lesson.", indent: "  ")
        if let lastSpawn = cold.invocations.compactMap(\.spawnedAtMs).max(), n > 1 {
            transcript.say("Before Init, each call waited for its process to be spawned: the lab spawned the last of the \(n) \(lastSpawn.twoDecimals) ms after the burst arrived, on the same \(cpus) CPU\(cpus == 1 ? "" : "s") as the Inits already running. That wait is in the latency the orchestrator measured, not in any REPORT.", indent: "  ")
        }
    }
}

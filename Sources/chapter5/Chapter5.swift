import Contracts
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 5 — when the fan-out hits a limit. The article's orchestrator and worker meet each of
/// Lambda's limits in turn: reserved concurrency, the account's concurrency, the scaling rate, and
/// what asynchronous invocation does with the calls a limit turns away.
enum Chapter5 {
    struct Options: Sendable {
        var reserved = 3
        var excess = 3
        var accountConcurrency = 8
        /// Reserved concurrency held by a second function in the account-limit step.
        var held = 3
        /// The scaling rate divided by this (100: 10 environments per 100 ms, AWS's rate in small steps).
        var scaleFactor = 100
        var scalingBurst = 25
        /// The SDK's backoff base (the standard retry mode uses 1 s).
        var retryBaseMs = 1_000.0
        /// Seeds the retries' random waits, so a run can be repeated.
        var seed = 1
        /// Scales the asynchronous queue's waits (0.01: AWS's 1-minute retry after an error takes 0.6 s).
        var asyncTimeScale = 0.01
        var dbHandshakeMs = 40.0
        /// Each call's modeled query: long enough that a burst's calls are all in flight together.
        var slowQueryMs = 50

        static let usage = """
            usage: swift run chapter5 [--reserved R] [--excess K] [--account-concurrency A] [--held H]
                                      [--scale-factor F] [--scaling-burst S] [--retry-base-ms MS] [--seed N]
                                      [--async-time-scale X] [--slow-query-ms MS] [--db-handshake-ms MS] [--json]

              --reserved R             reserved concurrency of the worker, 1–20 (default 3)
              --excess K               calls beyond R in each burst, 1–20 (default 3)
              --account-concurrency A  the account's concurrency limit in the account-limit step, 4–50 (default 8)
              --held H                 reserved concurrency held by a second function there, 1–40 (default 3)
              --scale-factor F         AWS's scaling rate (1,000 environments per 10 s) divided by F, 10–1000 (default 100)
              --scaling-burst S        calls per wave in the scaling-rate step, 2–100 (default 25)
              --retry-base-ms MS       the SDK's backoff base, 10–1000 (default 1000, the standard retry mode's)
              --seed N                 seeds the retries' random waits, 0–1000000 (default 1)
              --async-time-scale X     the async queue's time scale, 0.001–1 (default 0.01: a minute takes 0.6 s)
              --slow-query-ms MS       each call's modeled query, 10–1000 (default 50)
              --db-handshake-ms MS     modeled database connection set-up, paid in init (default 40)
              --svg PATH               also write a picture of the run (SVG) to PATH
              --json                   print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["reserved", "excess", "account-concurrency", "held", "scale-factor",
                                                                    "scaling-burst", "retry-base-ms", "seed", "async-time-scale", "slow-query-ms",
                                                                    "db-handshake-ms"])
            reserved = try options.int("reserved", default: reserved, in: 1...20)
            excess = try options.int("excess", default: excess, in: 1...20)
            accountConcurrency = try options.int("account-concurrency", default: accountConcurrency, in: 4...50)
            held = try options.int("held", default: held, in: 1...40)
            scaleFactor = try options.int("scale-factor", default: scaleFactor, in: 10...1_000)
            scalingBurst = try options.int("scaling-burst", default: scalingBurst, in: 2...100)
            retryBaseMs = try options.milliseconds("retry-base-ms", default: retryBaseMs, in: 10...1_000)
            seed = try options.int("seed", default: seed, in: 0...1_000_000)
            asyncTimeScale = try options.number("async-time-scale", default: asyncTimeScale, in: 0.001...1)
            slowQueryMs = try options.int("slow-query-ms", default: slowQueryMs, in: 10...1_000)
            dbHandshakeMs = try options.milliseconds("db-handshake-ms", default: dbHandshakeMs, in: 0...10_000)
            // The lab keeps a tenth of the account unreserved (at least 1), and the orchestrator needs one.
            guard accountConcurrency - held >= max(2, accountConcurrency / 10) else {
                throw WorkbookError.invalidOption("--held \(held) leaves too little of --account-concurrency \(accountConcurrency) unreserved: at least \(max(2, accountConcurrency / 10)) must stay")
            }
        }

        var burst: Int { reserved + excess }
    }

    /// The scaling-rate step: one burst per wave, each wave after the bucket has refilled.
    struct Wave: Codable, Sendable {
        var wave: Int
        var ran: Int
        var throttled: Int
        var coldStarts: Int
        /// Environments of the worker after this wave.
        var environments: Int
        /// First to last send of the wave, at the orchestrator: while the wave arrives, the bucket
        /// refills (continuously, as AWS's does), so a wave spread out gets that much more room.
        var sendSpreadMs: Double
    }

    /// The asynchronous step: what became of each accepted event.
    struct EventOutcome: Codable, Sendable {
        var index: Int
        var condition: String
        var invocations: Int
        var throttles: Int
        /// Accepted → its first invocation started running.
        var waitedMs: Double?
        /// Accepted → ended (its last invocation answered, or its record was sent on).
        var endedAfterMs: Double
        var destination: String?
    }

    struct Asynchronous: Codable, Sendable {
        var accepted: Int
        var counts: EventCounts
        var events: [EventOutcome]
        var destinationRan: Int
        var asyncTimeScale: Double
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 5
        var reserved: Int
        var excess: Int
        var accountConcurrency: Int
        var held: Int
        var scalingRate: String
        var modeled: ModeledDatabase
        var slowQueryMs: Int
        var retryBaseMs: Double
        var steps: [StepOutcome]
        var waves: [Wave]
        var asynchronous: Asynchronous
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 5 · when the fan-out hits a limit (reserved concurrency \(reserved))" }
    }

    static func run(_ options: Options) async throws -> Outcome {
        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs), queryLatency: .milliseconds(5)))
        defer { database.stop() }
        let slow = WorkerEvent(key: "report", queryMs: options.slowQueryMs)
        let reserved = try await reservedSteps(options, database: database, slow: slow)
        let account = try await accountLimitStep(options, database: database, slow: slow)
        let (scaling, waves) = try await scalingSteps(options, database: database, slow: slow)
        let asynchronous = try await asynchronousStep(options, database: database, slow: slow)
        let steps = reserved + [account] + scaling
        let rate = ScalingRate.aws(scaledDownBy: options.scaleFactor)
        return Outcome(reserved: options.reserved, excess: options.excess, accountConcurrency: options.accountConcurrency, held: options.held,
                       scalingRate: "\(rate.environments) environments per \(rate.per.milliseconds.twoDecimals) ms",
                       modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: 5), slowQueryMs: options.slowQueryMs,
                       retryBaseMs: options.retryBaseMs, steps: steps, waves: waves, asynchronous: asynchronous,
                       claims: claims(steps: steps, waves: waves, asynchronous: asynchronous, options: options))
    }

    /// Reserved concurrency R, a burst of R + K: K are turned away; then the same with the SDK's retries.
    static func reservedSteps(_ options: Options, database: StandInDatabase, slow: WorkerEvent) async throws -> [StepOutcome] {
        try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("worker", options.reserved)
            let plain = try await FanOutStep.run(lab, name: "reserved concurrency", target: "worker", count: options.burst,
                                                 calling: .init(payloads: [slow], acceptThrottles: true))
            let retried = try await FanOutStep.run(lab, name: "retry with backoff", target: "worker", count: options.burst,
                                                   calling: .init(payloads: [slow], retry: RetryPolicy(maxAttempts: 3, baseMs: options.retryBaseMs, seed: UInt64(options.seed)), acceptThrottles: true))
            return [plain, retried]
        }
    }

    /// A small account: A concurrent executions, H of them reserved by another function, one used by
    /// the orchestrator itself. The worker, unreserved, gets what is left.
    static func accountLimitStep(_ options: Options, database: StandInDatabase, slow: WorkerEvent) async throws -> StepOutcome {
        var configuration = LabConfiguration()
        configuration.accountConcurrency = options.accountConcurrency
        // AWS keeps 100 of its default 1,000 unreserved: the same tenth, at least 1.
        configuration.minimumUnreservedConcurrency = max(1, options.accountConcurrency / 10)
        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.worker(name: "reports", database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("reports", options.held)
            return try await FanOutStep.run(lab, name: "account limit", target: "worker", count: options.burst,
                                            calling: .init(payloads: [slow], acceptThrottles: true))
        }
    }

    /// The scaling rate, scaled down: three waves of S calls, each after the bucket has refilled.
    static func scalingSteps(_ options: Options, database: StandInDatabase, slow: WorkerEvent) async throws -> ([StepOutcome], [Wave]) {
        var configuration = LabConfiguration()
        configuration.scalingRate = .aws(scaledDownBy: options.scaleFactor)
        // Long enough for the bucket to refill and every call of the wave before to finish.
        let pause = max(configuration.scalingRate.per * 3, .milliseconds(300))
        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            var steps: [StepOutcome] = []
            var waves: [Wave] = []
            var environments = Set<String>()
            for wave in 1...3 {
                if wave > 1 { try await Task.sleep(for: pause) }
                // The slow query keeps every call of a wave in flight together, so none can finish
                // and be reused by a later call of the same wave.
                let step = try await FanOutStep.run(lab, name: "scaling rate, wave \(wave)", target: "worker", count: options.scalingBurst,
                                                    calling: .init(payloads: [slow], acceptThrottles: true))
                environments.formUnion(step.environmentIDs)
                waves.append(Wave(wave: wave, ran: step.invocations.count, throttled: step.throttled.count, coldStarts: step.coldStarts,
                                  environments: environments.count, sendSpreadMs: step.sendSpreadMs))
                steps.append(step)
            }
            return (steps, waves)
        }
    }

    /// The same burst as events: every one accepted (202), the throttled ones queued and run later,
    /// one that fails retried twice and then sent to an on-failure destination.
    static func asynchronousStep(_ options: Options, database: StandInDatabase, slow: WorkerEvent) async throws -> Asynchronous {
        var configuration = LabConfiguration()
        configuration.asyncTimeScale = options.asyncTimeScale
        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.worker(name: "on-failure", database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("worker", options.reserved)
            _ = try lab.putEventInvokeConfig("worker", qualifier: nil, EventInvokeConfig(maximumRetryAttempts: 2, onFailure: lab.arn("on-failure")))
            // Call 0 fails every time it runs; the others run the slow query.
            let failing = WorkerEvent(fail: "the report could not be built")
            let step = try await FanOutStep.run(lab, name: "asynchronous invocation", target: "worker", count: options.burst,
                                                calling: .init(invocationType: "Event", payloads: [failing] + Array(repeating: slow, count: options.burst - 1)))
            await lab.waitForQueuedEvents("worker")
            await lab.waitForQueuedEvents("on-failure")
            let endings = lab.eventEndings("worker")
            let byRequest = Dictionary(endings.map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a })
            let events = step.calls.compactMap { call -> EventOutcome? in
                guard let ending = byRequest[call.requestID] else { return nil }
                // Every run of an event has the event's own request ID (as on AWS): the first record is the first run.
                let firstRun = lab.records(requestIDs: [ending.requestID]).first
                return EventOutcome(index: call.index, condition: ending.condition, invocations: ending.invocations, throttles: ending.throttles,
                                    waitedMs: firstRun.map { $0.handlerStartedAt.milliseconds - ending.acceptedAtMs },
                                    endedAfterMs: ending.endedAtMs - ending.acceptedAtMs, destination: ending.destination)
            }
            return Asynchronous(accepted: step.calls.filter { $0.status == 202 }.count, counts: lab.eventCounts("worker"), events: events,
                                destinationRan: lab.eventCounts("on-failure").succeeded, asyncTimeScale: options.asyncTimeScale)
        }
    }
}

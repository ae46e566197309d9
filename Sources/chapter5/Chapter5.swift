import Contracts
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 5 — when the fan-out hits a limit. The article's orchestrator fans out to its worker
/// and meets each of Lambda's limits in turn: the worker's reserved concurrency (with and without
/// the SDK's retries), the account's concurrency — of which the orchestrator itself takes a slot —
/// and the scaling rate; then the same burst sent as events, which Lambda's queue retries for the
/// caller. One fresh lab per limit.
enum Chapter5: Chapter {
    struct Options: ChapterOptions {
        var reserved = 3
        var excess = 3
        var accountConcurrency = 8
        /// Reserved concurrency held by a second function in the account-limit step.
        var held = 3
        /// AWS's scaling rate divided by this (100: 10 environments per 100 ms, the same rate in small steps).
        var scaleFactor = 100
        var scalingBurst = 25
        /// The SDK's backoff base: botocore's standard retry mode (boto3, the AWS CLI) uses 1 s.
        var retryBaseMs = 1_000.0
        /// Seeds the retries' random waits, so a run can be repeated.
        var seed = 1
        /// Scales the asynchronous queue's waits (0.01: AWS's 1-minute retry after an error takes 0.6 s).
        var asyncTimeScale = 0.01
        var dbHandshakeMs = 40.0
        /// Each call's modeled query: long enough that a burst's calls are all in flight together.
        var slowQueryMs = 50

        static let command = Command<Options>("chapter5", [
            .int("reserved", \.reserved, in: 1...20, placeholder: "R", "reserved concurrency of the worker"),
            .int("excess", \.excess, in: 1...20, placeholder: "K", "calls beyond R in each burst"),
            .int("account-concurrency", \.accountConcurrency, in: 4...50, placeholder: "A", "the account's concurrency limit in the account-limit step"),
            .int("held", \.held, in: 1...40, placeholder: "H", "reserved concurrency held by a second function there"),
            .int("scale-factor", \.scaleFactor, in: 10...1_000, placeholder: "F", "AWS's scaling rate (1,000 environments per 10 s) divided by F"),
            .int("scaling-burst", \.scalingBurst, in: 2...100, placeholder: "S", "calls per wave in the scaling-rate step"),
            .milliseconds("retry-base-ms", \.retryBaseMs, in: 10...1_000, "the SDK's backoff base (botocore's standard retry mode: 1000)"),
            .int("seed", \.seed, in: 0...1_000_000, "seeds the retries' random waits"),
            .number("async-time-scale", \.asyncTimeScale, in: 0.001...1, "the async queue's time scale (0.01: a minute takes 0.6 s)"),
            .int("slow-query-ms", \.slowQueryMs, in: 10...1_000, placeholder: "MS", "each call's modeled query"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up, paid in init"),
        ])

        /// The lab keeps max(1, A/10) of its small account unreserved (AWS: a fixed 100 of any
        /// account), and the orchestrator needs one execution of what is left.
        func validate() throws {
            let keep = max(2, unreservedMinimum)
            guard accountConcurrency - held >= keep else {
                throw WorkbookError.invalidOption("--held \(held) leaves too little of --account-concurrency \(accountConcurrency) unreserved: the lab keeps \(unreservedMinimum) unreserved and the orchestrator needs 1, so at least \(keep) must stay")
            }
        }

        var burst: Int { reserved + excess }
        /// AWS keeps a fixed 100 unreserved; for an account of a few executions the lab scales that
        /// to a tenth, at least 1 — the lab's model, not AWS's rule.
        var unreservedMinimum: Int { max(1, accountConcurrency / 10) }
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 5
        var reserved: Int
        var excess: Int
        var accountConcurrency: Int
        var held: Int
        var unreservedMinimum: Int
        var scalingRate: String
        var modeled: ModeledDatabase
        var slowQueryMs: Int
        var retryBaseMs: Double
        var steps: [StepOutcome]
        var waves: [Wave]
        var asynchronous: Asynchronous
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 5 · when the fan-out hits a limit (reserved concurrency \(reserved), bursts of \(reserved + excess))" }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let (r, k, burst) = (options.reserved, options.excess, options.burst)
        transcript.title(5, "when the fan-out hits a limit", question: "What happens to a fan-out's calls when Lambda says no?")
        transcript.say("Setup: the orchestrator and worker of chapter 3, one fresh lab per limit. Each worker call runs a modeled \(options.slowQueryMs) ms query, so a burst's calls are all in flight together; the database's handshake (\(options.dbHandshakeMs.twoDecimals) ms, paid in init) is modeled too. Everything else is measured. A throttled call is answered 429 TooManyRequestsException with a Reason that names the limit.")
        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs), queryLatency: .milliseconds(5)))
        defer { database.stop() }
        let slow = WorkerEvent(key: "report", queryMs: options.slowQueryMs)

        // 1–2. The worker's own cap. A burst wider than it: the rest are refused, then retried.
        let slowestRetried = try await Lab.with { lab -> Double in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("worker", r)
            let plain = try await FanOutStep.run(lab, name: "reserved concurrency", target: "worker", count: burst,
                                                 calling: .init(payloads: [slow], acceptThrottles: true))
            transcript.step(plain, "The worker gets reserved concurrency \(r): at most \(r) of its invocations may run at once, whatever the account has left. For the fan-out that is its width: a reservation guarantees the worker room and stops it taking the whole account, and it caps how many calls run together. The orchestrator sends \(burst) at once: expect \(r) to run and \(k) to be refused at once with 429, Reason ReservedFunctionConcurrentInvocationLimitExceeded. A refused call never reaches the function: no environment, no REPORT line, no bill.")
            transcript.show(callTable(plain))
            let refused = plain.throttled.map(\.latencyMs).max() ?? 0, quickestRun = plain.invocations.compactMap(\.latencyMs).min() ?? 0
            transcript.claim("\(burst) at once with reserved concurrency \(r): \(r) run, \(k) get 429 TooManyRequestsException with Reason ReservedFunctionConcurrentInvocationLimitExceeded, each refused faster than any call that ran",
                             holds: plain.invocations.count == r && plain.throttled.count == k && reasons(plain) == ["ReservedFunctionConcurrentInvocationLimitExceeded"]
                                 && refused < quickestRun,
                             evidence: "\(plain.invocations.count) ran, \(plain.throttled.count) throttled (\(reasons(plain).sorted().joined(separator: ", "))); slowest 429 in \(refused.twoDecimals) ms, quickest call that ran \(quickestRun.twoDecimals) ms")

            let policy = RetryPolicy(maxAttempts: 3, baseMs: options.retryBaseMs, seed: UInt64(options.seed))
            let retried = try await FanOutStep.run(lab, name: "retry with backoff", target: "worker", count: burst,
                                                   calling: .init(payloads: [slow], retry: policy, acceptThrottles: true))
            let base = options.retryBaseMs == 1_000 ? "1 s, botocore's (boto3's, the AWS CLI's) base for a throttle; other SDKs use their own" : "\(options.retryBaseMs.twoDecimals) ms (--retry-base-ms; botocore's base is 1 s)"
            transcript.step(retried, "The same burst, but the orchestrator retries a throttled call as botocore does in its standard retry mode: at most 3 attempts, each retry after a random wait of up to base × 2^(retry − 1), base \(base). The waits are drawn from --seed \(options.seed), so a run can be repeated. Expect every call to succeed, the throttled ones later: the fan-out gets all its answers and pays in latency.", logs: false)
            transcript.show(callTable(retried))
            let firstTry = retried.calls.filter { $0.attempts == 1 }, later = retried.calls.filter { $0.attempts > 1 }
            // With more throttled calls than environments, the retries compete with each other and
            // the SDK may give up on one after its 3 attempts: then success is not the claim to make.
            transcript.claim("Retried as botocore's standard mode does (at most 3 attempts, jittered exponential backoff), every call succeeds: \(r) on the first attempt, the \(k) throttled ones on a later one",
                             unless: k > r ? "with more throttled calls (\(k)) than environments (\(r)) the retries compete with each other, and the SDK may give up on a call after 3 attempts; read the attempts column" : nil,
                             holds: retried.calls.allSatisfy { $0.status == 200 } && firstTry.count == r && later.count == k,
                             evidence: "attempts: \(retried.calls.map { String($0.attempts) }.joined(separator: ", ")); latency p50 \(Summary(milliseconds: firstTry.map(\.latencyMs)).p50.twoDecimals) ms at the first attempt, \(Summary(milliseconds: later.map(\.latencyMs)).p50.twoDecimals) ms after retries (backoff p50 \(Summary(milliseconds: later.map(\.backoffMs)).p50.twoDecimals) ms)")
            return retried.latency.max
        }

        // 3. The account's pool, shared by every function without a reservation — the
        // orchestrator included: the caller of a fan-out runs on the same account limit.
        var small = LabConfiguration()
        small.accountConcurrency = options.accountConcurrency
        small.minimumUnreservedConcurrency = options.unreservedMinimum
        try await Lab.with(small) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.worker(name: "reports", database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("reports", options.held)
            let account = try await FanOutStep.run(lab, name: "account limit", target: "worker", count: burst,
                                                   calling: .init(payloads: [slow], acceptThrottles: true))
            let room = options.accountConcurrency - options.held - 1
            transcript.step(account, "A new lab whose account allows \(options.accountConcurrency) concurrent executions (AWS's default is 1,000 per Region). A second function, `reports`, reserves \(options.held) of them — idle, but reserved is reserved — and the orchestrator is itself a running execution: the fan-out's caller takes a slot of the same limit as its calls. The unreserved worker gets what is left, \(options.accountConcurrency) − \(options.held) − 1 = \(room). Expect the rest of the \(burst) to get 429, Reason ConcurrentInvocationLimitExceeded. (AWS keeps a fixed 100 of an account unreserved, whatever its limit, so 900 of 1,000 can be reserved; an account of \(options.accountConcurrency) would have nothing to reserve, so the lab scales that minimum to max(1, A/10) = \(options.unreservedMinimum) — the lab's model, not AWS's rule.)", logs: false)
            transcript.show(callTable(account))
            transcript.claim("Account limit \(options.accountConcurrency), \(options.held) reserved by another function, 1 taken by the orchestrator: the worker gets \(room); \(burst) at once means \(max(0, burst - room)) get 429 with Reason ConcurrentInvocationLimitExceeded",
                             unless: room >= burst ? "the burst of \(burst) fits in the \(room) executions left; raise --excess or --held" : nil,
                             holds: account.invocations.count == room && account.throttled.count == burst - room && reasons(account) == ["ConcurrentInvocationLimitExceeded"],
                             evidence: "\(account.invocations.count) ran, \(account.throttled.count) throttled (\(reasons(account).sorted().joined(separator: ", ")))")
        }

        // 4–6. The scaling rate, scaled down: three waves, each after the allowance has refilled.
        let rate = ScalingRateFigures(options)
        var scaling = LabConfiguration()
        scaling.scalingRate = .aws(scaledDownBy: options.scaleFactor)
        // Long enough for the bucket to refill and every call of the wave before to finish.
        let pause = max(scaling.scalingRate.per * 3, .milliseconds(300))
        let (waves, waveSteps) = try await Lab.with(scaling) { lab -> ([Wave], [StepOutcome]) in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            var waves: [Wave] = [], steps: [StepOutcome] = [], environments = Set<String>()
            for number in 1...3 {
                if number > 1 { try await Task.sleep(for: pause) }
                // The slow query keeps every call of a wave in flight together, so none can finish
                // and be reused by a later call of the same wave.
                let step = try await FanOutStep.run(lab, name: "scaling rate, wave \(number)", target: "worker", count: options.scalingBurst,
                                                    calling: .init(payloads: [slow], acceptThrottles: true))
                let warm = environments.count
                environments.formUnion(step.environmentIDs)
                waves.append(Wave(wave: number, ran: step.invocations.count, throttled: step.throttled.count, coldStarts: step.coldStarts,
                                  environments: environments.count, sendSpreadMs: step.sendSpreadMs,
                                  arrivalSpreadMs: step.arrivalSpreadMs))
                let expect = number == 1
                    ? "AWS lets each function add at most 1,000 execution environments every 10 seconds, and \"makes a best attempt to refill your concurrency scaling rate continuously over time, rather than in one single refill of 1,000 units every 10 seconds\"; unused allowance is not saved up (\"your scaling rate is always 1,000 concurrency units at maximum\"). A fan-out wider than that, on environments that do not exist yet, is throttled beyond it. The lab applies the same rule divided by \(options.scaleFactor) — \(rate.description) — so the limit shows on a laptop. Wave 1 of \(options.scalingBurst) calls finds no environment: expect \(min(options.scalingBurst, rate.bucket)) cold starts and \(max(0, options.scalingBurst - rate.bucket)) refused with 429, Reason FunctionInvocationRateLimitExceeded."
                    : "Wave \(number), after the allowance has refilled: a warm environment needs no allowance, a new one takes one. Expect the \(warm) warm environments reused and at most \(rate.bucket) new ones: \(min(options.scalingBurst, warm + rate.bucket)) run."
                steps.append(transcript.step(step, expect, logs: false))
            }
            return (waves, steps)
        }
        transcript.show(waveTable(waves))
        let expected = (1...3).map { min(options.scalingBurst, rate.bucket * $0) }
        let scalingReasons = Set(waveSteps.flatMap { reasons($0) })
        transcript.claim("At \(rate.description), waves of \(options.scalingBurst) run \(expected.map(String.init).joined(separator: ", ")) calls: each wave adds at most \(rate.bucket) environments (and what refills while it arrives), the rest get 429 with Reason FunctionInvocationRateLimitExceeded, and the function catches up",
                         unless: options.scalingBurst <= rate.bucket ? "a wave of \(options.scalingBurst) fits in the bucket of \(rate.bucket); raise --scaling-burst" : nil,
                         holds: rate.allow(waves, burst: options.scalingBurst) && waves.last?.ran == options.scalingBurst
                             && scalingReasons == (expected.contains { $0 < options.scalingBurst } ? ["FunctionInvocationRateLimitExceeded"] : []),
                         evidence: waves.map { "wave \($0.wave): \($0.ran) ran, \($0.throttled) throttled, \($0.environments) environments (sent over \($0.sendSpreadMs.twoDecimals) ms)" }.joined(separator: "; "))

        // 7. The same burst as events: the caller is answered at once, Lambda's queue does the retrying.
        var queue = LabConfiguration()
        queue.asyncTimeScale = options.asyncTimeScale
        let asynchronous = try await Lab.with(queue) { lab -> Asynchronous in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.worker(name: "on-failure", database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.putReservedConcurrency("worker", r)
            _ = try lab.putEventInvokeConfig("worker", qualifier: nil, EventInvokeConfig(maximumRetryAttempts: 2, onFailure: lab.arn("on-failure")))
            // Event 0 fails every time it runs; the others run the slow query.
            let failing = WorkerEvent(fail: "the report could not be built")
            let events = try await eventStep(lab, count: burst, payloads: [failing] + Array(repeating: slow, count: burst - 1))
            transcript.step(events, "Why events are here: the article's orchestrator calls synchronously because it needs every answer; when a fan-out does not, InvocationType Event hands the retrying to Lambda. The same \(burst) calls as events to the worker (reserved concurrency \(r)), event 0 failing every time it runs, an on-failure destination (the function `on-failure`) set with PutFunctionEventInvokeConfig. Expect every call answered 202 at once — accepted is not run, and this step's latency is the 202's — then the queue at work: \(r) run, the throttled ones wait and are tried again, event 0 is retried twice and its record sent to `on-failure`. The queue's waits are the lab's model of AWS's, scaled by \(options.asyncTimeScale): AWS's 1-minute retry after an error takes \((60 * options.asyncTimeScale).twoDecimals) s here.", logs: false)
            transcript.show(eventTable(events))
            let counts = lab.eventCounts("worker"), destinationRan = lab.eventCounts("on-failure").succeeded
            let accepted = events.calls.filter { $0.status == 202 }.count
            let worker = (events.events ?? []).filter { $0.function == "worker" }
            let slowest202 = events.calls.map(\.latencyMs).max() ?? 0
            let quickestEnd = worker.map { $0.endedAtMs - $0.acceptedAtMs }.min() ?? 0
            transcript.claim("Sent as events, all \(burst) are answered 202 before any has run (the slowest 202 came sooner than the quickest event ended), and every one ends exactly once: \(burst - 1) succeed, the failing one is sent to the on-failure destination, none is dropped",
                             holds: accepted == burst && slowest202 < quickestEnd && counts.accepted == burst && counts.succeeded == burst - 1
                                 && counts.sentToDestination == 1 && counts.dropped == 0 && counts.queued == 0 && destinationRan == 1,
                             evidence: "accepted \(counts.accepted) (slowest 202 in \(slowest202.twoDecimals) ms; quickest event ended \(quickestEnd.twoDecimals) ms after it was accepted), succeeded \(counts.succeeded), sent to the destination \(counts.sentToDestination), dropped \(counts.dropped); the destination ran \(destinationRan)")
            let failed = worker.first { $0.index == 0 }
            transcript.claim("The events a throttle turned away were queued and run later, not lost; the failing one ran 3 times (1 + 2 retries) before its record went to the destination",
                             holds: counts.retriedAfterThrottle >= 1 && failed?.invocations == 3 && failed?.condition == "RetriesExhausted" && counts.retriedAfterError == 2,
                             evidence: "\(counts.retriedAfterThrottle) retries after throttles, \(counts.retriedAfterError) after errors; the failing event: \(failed?.invocations ?? 0) invocations, \(failed?.condition ?? "?")")
            return Asynchronous(accepted: accepted, counts: counts, destinationRan: destinationRan, asyncTimeScale: options.asyncTimeScale)
        }

        transcript.summary()
        transcript.say("What it means for the article's fan-out: its orchestrator's calls share every limit above — the worker's reservation, the account's pool (which the orchestrator itself draws on), and, for environments that do not exist yet, the scaling rate — and a call learns it hit one only when it comes back 429, at once, naming the limit in its Reason. A fan-out that needs every answer must retry, and pays in latency (up to \(slowestRetried.twoDecimals) ms here for \(options.slowQueryMs) ms of work); one that can let go sends events and leaves the retrying to Lambda, without knowing when they end.")
        transcript.recap()
        return Outcome(reserved: r, excess: k, accountConcurrency: options.accountConcurrency, held: options.held,
                       unreservedMinimum: options.unreservedMinimum, scalingRate: rate.description,
                       modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: 5), slowQueryMs: options.slowQueryMs,
                       retryBaseMs: options.retryBaseMs, steps: transcript.steps, waves: waves, asynchronous: asynchronous, claims: transcript.claims)
    }

    /// The Reasons a step's refused attempts named.
    static func reasons(_ step: StepOutcome) -> Set<String> { Set(step.everThrottled.flatMap(\.throttleReasons)) }
}

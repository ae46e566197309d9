import LambdaLab
import Timing
import Workbook

/// Chapter 2 — warm reuse. Invocations one after another reuse one execution environment: its
/// memory and its /tmp survive between them. Left idle long enough, the environment is shut down,
/// and the next invocation starts from scratch — and its caller waits for that.
enum Chapter2: Chapter {
    struct Options: ChapterOptions {
        var invocations = 5
        /// The lab's idle timeout for this chapter. AWS publishes none; 10 minutes was measured in 2019.
        var idleTimeoutMs = 1_000.0
        /// A real pause between the sequential invocations (nothing runs during it).
        var gapMs = 0.0

        static let command = Command<Options>("chapter2", [
            .int("invocations", \.invocations, in: 1...100, "invocations one after another"),
            .milliseconds("idle-timeout-ms", \.idleTimeoutMs, in: 100...60_000, "how long the lab keeps an idle environment"),
            .milliseconds("gap-ms", \.gapMs, in: 0...60_000, "a real pause between those invocations"),
        ])
    }

    /// The idle environment's end, as the lab recorded it (read by the tests: the idle timer is the
    /// lab's own, so it is tested, not claimed).
    struct Shutdown: Codable, Sendable {
        var environmentID: String
        var reason: String
        var exit: String
        /// From the environment's last answer to its Shutdown, as the lab measured it.
        var idleForMs: Double
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 2
        var invocations: Int
        var idleTimeoutMs: Double
        var gapMs: Double
        var steps: [StepOutcome]
        var shutdown: Shutdown?
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 2 · warm reuse (\(invocations) invocations, idle timeout \(Int(idleTimeoutMs)) ms)" }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let (n, idleTimeoutMs, gapMs) = (options.invocations, options.idleTimeoutMs, options.gapMs)
        transcript.title(2, "warm reuse", question: "What survives between two invocations of a function, and for how long?")
        transcript.say("Setup: as in chapter 1, the chapter invokes `orchestrator` (env-1), which calls `worker`. The worker keeps a counter in memory and writes a file in TMPDIR, the lab's stand-in for /tmp, one scratch directory per environment; its answer says what the counter reads and whether the previous invocation's file was there. The lab's idle timeout is set to \(idleTimeoutMs.twoDecimals) ms for this chapter; AWS publishes no figure, and one study measured 10 minutes in 2019.")

        var configuration = LabConfiguration()
        configuration.idleTimeout = .milliseconds(idleTimeoutMs)
        let shutdown = try await Lab.with(configuration) { lab -> Shutdown? in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.deploy(WorkbookFunctions.worker(database: nil))

            // 1. N invocations one after another (with --gap-ms, a real pause between them).
            let sequential = try await sequentialStep(lab, options)
            let counts = sequential.invocations.compactMap(\.invocationCount)
            let found = sequential.invocations.compactMap(\.foundScratchFile)
            let countEvidence = "invocationCount: \(counts.map(String.init).joined(separator: ", "))"
            let foundEvidence = "found the previous file: \(found.map { $0 ? "yes" : "no" }.joined(separator: ", "))"
            let single = n == 1 ? "with --invocations 1 there is no second invocation to find anything" : nil
            switch expectation(gapMs: gapMs, idleTimeoutMs: idleTimeoutMs) {
            case .warm:
                let apart = gapMs > 0 ? "\(gapMs.twoDecimals) ms apart — well inside the idle timeout" : "one after another"
                transcript.step(sequential, "\(n) invocations, \(apart). Each finds the previous environment idle (frozen, on AWS) and thaws it: expect one cold start, then warm, with the counter and the file still there.")
                transcript.show(table(sequential))
                transcript.claim("\(n) invocations \(apart) run in one execution environment, with one cold start",
                                 holds: sequential.environments == 1 && sequential.coldStarts == 1,
                                 evidence: "\(sequential.environments) environment, \(sequential.coldStarts) cold start")
                transcript.claim("State survives between warm invocations: the worker's in-memory counter reads 1…\(n)", unless: single,
                                 holds: counts == Array(1...n), evidence: countEvidence)
                transcript.claim("/tmp survives too: from the second invocation on, the file the previous one wrote is there", unless: single,
                                 holds: found == [false] + Array(repeating: true, count: n - 1), evidence: foundEvidence)
            case .cold:
                transcript.step(sequential, "\(n) invocations, \(gapMs.twoDecimals) ms apart — longer than the \(idleTimeoutMs.twoDecimals) ms idle timeout. Between two calls the lab shuts the idle environment down: expect each call to start a new one, \(n) cold starts, and nothing to survive.")
                transcript.show(table(sequential))
                transcript.claim("\(n) invocations \(gapMs.twoDecimals) ms apart, longer than the \(idleTimeoutMs.twoDecimals) ms idle timeout: each finds the previous environment gone, so \(n) environments and \(n) cold starts",
                                 holds: sequential.environments == n && sequential.coldStarts == n,
                                 evidence: "\(sequential.environments) environments, \(sequential.coldStarts) cold starts")
                transcript.claim("Nothing survives: the counter reads 1 every time", unless: single,
                                 holds: counts == Array(repeating: 1, count: n), evidence: countEvidence)
                transcript.claim("/tmp is empty every time", unless: single,
                                 holds: found == Array(repeating: false, count: n), evidence: foundEvidence)
            case .tooClose:
                transcript.step(sequential, "\(n) invocations, \(gapMs.twoDecimals) ms apart — about as long as the \(idleTimeoutMs.twoDecimals) ms idle timeout: whether each finds the previous environment is a race.")
                transcript.show(table(sequential))
                transcript.claim("Invocations \(gapMs.twoDecimals) ms apart reuse one environment or not",
                                 unless: "a \(gapMs.twoDecimals) ms gap is too close to the \(idleTimeoutMs.twoDecimals) ms idle timeout to predict reuse (it needs ≤ half or ≥ 1.5 ×)",
                                 holds: false, evidence: "")
            }

            // Idle: nothing calls the worker. The lab's idle timer shuts its environment down; wait
            // for that event (the process is reaped), not for a guessed amount of time.
            let last = sequential.invocations.last!
            await lab.waitUntilGone(last.environmentID)
            let lastAnswer = lab.records(requestIDs: [last.requestID]).first
            let shutdown = lab.shutdowns.first { $0.environmentID == last.environmentID }.map { record in
                Shutdown(environmentID: record.environmentID, reason: record.reason, exit: record.exit,
                         idleForMs: (record.at - (lastAnswer.map { $0.handlerStartedAt + $0.duration } ?? record.at)).milliseconds)
            }
            if let shutdown {
                transcript.say("Idle: nothing calls the worker. After \(shutdown.idleForMs.twoDecimals) ms idle the lab shuts \(shutdown.environmentID) down: SIGTERM to the runtime, SIGKILL 300 ms later if it lingers (the lab's grace; on AWS a runtime without extensions gets no time at Shutdown). Its process ends (\(shutdown.exit)); its memory and its /tmp are gone with it. AWS writes no log line for this; the lab does, marked [lab]:")
                transcript.show("  [worker \(shutdown.environmentID)] [lab] SHUTDOWN \(shutdown.environmentID) (\(shutdown.reason); process \(shutdown.exit))")
            }

            // 2. The next invocation finds no environment.
            let afterIdle = try await FanOutStep.run(lab, name: "after idle", target: "worker", count: 1, sequential: true)
            transcript.step(afterIdle, "The next invocation finds no environment: expect a cold start in a new one, the counter back at 1, an empty /tmp.")
            let next = afterIdle.invocations.first
            transcript.show("  invocationCount \(next?.invocationCount ?? 0) · found /tmp file: \(next?.foundScratchFile == true ? "yes" : "no")")
            transcript.claim("The next invocation is cold, in a new environment, with the counter back at 1 and an empty /tmp",
                             holds: next?.coldStart == true && next?.environmentID != last.environmentID
                                 && next?.invocationCount == 1 && next?.foundScratchFile == false,
                             evidence: "\(next?.environmentID ?? "?"): cold start \(next?.coldStart ?? false), invocationCount \(next?.invocationCount ?? 0), found a file \(next?.foundScratchFile ?? true)")
            // Two clocks: the orchestrator times the call; the lab times Init and the handler. The
            // cold start is the caller's to wait for, so its latency must cover both.
            let paid = (next?.initDurationMs ?? .infinity) + (next?.durationMs ?? 0)
            let warm = Summary(milliseconds: sequential.invocations.filter { !$0.coldStart }.compactMap(\.latencyMs))
            transcript.claim("Its caller waited for that cold start: the latency the orchestrator measured exceeds the Init Duration plus Duration in its REPORT",
                             holds: (next?.latencyMs ?? 0) > paid,
                             evidence: "latency \((next?.latencyMs ?? 0).twoDecimals) ms; Init Duration \((next?.initDurationMs ?? 0).twoDecimals) + Duration \((next?.durationMs ?? 0).twoDecimals) ms"
                                 + (warm.count > 0 ? "; a warm call of step 1 took \(warm.p50.twoDecimals) ms (p50)" : ""))

            transcript.summary()
            transcript.say("Keeping an environment warm means calling it more often than it is reaped. A keep-warm ping keeps one environment: it is one request, and one request needs only one. A fan-out of N calls at once needs N environments, so one kept warm serves one of them and the others start cold — chapter 3's third step shows it.")
            return shutdown
        }
        transcript.recap()
        return Outcome(invocations: n, idleTimeoutMs: idleTimeoutMs, gapMs: gapMs, steps: transcript.steps,
                       shutdown: shutdown, claims: transcript.claims)
    }

    /// N invocations one after another: in one orchestrator call, or — with a gap — one call each,
    /// with a real pause between them (the environment sits idle, as between real requests).
    static func sequentialStep(_ lab: Lab, _ options: Options) async throws -> StepOutcome {
        guard options.gapMs > 0 else {
            return try await FanOutStep.run(lab, name: "sequential", target: "worker", count: options.invocations, sequential: true)
        }
        let start = ContinuousClock.now
        var invocations: [InvocationSummary] = []
        var orchestratorBilledMs = 0
        for index in 0..<options.invocations {
            if index > 0 { try await Task.sleep(for: .milliseconds(options.gapMs)) }
            let call = try await FanOutStep.run(lab, name: "sequential", target: "worker", count: 1)
            invocations += call.invocations
            orchestratorBilledMs += call.orchestratorBilledMs
        }
        // Each call above measured its times from its own arrival; put them on one clock (the
        // first call's arrival), so the step's waterfall shows the gaps.
        let records = lab.records(requestIDs: invocations.map(\.requestID))
        let origin = records.map(\.receivedAt).min() ?? .zero
        let byRequest = Dictionary(invocations.map { ($0.requestID, $0) }, uniquingKeysWith: { first, _ in first })
        let rebased = records.map { record in
            InvocationSummary(record: record, latencyMs: byRequest[record.requestID]?.latencyMs, origin: origin,
                              response: byRequest[record.requestID]?.response)
        }
        .sorted { $0.receivedAtMs < $1.receivedAtMs }
        var step = StepOutcome(name: "sequential", invocations: rebased, wallMs: (ContinuousClock.now - start).milliseconds)
        step.orchestratorInvocations = options.invocations
        step.orchestratorBilledMs = orchestratorBilledMs
        return step
    }

    /// What the gap lets the claims predict: every invocation warm after the first (the gap well
    /// inside the idle timeout), every one cold (well beyond it), or nothing (too close to call).
    enum Expectation { case warm, cold, tooClose }

    static func expectation(gapMs: Double, idleTimeoutMs: Double) -> Expectation {
        if gapMs <= idleTimeoutMs / 2 { return .warm }
        if gapMs >= idleTimeoutMs * 1.5 { return .cold }
        return .tooClose
    }

    /// One row per invocation: which environment served it, and what the worker found there.
    static func table(_ step: StepOutcome) -> String {
        var table = TextTable([("invocation", .right), ("environment", .left), ("cold start", .left), ("invocationCount", .right), ("found /tmp file", .left)])
        for (number, invocation) in zip(1..., step.invocations) {
            table.add([String(number), invocation.environmentID, invocation.coldStart ? "yes" : "no",
                       invocation.invocationCount.map(String.init) ?? "?", invocation.foundScratchFile == true ? "yes" : "no"])
        }
        return table.render()
    }
}

import LambdaLab
import Timing
import Workbook

/// Chapter 2 — warm reuse. Invocations one after another reuse one execution environment: its
/// memory and its /tmp survive between them. Left idle long enough, the environment is shut down,
/// and the next invocation starts from scratch.
enum Chapter2 {
    struct Options: Sendable {
        var invocations = 5
        /// The lab's idle timeout for this chapter. AWS publishes none; ~10 minutes is measured.
        var idleTimeoutMs = 1_000.0
        /// A real pause between the sequential invocations (nothing runs during it).
        var gapMs = 0.0

        static let usage = """
            usage: swift run chapter2 [--invocations N] [--idle-timeout-ms MS] [--gap-ms MS] [--json]

              --invocations N       invocations one after another, 1–100 (default 5)
              --idle-timeout-ms MS  how long the lab keeps an idle environment, 100–60000 (default 1000)
              --gap-ms MS           pause between those invocations, 0–60000 (default 0)
              --svg PATH            also write a picture of the run (SVG) to PATH
              --json                print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["invocations", "idle-timeout-ms", "gap-ms"])
            invocations = try options.int("invocations", default: invocations, in: 1...100)
            idleTimeoutMs = try options.milliseconds("idle-timeout-ms", default: idleTimeoutMs, in: 100...60_000)
            gapMs = try options.milliseconds("gap-ms", default: gapMs, in: 0...60_000)
        }
    }

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

    static func run(_ options: Options) async throws -> Outcome {
        var configuration = LabConfiguration()
        configuration.idleTimeout = .milliseconds(options.idleTimeoutMs)
        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())

            let sequential = try await sequentialStep(lab, options)
            // Nothing calls the worker now. The lab's idle timer shuts its environment down; wait for
            // that event (the process is reaped), not for a guessed amount of time.
            let environment = sequential.invocations.last!.environmentID
            await lab.waitUntilGone(environment)
            let record = lab.shutdowns.first { $0.environmentID == environment }
            let lastAnswer = lab.records(requestIDs: [sequential.invocations.last!.requestID]).first
            let shutdown = record.map { record in
                Shutdown(environmentID: environment, reason: record.reason, exit: record.exit,
                         idleForMs: (record.at - (lastAnswer.map { $0.handlerStartedAt + $0.duration } ?? record.at)).milliseconds)
            }
            let afterIdle = try await FanOutStep.run(lab, name: "after idle", target: "worker", count: 1, sequential: true)
            let steps = [sequential, afterIdle]
            return Outcome(invocations: options.invocations, idleTimeoutMs: options.idleTimeoutMs, gapMs: options.gapMs, steps: steps,
                           shutdown: shutdown, claims: claims(steps, shutdown: shutdown, options: options))
        }
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

    static func claims(_ steps: [StepOutcome], shutdown: Shutdown?, options: Options) -> [Claim] {
        let (n, idleTimeoutMs) = (options.invocations, options.idleTimeoutMs)
        let (sequential, afterIdle) = (steps[0], steps[1])
        let counts = sequential.invocations.compactMap(\.invocationCount)
        let scratch = sequential.invocations.compactMap(\.foundScratchFile)
        let next = afterIdle.invocations.first
        let countEvidence = "invocationCount: \(counts.map(String.init).joined(separator: ", "))"
        let scratchEvidence = "found the previous file: \(scratch.map { $0 ? "yes" : "no" }.joined(separator: ", "))"
        let single = n == 1 ? "with --invocations 1 there is no second invocation to find anything" : nil
        var claims: [Claim]
        switch expectation(gapMs: options.gapMs, idleTimeoutMs: idleTimeoutMs) {
        case .warm:
            claims = [
                Claim("\(n) invocations one after another run in one execution environment, with one cold start",
                      holds: sequential.environments == 1 && sequential.coldStarts == 1,
                      evidence: "\(sequential.environments) environment, \(sequential.coldStarts) cold start"),
                Claim("State survives between warm invocations: the worker's in-memory counter reads 1…\(n)", unless: single,
                      holds: counts == Array(1...n), evidence: countEvidence),
                Claim("/tmp survives too: from the second invocation on, the file the previous one wrote is there", unless: single,
                      holds: scratch == [false] + Array(repeating: true, count: n - 1), evidence: scratchEvidence),
            ]
        case .cold:
            claims = [
                Claim("\(n) invocations \(options.gapMs.twoDecimals) ms apart, longer than the \(idleTimeoutMs.twoDecimals) ms idle timeout: each finds the previous environment gone, so \(n) environments and \(n) cold starts",
                      holds: sequential.environments == n && sequential.coldStarts == n,
                      evidence: "\(sequential.environments) environments, \(sequential.coldStarts) cold starts"),
                Claim("Nothing survives: the counter reads 1 every time", unless: single,
                      holds: counts == Array(repeating: 1, count: n), evidence: countEvidence),
                Claim("/tmp is empty every time", unless: single,
                      holds: scratch == Array(repeating: false, count: n), evidence: scratchEvidence),
            ]
        case .tooClose:
            let reason = "a \(options.gapMs.twoDecimals) ms gap is too close to the \(idleTimeoutMs.twoDecimals) ms idle timeout to predict reuse (it needs ≤ half or ≥ 1.5 ×)"
            claims = [
                Claim("Invocations \(options.gapMs.twoDecimals) ms apart reuse one environment or not", unless: reason, holds: false, evidence: ""),
            ]
        }
        claims += [
            Claim("Left idle for the idle timeout (\(idleTimeoutMs.twoDecimals) ms), the environment is shut down: the lab sends SIGTERM and the process ends",
                  holds: shutdown.map { $0.reason.hasPrefix("idle") && $0.idleForMs >= idleTimeoutMs && $0.exit == "signal: terminated" } ?? false,
                  evidence: shutdown.map { "\($0.environmentID): \($0.reason), after \($0.idleForMs.twoDecimals) ms idle; process \($0.exit)" } ?? "no shutdown recorded"),
            Claim("The next invocation is cold, in a new environment, with the counter back at 1 and an empty /tmp",
                  holds: next?.coldStart == true && next?.environmentID != sequential.invocations.last?.environmentID
                      && next?.invocationCount == 1 && next?.foundScratchFile == false,
                  evidence: "\(next?.environmentID ?? "?"): cold start \(next?.coldStart ?? false), invocationCount \(next?.invocationCount ?? 0), found a file \(next?.foundScratchFile ?? true)"),
        ]
        return claims
    }
}

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

        static let usage = """
            usage: swift run chapter2 [--invocations N] [--idle-timeout-ms MS] [--json]

              --invocations N       invocations one after another, 1–100 (default 5)
              --idle-timeout-ms MS  how long the lab keeps an idle environment, 100–60000 (default 1000)
              --json                print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["invocations", "idle-timeout-ms"])
            invocations = try options.int("invocations", default: invocations, in: 1...100)
            idleTimeoutMs = try options.milliseconds("idle-timeout-ms", default: idleTimeoutMs, in: 100...60_000)
        }
    }

    struct Shutdown: Codable, Sendable {
        var environmentId: String
        var reason: String
        var exit: String
        /// From the environment's last answer to its Shutdown, as the lab measured it.
        var idleForMs: Double
    }

    struct Outcome: Codable, Sendable {
        var chapter = 2
        var invocations: Int
        var idleTimeoutMs: Double
        var steps: [StepOutcome]
        var shutdown: Shutdown?
        var claims: [Claim]

        func step(_ name: String) -> StepOutcome { steps.first { $0.name == name }! }
    }

    static func run(_ options: Options) async throws -> Outcome {
        var configuration = LabConfiguration()
        configuration.idleTimeout = .milliseconds(options.idleTimeoutMs)
        return try await Lab.with(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())

            let sequential = try await FanOutStep.run(lab, name: "sequential", target: "worker", count: options.invocations, sequential: true)
            // Nothing calls the worker now. The lab's idle timer shuts its environment down; wait for
            // that event (the process is reaped), not for a guessed amount of time.
            let environment = sequential.invocations.last!.environmentId
            await lab.waitUntilGone(environment)
            let record = lab.shutdowns.first { $0.environmentID == environment }
            let lastAnswer = lab.records(requestIDs: [sequential.invocations.last!.requestId]).first
            let shutdown = record.map { record in
                Shutdown(environmentId: environment, reason: record.reason, exit: record.exit,
                         idleForMs: (record.at - (lastAnswer.map { $0.handlerStartedAt + $0.duration } ?? record.at)).milliseconds)
            }
            let afterIdle = try await FanOutStep.run(lab, name: "after idle", target: "worker", count: 1, sequential: true)
            let steps = [sequential, afterIdle]
            return Outcome(invocations: options.invocations, idleTimeoutMs: options.idleTimeoutMs, steps: steps, shutdown: shutdown,
                           claims: claims(steps, shutdown: shutdown, n: options.invocations, idleTimeoutMs: options.idleTimeoutMs))
        }
    }

    static func claims(_ steps: [StepOutcome], shutdown: Shutdown?, n: Int, idleTimeoutMs: Double) -> [Claim] {
        let (sequential, afterIdle) = (steps[0], steps[1])
        let counts = sequential.invocations.compactMap(\.invocationCount)
        let scratch = sequential.invocations.compactMap(\.foundScratchFile)
        let next = afterIdle.invocations.first
        return [
            Claim("\(n) invocations one after another run in one execution environment, with one cold start",
                  holds: sequential.environments == 1 && sequential.coldStarts == 1,
                  evidence: "\(sequential.environments) environment, \(sequential.coldStarts) cold start"),
            Claim("State survives between warm invocations: the worker's in-memory counter reads 1…\(n)",
                  holds: counts == Array(1...n),
                  evidence: "invocationCount: \(counts.map(String.init).joined(separator: ", "))"),
            Claim("/tmp survives too: from the second invocation on, the file the previous one wrote is there",
                  holds: scratch == [false] + Array(repeating: true, count: n - 1),
                  evidence: "found the previous file: \(scratch.map { $0 ? "yes" : "no" }.joined(separator: ", "))"),
            Claim("Left idle for the idle timeout (\(idleTimeoutMs.ms2) ms), the environment is shut down: SIGTERM, the Shutdown phase",
                  holds: shutdown.map { $0.reason.hasPrefix("idle") && $0.idleForMs >= idleTimeoutMs } ?? false,
                  evidence: shutdown.map { "\($0.environmentId): \($0.reason), after \($0.idleForMs.ms2) ms idle; process \($0.exit)" } ?? "no shutdown recorded"),
            Claim("The next invocation is cold, in a new environment, with the counter back at 1 and an empty /tmp",
                  holds: next?.coldStart == true && next?.environmentId != sequential.invocations.last?.environmentId
                      && next?.invocationCount == 1 && next?.foundScratchFile == false,
                  evidence: "\(next?.environmentId ?? "?"): cold start \(next?.coldStart ?? false), invocationCount \(next?.invocationCount ?? 0), found a file \(next?.foundScratchFile ?? true)"),
        ]
    }
}

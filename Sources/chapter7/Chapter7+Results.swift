import Contracts
import Foundation
import LambdaLab
import Timing
import Workbook

/// `swift run chapter7 --results FILE`: the orchestrator's answer recorded on AWS, rendered with
/// the same tables, waterfall and claims as a lab run — and beside it the same fan-out of the same
/// zips in the lab, measured now. Nothing of AWS's is modeled here: every AWS figure is from the
/// file (the orchestrator's latencies, and each call's REPORT from its log tail).
extension Chapter7 {
    struct ResultsOptions: Sendable {
        var file = ""
        /// Wraps the lab's fan-out: a test runs it one at a time with other tests' measurements,
        /// and the build of the zips beside them.
        var aroundFanOut: @Sendable (_ fanOut: () async throws -> StepOutcome) async throws -> StepOutcome = { try await $0() }

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["results"])
            guard let file = options.string("results") else { throw WorkbookError.invalidOption("--results needs a file") }
            guard FileManager.default.isReadableFile(atPath: file) else { throw WorkbookError.invalidOption("--results: cannot read \(file)") }
            self.file = file
        }
    }

    struct ResultsOutcome: Codable, Sendable, ChapterOutcome {
        var chapter = 7
        var resultsFile: String
        var fanOut: Int
        /// "on AWS (recorded)", then "in the lab (now)".
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 7 · a fan-out of \(fanOut) recorded on AWS, beside the same in the lab" }
    }

    static let recordedStep = "on AWS (recorded)", labStep = "in the lab (now)"

    static func results(_ options: ResultsOptions) async throws -> ResultsOutcome {
        let answer = try JSONDecoder().decode(FanOutAnswer.self, from: Data(contentsOf: URL(fileURLWithPath: options.file)))
        let recorded = recordedOutcome(answer)
        let n = answer.calls.count
        // The same zips, the same fan-out, in a lab on this machine.
        let binaries = try DeploymentPackages.buildStaticBinaries()
        let folder = NSTemporaryDirectory() + "lambda-lab-results-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let workerZip = try DeploymentPackages.package("worker", binary: binaries.worker, into: folder)
        let orchestratorZip = try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: folder)
        let lab = try await options.aroundFanOut { try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.createFunction(Chapter7.worker, zip: Array(try Data(contentsOf: URL(fileURLWithPath: workerZip.path))), settings: .init(timeoutSeconds: 10))
            try lab.createFunction(orchestrator, zip: Array(try Data(contentsOf: URL(fileURLWithPath: orchestratorZip.path))), settings: .init(timeoutSeconds: 30))
            return try await FanOutStep.run(lab, name: labStep, orchestrator: orchestrator, target: Chapter7.worker, count: n)
        } }
        let steps = [recorded, lab]
        return ResultsOutcome(resultsFile: options.file, fanOut: n, steps: steps, claims: resultsClaims(answer, recorded: recorded, lab: lab))
    }

    /// The recorded calls as a step: each call's own figures, grouped by the environment that
    /// served it (the worker's log stream).
    static func recordedOutcome(_ answer: FanOutAnswer) -> StepOutcome {
        let invocations = answer.calls.filter { $0.status == 200 }.map(InvocationSummary.init(call:))
            .sorted { $0.handlerStartedAtMs < $1.handlerStartedAtMs }
        var step = StepOutcome(name: recordedStep, invocations: invocations, wallMs: answer.wallMs,
                               sendSpreadMs: (answer.calls.map(\.sentAtMs).max() ?? 0) - (answer.calls.map(\.sentAtMs).min() ?? 0))
        step.calls = answer.calls.map { call in
            CallSummary(index: call.index, requestID: call.requestID, status: call.status, latencyMs: call.latencyMs, attempts: call.attempts,
                        throttleReasons: call.throttleReasons, backoffMs: call.backoffMs, report: call.report)
        }
        step.orchestratorInvocations = 1
        return step
    }

    static func resultsClaims(_ answer: FanOutAnswer, recorded: StepOutcome, lab: StepOutcome) -> [Claim] {
        let n = answer.calls.count
        let onDemand = recorded.invocations.filter { !$0.isProvisioned }
        return [
            Claim("Every call of the recorded fan-out succeeded and carried its REPORT in the log tail",
                  holds: answer.calls.allSatisfy { $0.status == 200 && $0.report != nil },
                  evidence: "\(answer.calls.filter { $0.status == 200 }.count) of \(n) answered 200, \(answer.calls.filter { $0.report != nil }.count) with a REPORT"),
            Claim("On AWS as in the lab, \(n) calls at once ran in \(n) execution environments (distinct log streams), each a cold start",
                  unless: recorded.coldStarts == 0 ? "the recorded fan-out found its environments warm (no REPORT has an Init Duration): record the first call after a deployment" : nil,
                  holds: recorded.environments == n && recorded.coldStarts == n,
                  evidence: "recorded: \(recorded.environments) environments, \(recorded.coldStarts) cold starts"),
            Claim("AWS's REPORT and the function agree: Init Duration appears exactly on the calls that were their environment's first",
                  unless: onDemand.isEmpty ? "every recorded call ran on provisioned concurrency, whose Init is not in any REPORT" : nil,
                  holds: onDemand.allSatisfy { ($0.initDurationMs != nil) == ($0.invocationCount == 1) },
                  evidence: "\(onDemand.filter { $0.initDurationMs != nil }.count) with Init Duration, \(onDemand.filter { $0.invocationCount == 1 }.count) first invocations"),
            Claim("The lab, given the same zips and the same fan-out, starts as many environments with as many cold starts",
                  unless: recorded.coldStarts == 0 ? "the recorded fan-out was warm; the lab's is cold" : nil,
                  holds: lab.environments == recorded.environments && lab.coldStarts == recorded.coldStarts,
                  evidence: "lab: \(lab.environments) environments, \(lab.coldStarts) cold starts; recorded: \(recorded.environments), \(recorded.coldStarts)"),
        ]
    }
}

import Contracts
import Foundation
import LambdaLab
import Timing
import Workbook

/// `swift run chapter7 --results FILE --recorded-on aws|lab`: the orchestrator's answer to one `{}`,
/// recorded where the reader says, rendered with the same tables, waterfall and claims as a lab
/// run — and beside it the same fan-out of the same zips in the lab, measured now. Nothing in the
/// recording is modeled: every figure is from the file (the orchestrator's latencies, and each
/// call's REPORT from its log tail). Where it was made is not in the file, so the reader states it
/// and the Outcome records it.
enum Chapter7Results: Chapter {
    typealias Options = Chapter7.Options

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 7
        var resultsFile: String
        /// Where the file was recorded, as `--recorded-on` said.
        var recordedOn: Chapter7.Recording
        var fanOut: Int
        /// The recording, then the lab now.
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 7 · a fan-out of \(fanOut) recorded \(recordedOn.place), beside the same in the lab now" }
    }

    static func recordedStep(_ origin: Chapter7.Recording) -> String { "recorded \(origin.place)" }
    static let labStep = "in the lab (now)"

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        guard let file = options.results, let origin = options.recordedOn else {
            throw WorkbookError.invalidOption("--results FILE needs --recorded-on aws or lab")
        }
        let answer = try JSONDecoder().decode(FanOutAnswer.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let n = answer.calls.count
        transcript.title(7, "a fan-out recorded \(origin.place), beside the lab now",
                         question: origin == .aws ? "What does the same fan-out of the same zips look like on AWS, and where does the lab differ?"
                             : "Does a fan-out recorded in the lab read as the same fan-out run in the lab now?")
        transcript.say("The recording: \(file), the orchestrator's answer to one `{}` — \(n) calls, each with its latency as the orchestrator measured it and its REPORT line from the log tail (`X-Amz-Log-Type: Tail`). It was made \(origin.place): so says --recorded-on, because the file itself does not say where it was made.\(origin == .lab ? " Both sides below are this lab, so this run checks the rendering and the recording's shape, not AWS." : "") Each call is grouped by the worker's log stream (one per execution environment) and placed on the orchestrator's clock: it ends at its answer, its handler just before, a cold start's Init before that.")

        // 1. The recording, as a step.
        let recorded = recordedOutcome(answer, name: recordedStep(origin))
        transcript.step(recorded, "What the recording shows. The first call after a deployment without provisioned concurrency finds no environment: expect \(n) log streams and \(n) cold starts. With provisioned concurrency \(n), expect none.", logs: false)
        transcript.waterfall(recorded)
        let onDemand = recorded.invocations.filter { !$0.isProvisioned }, provisioned = recorded.invocations.filter(\.isProvisioned)
        transcript.claim("Every call of the recorded fan-out succeeded and carried its REPORT in the log tail",
                         holds: answer.calls.allSatisfy { $0.status == 200 && $0.report != nil },
                         evidence: "\(answer.calls.filter { $0.status == 200 }.count) of \(n) answered 200, \(answer.calls.filter { $0.report != nil }.count) with a REPORT")
        transcript.claim("Recorded \(origin.place), \(n) calls at once ran in \(n) execution environments (distinct log streams), each a cold start",
                         unless: !provisioned.isEmpty ? "\(provisioned.count) of the recorded calls ran on provisioned environments, which have no cold start to count"
                             : recorded.coldStarts == 0 ? "the recorded fan-out found its environments warm (no REPORT has an Init Duration): record the first call after a deployment" : nil,
                         holds: recorded.environments == n && recorded.coldStarts == n,
                         evidence: "recorded: \(recorded.environments) environments, \(recorded.coldStarts) cold starts")
        transcript.claim("Calls that ran on provisioned environments (the worker saw AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency) paid no Init: none of their REPORTs has an Init Duration",
                         unless: provisioned.isEmpty ? "no recorded call ran on a provisioned environment" : nil,
                         holds: provisioned.allSatisfy { $0.initDurationMs == nil },
                         evidence: "\(provisioned.count) calls on provisioned environments, \(provisioned.filter { $0.initDurationMs != nil }.count) with an Init Duration")
        transcript.claim("The REPORTs and the function agree: Init Duration appears exactly on the calls that were their environment's first",
                         unless: onDemand.isEmpty ? "every recorded call ran on provisioned concurrency, whose Init is not in any REPORT" : nil,
                         holds: onDemand.allSatisfy { ($0.initDurationMs != nil) == ($0.invocationCount == 1) },
                         evidence: "\(onDemand.filter { $0.initDurationMs != nil }.count) with Init Duration, \(onDemand.filter { $0.invocationCount == 1 }.count) first invocations")

        // 2. The same zips, the same fan-out, in a lab on this machine.
        let binaries = try DeploymentPackages.buildStaticBinaries()
        let folder = NSTemporaryDirectory() + "lambda-lab-results-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let workerZip = try DeploymentPackages.package("worker", binary: binaries.worker, into: folder)
        let orchestratorZip = try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: folder)
        let lab = try await options.aroundFanOut { try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.createFunction(Chapter7.worker, zip: Array(try Data(contentsOf: URL(fileURLWithPath: workerZip.path))), settings: .init(timeoutSeconds: 10))
            try lab.createFunction(Chapter7.orchestrator, zip: Array(try Data(contentsOf: URL(fileURLWithPath: orchestratorZip.path))),
                                   settings: .init(timeoutSeconds: 30))
            return try await FanOutStep.run(lab, name: labStep, orchestrator: Chapter7.orchestrator, target: Chapter7.worker, count: n)
        } }
        transcript.step(lab, "The same zips and the same fan-out in a lab on this machine, now: one process per environment.", logs: false)
        transcript.waterfall(lab)
        transcript.claim("The lab, given the same zips and the same fan-out, starts as many environments with as many cold starts",
                         unless: recorded.coldStarts == 0 ? "the recording has no cold start (warm or provisioned); the lab's fan-out is cold" : nil,
                         holds: lab.environments == recorded.environments && lab.coldStarts == recorded.coldStarts,
                         evidence: "lab: \(lab.environments) environments, \(lab.coldStarts) cold starts; recorded: \(recorded.environments), \(recorded.coldStarts)")

        transcript.show(sideBySide(recorded, lab, origin: origin))
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        if origin == .aws {
            transcript.say("Where the lab differs, and why: an AWS Init Duration covers the runtime's start in a Firecracker microVM — the bootstrap loaded from the function's code, then its init — while the lab's is a process start on a warm machine (chapters/aws-facts.md#cold-start-figures: maxday/lambda-perf measures about 126 ms for a Swift custom runtime's Init, 15.5 ms for Rust's). Before Init, AWS also places the call and starts the microVM, which no REPORT shows but the orchestrator's latency does. A warm call's Duration is close in both: it is the worker's own work. The lab's environments share this machine's \(cpus) CPU\(cpus == 1 ? "" : "s"); on AWS each has its own share.")
        } else {
            transcript.say("Both columns are this lab (\(cpus) CPU\(cpus == 1 ? "" : "s") shared by every environment of a burst): whatever differs between them comes from the machine, or from how the recording's functions were set up (a database handshake, another build), not from AWS. A recording made on AWS shows where the lab differs: chapters/running-on-aws.md.")
        }
        if transcript.printing { Narrative.cost(RunCost(steps: [recorded])) }
        transcript.recap()
        return Outcome(resultsFile: file, recordedOn: origin, fanOut: n, steps: transcript.steps, claims: transcript.claims)
    }

    /// The recorded calls as a step: each call's own figures, grouped by the environment that
    /// served it (the worker's log stream).
    static func recordedOutcome(_ answer: FanOutAnswer, name: String) -> StepOutcome {
        let invocations = answer.calls.filter { $0.status == 200 }.map(InvocationSummary.init(call:))
            .sorted { $0.handlerStartedAtMs < $1.handlerStartedAtMs }
        var step = StepOutcome(name: name, invocations: invocations, wallMs: answer.wallMs,
                               sendSpreadMs: (answer.calls.map(\.sentAtMs).max() ?? 0) - (answer.calls.map(\.sentAtMs).min() ?? 0))
        step.calls = answer.calls.map { call in
            CallSummary(index: call.index, requestID: call.requestID, status: call.status, latencyMs: call.latencyMs, attempts: call.attempts,
                        throttleReasons: call.throttleReasons, backoffMs: call.backoffMs, report: call.report)
        }
        step.orchestratorInvocations = 1
        return step
    }

    /// The two steps' figures in columns, and their ratio.
    static func sideBySide(_ recorded: StepOutcome, _ lab: StepOutcome, origin: Chapter7.Recording) -> String {
        let left = origin == .aws ? "AWS" : "recording"
        var table = TextTable([("", .left), (left, .right), ("lab now", .right), ("\(left) ÷ lab", .right)])
        func row(_ name: String, _ there: Double, _ here: Double) {
            table.add([name, there.twoDecimals, here.twoDecimals, here > 0 ? String(format: "%.1f×", there / here) : "—"])
        }
        table.add(["environments", String(recorded.environments), String(lab.environments), ""])
        table.add(["cold starts", String(recorded.coldStarts), String(lab.coldStarts), ""])
        row("Init Duration p50", recorded.initDurations.p50, lab.initDurations.p50)
        row("Duration p50", recorded.durations.p50, lab.durations.p50)
        row("latency p50", recorded.latency.p50, lab.latency.p50)
        row("latency max", recorded.latency.max, lab.latency.max)
        row("Billed Duration, all calls", Double(recorded.billedTotalMs), Double(lab.billedTotalMs))
        return "Side by side (ms; all measured: the recording's by its REPORTs and the orchestrator, the lab's here)\n\n" + table.render()
    }
}

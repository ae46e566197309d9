import Foundation
import Timing
import Workbook

extension Chapter7 {
    /// The recorded AWS fan-out and the lab's, side by side. Reads only the Outcome.
    static func narrateResults(_ outcome: ResultsOutcome) {
        let recorded = outcome.step(recordedStep), lab = outcome.step(labStep)
        Narrative.title(7, "a fan-out recorded on AWS, beside the lab", question: "What does the same fan-out of the same zips look like on AWS Lambda, and where is the lab faster or slower?")
        print("")
        Narrative.paragraph("The recording: \(outcome.resultsFile), the orchestrator's answer to one `{}` on AWS — \(outcome.fanOut) calls, each with its latency as the orchestrator measured it and its REPORT line from the log tail (`X-Amz-Log-Type: Tail`). The environment of each call is the worker's log stream. Where a call sat in time is placed from the orchestrator's clock: each call ends at its answer, its handler just before, and a cold start's Init before that. Beside it, the same zips and the same fan-out in a lab on this machine, measured now.", indent: "")
        Narrative.step(1, recorded, expect: "What AWS did. A first call after a deployment is cold in every environment.", showLogs: false)
        Narrative.waterfall(recorded)
        Narrative.step(2, lab, expect: "The same in the lab: one process per environment on this machine.", showLogs: false)
        Narrative.waterfall(lab)

        Narrative.section("Side by side (ms; all measured: AWS's by AWS and the orchestrator, the lab's here)")
        var table = TextTable([("", .left), ("AWS", .right), ("lab", .right), ("AWS ÷ lab", .right)])
        func row(_ name: String, _ aws: Double, _ here: Double) {
            table.add([name, aws.twoDecimals, here.twoDecimals, here > 0 ? String(format: "%.1f×", aws / here) : "—"])
        }
        table.add(["environments", String(recorded.environments), String(lab.environments), ""])
        table.add(["cold starts", String(recorded.coldStarts), String(lab.coldStarts), ""])
        row("Init Duration p50", recorded.initDurations.p50, lab.initDurations.p50)
        row("Duration p50", recorded.durations.p50, lab.durations.p50)
        row("latency p50", recorded.latency.p50, lab.latency.p50)
        row("latency max", recorded.latency.max, lab.latency.max)
        row("Billed Duration, all calls", Double(recorded.billedTotalMs), Double(lab.billedTotalMs))
        print("")
        print(table.render())
        print("")
        Narrative.paragraph("Where the lab differs, and why: an AWS Init Duration covers a Firecracker microVM's runtime start — the bootstrap loaded from the function's code, then its init — while the lab's is a process start on a warm machine (chapters/aws-facts.md#cold-start-figures: maxday/lambda-perf measures about 126 ms for a Swift custom runtime's Init and 15.5 ms for Rust's, 2026). Before Init, AWS also places the call and starts the microVM, which no REPORT shows but the orchestrator's latency does. A warm call's Duration is close in both: it is the worker's own work. The lab's latencies include the two CPUs of this machine being shared by every environment of the burst; AWS gives each environment its own.", indent: "")
        Narrative.cost(RunCost(steps: [recorded]))
        Narrative.claims(outcome.claims)
    }
}

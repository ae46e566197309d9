import Foundation
import Timing

/// Prints a chapter the same way every time: short narrative per step, the CloudWatch lines, a
/// table, a waterfall where a picture helps, and the claims. It only reads Outcomes.
public enum Narrative {
    public static let width = 100

    public static func title(_ chapter: Int, _ title: String, question: String) {
        print("Lambda Lab · chapter \(chapter) · \(title)")
        print(String(repeating: "═", count: min(width, 24 + title.count)))
        paragraph("Question: " + question, indent: "")
    }

    public static func section(_ heading: String) {
        print("")
        print(heading)
        print(String(repeating: "─", count: heading.count))
    }

    /// Wraps text at the page width.
    public static func paragraph(_ text: String, indent: String = "  ") {
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width, line.count > indent.count {
                print(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        if line.count > indent.count { print(line) }
    }

    /// One step as every chapter shows it: heading, what to expect, the CloudWatch lines (unless a
    /// step repeats a shape the reader has already seen line by line), the table.
    public static func step(_ number: Int, _ step: StepOutcome, expect text: String, showLogs: Bool = true) {
        section("Step \(number) · \(step.name)")
        paragraph(text)
        if showLogs { logs(step) }
        stepTable(step)
    }

    /// Every invocation's log lines, in the order the environments started.
    public static func logs(_ step: StepOutcome) {
        print("")
        for invocation in step.invocations {
            for line in invocation.logLines { print("  [worker \(invocation.environmentID)] \(line)") }
        }
    }

    public static func stepTable(_ step: StepOutcome) {
        var table = TextTable([("invocations", .right), ("environments", .right), ("cold starts", .right),
                               ("Init Duration p50", .right), ("Duration p50", .right),
                               ("latency p50", .right), ("p90", .right), ("max", .right)])
        table.add([String(step.invocations.count), String(step.environments), String(step.coldStarts),
                   step.coldStarts > 0 ? step.initDurations.p50.twoDecimals + " ms" : "—", step.durations.p50.twoDecimals + " ms",
                   step.latency.p50.twoDecimals + " ms", step.latency.p90.twoDecimals + " ms", step.latency.max.twoDecimals + " ms"])
        print("")
        print(table.render())
    }

    /// Whether a burst reached the lab at once: measured, and said plainly when it did not.
    public static func arrival(_ step: StepOutcome) {
        print("")
        let count = step.invocations.count
        if step.arrivedAtOnce {
            paragraph("Arrival: all \(count) requests reached the lab within \(step.arrivalSpreadMs.twoDecimals) ms (the orchestrator wrote them within \(step.sendSpreadMs.twoDecimals) ms); the first call finished at \(step.firstFinishMs.twoDecimals) ms. Every request was routed before any could finish, as on AWS.")
        } else {
            paragraph("⚠ Beyond this machine: the \(count) requests took \(step.arrivalSpreadMs.twoDecimals) ms to reach the lab, but the first call finished at \(step.firstFinishMs.twoDecimals) ms, so late requests could reuse early environments. On AWS the front end routes a burst in microseconds; read this step's counts with that in mind, or try a smaller burst.")
        }
    }

    /// One row per environment: when it was spawned, its Init, its handler, to scale.
    public static func waterfall(_ step: StepOutcome) {
        let rows = step.invocations.map { invocation in
            let start = invocation.spawnedAtMs ?? invocation.handlerStartedAtMs
            return Waterfall.Row(label: invocation.environmentID, offset: .milliseconds(max(0, start)),
                                 initDuration: invocation.initDurationMs.map { .milliseconds($0) },
                                 handlerDuration: .milliseconds(invocation.durationMs))
        }
        print("")
        print("  Waterfall, one row per invocation from the first arrival (░ Init, █ handler)")
        print(Waterfall(rows: rows).render())
    }

    public static func summary(_ steps: [StepOutcome]) {
        var table = TextTable([("step", .left), ("invocations", .right), ("environments", .right), ("cold starts", .right),
                               ("latency p50", .right), ("p90", .right), ("p99", .right), ("max", .right), ("wall", .right)])
        for step in steps {
            table.add([step.name, String(step.invocations.count), String(step.environments), String(step.coldStarts),
                       step.latency.p50.twoDecimals, step.latency.p90.twoDecimals, step.latency.p99.twoDecimals, step.latency.max.twoDecimals, step.wallMs.twoDecimals])
        }
        section("Summary (latencies and wall time in ms, measured by the orchestrator)")
        print(table.render())
        cost(RunCost(steps: steps))
    }

    /// The run priced as AWS would bill it: modeled money from the lab's measured Billed Durations.
    public static func cost(_ cost: RunCost) {
        print("")
        let perMillion = cost.usd * 1_000_000
        var text = "Modeled cost on AWS (prices, not a measurement): the \(cost.invocations) invocations above (the orchestrator's included), \(cost.billedMs) ms billed in all at \(cost.memoryMB) MB, would cost $\(dollars(cost.usd)) at us-east-1 \(cost.architecture.rawValue) prices — $\(dollars(perMillion)) per million runs like this one."
        if cost.managedInvocations > 0 {
            text += " \(cost.managedInvocations) of them ran on Lambda Managed Instances, billed per request only; their instances are billed by the hour and priced apart."
        }
        if cost.provisionedInvocations > 0 {
            text += " \(cost.provisionedInvocations) of them ran on provisioned environments, at its lower duration price; the capacity itself is billed for as long as it is configured, in 5-minute blocks, and priced apart."
        }
        paragraph(text, indent: "")
    }

    /// Dollars to the cent from $1 up, else to three significant digits ($0.0000575): a run costs
    /// millionths of a dollar, and those digits are the lesson.
    public static func dollars(_ value: Double) -> String {
        guard value < 1 else { return String(format: "%.2f", value) }
        guard value > 0 else { return "0" }
        var digits = 2
        while value * pow(10, Double(digits)) < 100, digits < 15 { digits += 1 }
        var text = String(format: "%.\(digits)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// What the figures are: who measured them, or which are AWS's rule applied to the lab's times.
    public static func figures() {
        print("")
        paragraph("How to read these figures: latency and wall time are measured by the orchestrator; Duration and Init Duration are measured by the lab, and Init Duration here is a process start plus the function's init code, without the microVM start and code download AWS adds. Billed Duration is AWS's rule (rounded up to the next ms, Init included for a custom runtime) applied to the lab's times: modeled, not a bill.", indent: "")
    }

    static func mark(_ verdict: Claim.Verdict) -> String {
        switch verdict {
        case .held: "✔ held"
        case .didNotHold: "✘ did not hold"
        case .notApplicable: "– not applicable"
        }
    }

    /// One claim as it is decided: the verdict, the claim, the figures that decided it.
    public static func verdict(_ claim: Claim) {
        paragraph("\(mark(claim.verdict)): \(claim.claim)", indent: "  ")
        paragraph(claim.evidence, indent: "      ")
    }

    /// The run's claims together at the end, one line each (their evidence was printed with their
    /// steps), and how many held.
    public static func recap(_ claims: [Claim]) {
        section("Claims")
        for claim in claims {
            paragraph("\(mark(claim.verdict)): \(claim.claim)", indent: "  ")
        }
        count(claims)
    }

    private static func count(_ claims: [Claim]) {
        let held = claims.filter(\.holds).count
        let notApplicable = claims.filter { $0.verdict == .notApplicable }.count
        print("")
        if notApplicable == 0 {
            print("  \(held) of \(claims.count) claims held in this run.")
        } else {
            print("  \(held) of \(claims.count - notApplicable) applicable claims held in this run (\(notApplicable) not applicable with these options).")
        }
    }

    /// The Outcome as one JSON object on stdout, and nothing else.
    public static func json<T: Encodable>(_ outcome: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
    }
}

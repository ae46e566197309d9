import Timing
import Workbook

extension Chapter2 {
    static func narrate(_ outcome: Outcome) {
        let n = outcome.invocations
        Narrative.title(2, "warm reuse", question: "What survives between two invocations of a function, and for how long?")
        print("")
        Narrative.paragraph("Setup: the worker keeps a counter in memory (a Mutex-guarded value: Swift 6 makes us say how state is shared) and writes a file in TMPDIR, the lab's stand-in for /tmp, one scratch directory per environment. The lab's idle timeout is set to \(outcome.idleTimeoutMs.twoDecimals) ms for this chapter; AWS publishes no figure, and community measurements since 2019 saw about 10 minutes.", indent: "")
        Narrative.section("Step 1 · sequential")
        switch Chapter2.expectation(gapMs: outcome.gapMs, idleTimeoutMs: outcome.idleTimeoutMs) {
        case .warm where outcome.gapMs > 0:
            Narrative.paragraph("\(n) invocations, \(outcome.gapMs.twoDecimals) ms apart — well inside the idle timeout. Each finds the previous environment idle (frozen, on AWS) and thaws it: one cold start, then warm. The counter and the file are still there.")
        case .warm:
            Narrative.paragraph("\(n) invocations, one after another. Each finds the previous environment idle (frozen, on AWS) and thaws it: one cold start, then warm. The counter and the file are still there.")
        case .cold:
            Narrative.paragraph("\(n) invocations, \(outcome.gapMs.twoDecimals) ms apart — longer than the \(outcome.idleTimeoutMs.twoDecimals) ms idle timeout. Between two calls the lab shuts the idle environment down, so each call starts a new one: \(n) cold starts, and nothing survives.")
        case .tooClose:
            Narrative.paragraph("\(n) invocations, \(outcome.gapMs.twoDecimals) ms apart — about as long as the \(outcome.idleTimeoutMs.twoDecimals) ms idle timeout: whether each finds the previous environment is a race.")
        }
        let sequential = outcome.step("sequential")
        Narrative.logs(sequential)
        Narrative.stepTable(sequential)
        var table = TextTable([("invocation", .right), ("environment", .left), ("cold start", .left), ("invocationCount", .right), ("found /tmp file", .left)])
        for (index, invocation) in sequential.invocations.enumerated() {
            table.add([String(index + 1), invocation.environmentID, invocation.coldStart ? "yes" : "no",
                       invocation.invocationCount.map(String.init) ?? "?", invocation.foundScratchFile == true ? "yes" : "no"])
        }
        print("")
        print(table.render())

        Narrative.section("Idle")
        if let shutdown = outcome.shutdown {
            Narrative.paragraph("Nothing calls the worker. After \(shutdown.idleForMs.twoDecimals) ms idle the lab shuts \(shutdown.environmentID) down: SIGTERM to the runtime, SIGKILL 300 ms later if it lingers (the lab's grace; on AWS a runtime without extensions gets no time at Shutdown). Its process ends (\(shutdown.exit)); its memory and its /tmp are gone with it. AWS writes no log line for this; the lab does, marked [lab]:")
            print("")
            print("  [worker \(shutdown.environmentID)] [lab] SHUTDOWN \(shutdown.environmentID) (\(shutdown.reason); process \(shutdown.exit))")
        }

        Narrative.section("Step 2 · after idle")
        Narrative.paragraph("The next invocation finds no environment: a cold start in a new one, the counter back at 1, an empty /tmp.")
        let afterIdle = outcome.step("after idle")
        Narrative.logs(afterIdle)
        Narrative.stepTable(afterIdle)
        print("  invocationCount \(afterIdle.invocations.first?.invocationCount ?? 0) · found /tmp file: \(afterIdle.invocations.first?.foundScratchFile == true ? "yes" : "no")")
        Narrative.summary(outcome.steps)
        Narrative.figures()
        Narrative.claims(outcome.claims)
    }
}

import Foundation
import Timing
import Workbook

extension Chapter5 {
    /// The narrative: reads only the Outcome.
    static func narrate(_ outcome: Outcome) {
        let (r, k) = (outcome.reserved, outcome.excess)
        Narrative.title(5, "when the fan-out hits a limit", question: "What happens to a fan-out's calls when Lambda says no?")
        print("")
        Narrative.paragraph("Setup: the orchestrator and worker of chapter 3, one fresh lab per step. Each worker call runs a modeled \(outcome.slowQueryMs) ms query, so a burst's calls are all in flight together; the database's handshake (\(outcome.modeled.dbHandshakeMs.twoDecimals) ms, paid in init) is modeled too. Everything else is measured.", indent: "")

        let texts = [
            "reserved concurrency": "The worker gets reserved concurrency \(r): at most \(r) of its invocations may run at once. The orchestrator sends \(r + k) at once: expect \(r) to run and \(k) to be refused at once with 429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded. A throttled call never reaches the function.",
            "retry with backoff": "The same burst, but the orchestrator retries a throttled call as the AWS SDKs do in their standard retry mode: up to 3 attempts, each retry after a random wait of up to \(outcome.retryBaseMs.twoDecimals) ms × 2^(retry − 1). Expect every call to succeed, the throttled ones later.",
            "account limit": "A new lab whose account allows \(outcome.accountConcurrency) concurrent executions. A second function, `reports`, reserves \(outcome.held) of them (idle, but reserved is reserved), and the orchestrator itself is one running execution. The unreserved worker gets what is left: \(outcome.accountConcurrency - outcome.held - 1). Expect the rest of the \(r + k) to get 429, Reason ConcurrentInvocationLimitExceeded.",
        ]
        for (index, step) in outcome.steps.enumerated() where !step.name.hasPrefix("scaling rate") {
            Narrative.step(index + 1, step, expect: texts[step.name] ?? "")
            calls(step)
        }

        Narrative.section("Step 4 · scaling rate")
        Narrative.paragraph("AWS lets each function add at most 1,000 execution environments every 10 seconds, refilled continuously. The lab applies that rule divided by a documented factor — \(outcome.scalingRate) — so a burst larger than the allowance fits on a laptop. Three waves of \(outcome.waves.first.map { $0.ran + $0.throttled } ?? 0) calls, each after the allowance has refilled: a warm environment needs no allowance, a new one takes one.")
        var table = TextTable([("wave", .right), ("ran", .right), ("throttled (429)", .right), ("cold starts", .right), ("environments", .right)])
        for wave in outcome.waves {
            table.add([String(wave.wave), String(wave.ran), String(wave.throttled), String(wave.coldStarts), String(wave.environments)])
        }
        print("")
        print(table.render())

        Narrative.section("Step 5 · asynchronous invocation")
        let async = outcome.asynchronous
        Narrative.paragraph("The same \(r + k) calls, sent as events (InvocationType Event) to the worker with reserved concurrency \(r), one of them (event 0) failing every time it runs. An on-failure destination, the function `on-failure`, is configured with PutFunctionEventInvokeConfig. Lambda answers 202 at once and queues the events; throttled ones wait and are tried again, a failed one is retried twice. The queue's waits are scaled by \(async.asyncTimeScale): AWS's 1-minute retry after an error takes \(String(format: "%.1f", 60 * async.asyncTimeScale)) s here.")
        var events = TextTable([("event", .right), ("invocations", .right), ("throttled", .right), ("waited before running", .right),
                                ("ended after", .right), ("ending", .left)])
        for event in async.events {
            events.add([String(event.index), String(event.invocations), String(event.throttles), event.waitedMs.map { $0.twoDecimals + " ms" } ?? "—",
                        event.endedAfterMs.twoDecimals + " ms", event.condition + (event.destination.map { " → \($0.split(separator: ":").last ?? "")" } ?? "")])
        }
        print("")
        print(events.render())
        let counts = async.counts
        print("")
        Narrative.paragraph("accepted \(counts.accepted) · succeeded \(counts.succeeded) · sent to the destination \(counts.sentToDestination) · dropped \(counts.dropped) · retries after a throttle \(counts.retriedAfterThrottle), after an error \(counts.retriedAfterError)")

        Narrative.summary(outcome.steps)
        Narrative.figures()
        Narrative.claims(outcome.claims)
    }

    /// Every call of a step as its caller saw it, the refused ones included.
    static func calls(_ step: StepOutcome) {
        var table = TextTable([("call", .right), ("status", .right), ("attempts", .right), ("throttled as", .left),
                               ("backoff", .right), ("latency", .right)])
        for call in step.calls {
            // Each attempt's reason; a reason repeated is counted, not repeated.
            let reasons = call.throttleReasons.isEmpty ? "—"
                : Set(call.throttleReasons).sorted().map { reason in
                    let count = call.throttleReasons.filter { $0 == reason }.count
                    return count > 1 ? "\(count) × \(reason)" : reason
                }.joined(separator: ", ")
            table.add([String(call.index), String(call.status), String(call.attempts), reasons,
                       call.backoffMs > 0 ? call.backoffMs.twoDecimals + " ms" : "—", call.latencyMs.twoDecimals + " ms"])
        }
        print("")
        print(table.render())
    }
}

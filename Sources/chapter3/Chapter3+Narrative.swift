import Timing
import Workbook

extension Chapter3 {
    /// The narrative: reads only the Outcome.
    static func narrate(_ outcome: Outcome) {
        let n = outcome.concurrency
        Narrative.title(3, "concurrent fan-out", question: "What happens when one function invokes another \(n) times at once?")
        print("")
        Narrative.paragraph("Setup: the lab runs two functions, each execution environment a real process speaking the Lambda Runtime API. `orchestrator` calls the lab's Invoke API; `worker` opens a connection to a stand-in database in its init and runs one query per invocation. Modeled (not measured): the database's handshake \(outcome.modeled.dbHandshakeMs.ms2) ms and query round trip \(outcome.modeled.dbQueryMs.ms2) ms, standing for a database on another host. Everything else is measured on this machine.", indent: "")

        let texts = [
            "cold burst": "The orchestrator invokes worker \(n) times at once. No environment exists yet, and one environment serves one request at a time, so Lambda starts one per request: expect \(n) environments and \(n) cold starts, each REPORT carrying Init Duration (process start + connecting to the database).",
            "warm burst": "The same burst, right away. The \(n) environments are idle (frozen, on AWS), so each request takes one: expect 0 cold starts and no new environment.",
            "bigger burst": "Now \(2 * n) at once. \(n) requests find a warm environment; the other \(n) find none idle and must cold-start: expect \(n) warm + \(n) cold.",
            "sequential": "A fresh deployment of worker (its old environments are shut down), invoked \(n) times one after another. Each call finds the previous environment idle again: expect 1 environment and 1 cold start. The cost moves from Init to time: about \(n) handler times in a row.",
        ]
        for (index, step) in outcome.steps.enumerated() {
            Narrative.section("Step \(index + 1) · \(step.name)")
            Narrative.paragraph(texts[step.name] ?? "")
            Narrative.logs(step)
            Narrative.stepTable(step)
            if step.name == "cold burst" { Narrative.waterfall(step) }
        }
        Narrative.summary(outcome.steps)
        let cold = outcome.step("cold burst"), sequential = outcome.step("sequential")
        print("")
        let warmDuration = outcome.step("warm burst").durations.p50
        Narrative.paragraph("The trade-off the article is about. At once, \(n) calls cost about one Init plus one handler in wall time (\(cold.wallMs.ms2) ms here) but \(cold.coldStarts) cold starts, each billed its Init Duration (p50 \(cold.initDurations.p50.ms2) ms). One at a time, they cost one Init plus \(n) handlers (\(sequential.wallMs.ms2) ms here, with a warm Duration p50 of \(warmDuration.ms2) ms) and a single cold start. Concurrency wins on time when \(n) handlers take longer than one Init; it always costs more Inits. On AWS, Init Durations are larger (a Swift custom runtime averages about 126 ms on maxday/lambda-perf, before any database handshake), so each of those cold starts costs more still.", indent: "")
        Narrative.claims(outcome.claims)
    }
}

import Foundation
import Timing
import Workbook

extension Chapter3 {
    /// The narrative: reads only the Outcome.
    static func narrate(_ outcome: Outcome) {
        let n = outcome.concurrency
        Narrative.title(3, "concurrent fan-out", question: "What happens when one function invokes another \(n) times at once?")
        print("")
        Narrative.paragraph("Setup: the lab runs two functions, each execution environment a real process speaking the Lambda Runtime API. `orchestrator` calls the lab's Invoke API; `worker` opens a connection to a stand-in database in its init and runs one query per invocation. Modeled (not measured): the database's handshake \(outcome.modeled.dbHandshakeMs.twoDecimals) ms and query round trip \(outcome.modeled.dbQueryMs.twoDecimals) ms, standing for a database on another host. Everything else is measured on this machine.", indent: "")

        let texts = [
            "cold burst": "The orchestrator invokes worker \(n) times at once. No environment exists yet, and one environment serves one request at a time, so Lambda starts one per request: expect \(n) environments and \(n) cold starts, each REPORT carrying Init Duration (process start + connecting to the database).",
            "warm burst": "The same burst, right away. The \(n) environments are idle (frozen, on AWS), so each request takes one: expect 0 cold starts and no new environment.",
            "bigger burst": "Now \(2 * n) at once. \(n) requests find a warm environment; the other \(n) find none idle and must cold-start: expect \(n) warm + \(n) cold.",
            "sequential": "A fresh deployment of worker (its old environments are shut down), invoked \(n) times one after another. Each call finds the previous environment idle again: expect 1 environment and 1 cold start. The cost moves from Init to time: about \(n) handler times in a row.",
        ]
        for (index, step) in outcome.steps.enumerated() {
            Narrative.step(index + 1, step, expect: texts[step.name] ?? "")
            if step.name != "sequential" { Narrative.arrival(step) }
            if step.name == "cold burst" {
                Narrative.waterfall(step)
                machine(step, n: n, handshakeMs: outcome.modeled.dbHandshakeMs)
            }
        }
        Narrative.summary(outcome.steps)
        Narrative.figures()
        let cold = outcome.step("cold burst"), sequential = outcome.step("sequential")
        print("")
        let billedCold = cold.invocations.map(\.billedDurationMs).reduce(0, +)
        let billedSequential = sequential.invocations.map(\.billedDurationMs).reduce(0, +)
        Narrative.paragraph("The trade-off the article is about. At once, \(n) calls took about one Init plus one handler of wall time (\(cold.wallMs.twoDecimals) ms) but paid \(cold.coldStarts) cold starts: \(billedCold) ms billed in total, most of it Init. One at a time, they took one Init plus \(n) handlers (\(sequential.wallMs.twoDecimals) ms) and paid one Init: \(billedSequential) ms billed. Concurrency buys wall time with Inits; once the environments are warm (step 2) it costs neither. On AWS each Init is larger (a Swift custom runtime averages about 126 ms on maxday/lambda-perf, before any database handshake), so each cold start costs more latency and more money.", indent: "")
        Narrative.claims(outcome.claims)
    }

    /// Where the machine ends: Init Duration beside the CPU the process really used in Init.
    static func machine(_ cold: StepOutcome, n: Int, handshakeMs: Double) {
        let duration = cold.initDurations.p50, cpu = cold.initCPUTimes.p50
        let waiting = max(0, duration - cpu - handshakeMs)
        print("")
        Narrative.paragraph("Init Duration p50 \(duration.twoDecimals) ms, of which the process used \(cpu.twoDecimals) ms of CPU (the kernel's accounting) and waited \(handshakeMs.twoDecimals) ms on the modeled database handshake. The other \(waiting.twoDecimals) ms it was runnable but waiting for a CPU: \(n) environment\(n == 1 ? "" : "s") started at once on this machine's \(ProcessInfo.processInfo.activeProcessorCount) CPUs. On AWS every environment has its own CPU share, so Init Duration stays near CPU + waits however large the burst; here it grows with N. That growth is the machine, not the lesson.")
        if let lastSpawn = cold.invocations.compactMap(\.spawnedAtMs).max(), n > 1 {
            print("")
            Narrative.paragraph("Before Init, each call waited for its process to be spawned: the lab spawned the last of the \(n) \(lastSpawn.twoDecimals) ms after the burst arrived, on the same two CPUs as the Inits already running. That wait is in the latency the orchestrator measured, not in any REPORT.")
        }
    }
}

import Timing
import Workbook

extension Chapter1 {
    static func narrate(_ outcome: Outcome) {
        let n = outcome.invocations
        Narrative.title(1, "init outside the handler", question: "Where should a function open its database connection: in the handler, or in init?")
        print("")
        Narrative.paragraph("Setup: one worker executable deployed twice, with different configuration (WORKER_CONNECT). `connect-in-handler` opens a connection to the stand-in database inside the handler, every time; `connect-in-init` opens it once, in its Init phase, and keeps it. Each is invoked \(n) times, one after another. Modeled (not measured): the database handshake \(outcome.modeled.dbHandshakeMs.twoDecimals) ms and query round trip \(outcome.modeled.dbQueryMs.twoDecimals) ms. The database itself counts the connections it accepts.", indent: "")
        let texts = [
            "connect in handler": "Every invocation connects, queries, and closes: expect \(n) connections and every Duration at least one handshake.",
            "connect in init": "The connection is opened once, in Init, so the handshake shows in Init Duration; later invocations reuse it while the environment is frozen between them and thawed again: expect 1 connection and short warm Durations.",
            "after database restart": "The database restarts while the environment is frozen. The kept socket is dead, and the function only learns it on its next query: the worker catches the failure, reconnects (paying the handshake once more) and answers.",
        ]
        for (index, step) in outcome.steps.enumerated() {
            Narrative.step(index + 1, step, expect: texts[step.name] ?? "")
            print("  database connections accepted: \(step.databaseConnections ?? 0) · billed in total: \(step.billedTotalMs) ms")
        }
        Narrative.summary(outcome.steps)
        Narrative.figures()
        let inHandler = outcome.step("connect in handler"), inInit = outcome.step("connect in init")
        print("")
        Narrative.paragraph("Billed: \(inHandler.billedTotalMs) ms for connect-in-handler against \(inInit.billedTotalMs) ms for connect-in-init. For a custom runtime (provided.al2023) AWS bills the Init phase too, so the handshake in init is paid, but once per environment instead of once per invocation; since August 2025 the same holds for managed runtimes.", indent: "")
        Narrative.claims(outcome.claims)
    }
}

import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 1 — init outside the handler. The same worker executable, deployed twice: one opens its
/// database connection inside the handler, every time; the other opens it once, in init, and keeps
/// it while the environment is frozen between invocations. Then the database restarts under the kept
/// connection.
enum Chapter1: Chapter {
    struct Options: ChapterOptions {
        var invocations = 10
        var dbHandshakeMs = 40.0
        var dbQueryMs = 5.0

        static let command = Command<Options>("chapter1", [
            .int("invocations", \.invocations, in: 1...100, "invocations of each function, one after another"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up"),
            .milliseconds("db-query-ms", \.dbQueryMs, in: 0...10_000, "modeled round trip of one query"),
        ])
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 1
        var invocations: Int
        var modeled: ModeledDatabase
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 1 · init outside the handler (\(invocations) invocations each)" }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let n = options.invocations, handshakeMs = options.dbHandshakeMs
        transcript.title(1, "init outside the handler", question: "Where should a function open its database connection: in the handler, or in init?")
        transcript.say("Setup: the chapter invokes `orchestrator`, a function that calls another function N times and reports what each call took. Here it calls one worker executable, deployed twice with different configuration (WORKER_CONNECT): `connect-in-handler` opens a connection to a stand-in database inside the handler, every time; `connect-in-init` opens it once, in its Init phase, and keeps it. Each is invoked \(n) times, one after another. Every execution environment is a real process, numbered env-1, env-2, … in the order the lab starts them. Modeled (not measured): the database handshake \(handshakeMs.twoDecimals) ms and query round trip \(options.dbQueryMs.twoDecimals) ms. Each function has its own database, which counts the connections it accepts.")

        let configuration = StandInDatabase.Configuration(handshake: .milliseconds(handshakeMs), queryLatency: .milliseconds(options.dbQueryMs))
        // One database per function, so each count is that function's alone.
        let forHandler = try StandInDatabase(configuration: configuration)
        let forInit = try StandInDatabase(configuration: configuration)
        defer { forHandler.stop(); forInit.stop() }
        // With no handshake there is nothing to pay, so "pays the handshake" would hold by itself.
        let noHandshake = handshakeMs == 0 ? "with --db-handshake-ms 0 there is no handshake to pay" : nil

        try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.deploy(WorkbookFunctions.worker(name: "connect-in-handler", database: forHandler, connect: .inHandler))
            try lab.deploy(WorkbookFunctions.worker(name: "connect-in-init", database: forInit, connect: .inInit))

            // 1. The connection is the handler's: opened, used once and closed on every invocation.
            var inHandler = try await FanOutStep.run(lab, name: "connect in handler", target: "connect-in-handler", count: n, sequential: true)
            inHandler.databaseConnections = forHandler.connectionsAccepted
            transcript.step(inHandler, "Every invocation connects, queries, and closes: expect \(n) connection\(n == 1 ? "" : "s") and every Duration at least one handshake.")
            transcript.show("  database connections accepted: \(forHandler.connectionsAccepted) · billed in total: \(inHandler.billedTotalMs) ms")
            transcript.claim("Connecting in the handler opens a connection on every invocation: \(n) connection\(n == 1 ? "" : "s"), counted by the database",
                             holds: forHandler.connectionsAccepted == n,
                             evidence: "\(forHandler.connectionsAccepted) connections accepted by the database")
            transcript.claim("…and every one of those invocations pays the handshake: every Duration ≥ the \(handshakeMs.twoDecimals) ms handshake",
                             unless: noHandshake,
                             holds: inHandler.invocations.allSatisfy { $0.durationMs >= handshakeMs },
                             evidence: "shortest Duration \(inHandler.durations.min.twoDecimals) ms")

            // 2. The connection is the environment's: opened once in Init, kept while it is frozen.
            var inInit = try await FanOutStep.run(lab, name: "connect in init", target: "connect-in-init", count: n, sequential: true)
            inInit.databaseConnections = forInit.connectionsAccepted
            transcript.step(inInit, "The connection is opened once, in Init, so the handshake shows in Init Duration; later invocations reuse it while the environment is frozen between them and thawed again: expect 1 connection and short warm Durations.")
            transcript.show("  database connections accepted: \(forInit.connectionsAccepted) · billed in total: \(inInit.billedTotalMs) ms")
            let cold = inInit.invocations.first { $0.coldStart }
            let warm = inInit.invocations.filter { !$0.coldStart }
            transcript.claim("Connecting in init opens one connection, in the one Init phase",
                             holds: forInit.connectionsAccepted == 1 && inInit.coldStarts == 1,
                             evidence: "\(forInit.connectionsAccepted) connection, \(inInit.coldStarts) cold start")
            transcript.claim("…and pays the handshake there: Init Duration ≥ the handshake", unless: noHandshake,
                             holds: (cold?.initDurationMs ?? 0) >= handshakeMs,
                             evidence: "Init Duration \((cold?.initDurationMs ?? 0).twoDecimals) ms")
            transcript.claim("Warm invocations that reuse the kept connection run well below the handshake: every warm Duration < half of it",
                             unless: n == 1 ? "with --invocations 1 there is no warm invocation" : noHandshake,
                             holds: !warm.isEmpty && warm.allSatisfy { $0.durationMs < handshakeMs / 2 },
                             evidence: "longest warm Duration \((warm.map(\.durationMs).max() ?? 0).twoDecimals) ms against a \(handshakeMs.twoDecimals) ms handshake")
            // Init is billed for a custom runtime: connecting in init is paid too, once instead of N times.
            let saving = 0.5 * Double(n - 1) * handshakeMs
            transcript.claim(n > 1 && handshakeMs > 0
                             ? "Billed in total (Init included, as for a custom runtime), connecting in init saves at least half of the \(n - 1) handshakes it skips: ≥ \(saving.twoDecimals) ms"
                             : "Billed in total (Init included, as for a custom runtime), connecting in init saves at least half of the handshakes it skips",
                             unless: n == 1 ? "with --invocations 1 both pay one handshake: there is nothing to save" : noHandshake,
                             holds: Double(inHandler.billedTotalMs - inInit.billedTotalMs) >= saving,
                             evidence: "\(inInit.billedTotalMs) ms billed in init vs \(inHandler.billedTotalMs) ms in the handler: \(inHandler.billedTotalMs - inInit.billedTotalMs) ms saved")

            // 3. The database restarts while the environment is frozen: the kept connection is now dead.
            let before = forInit.connectionsAccepted
            try forInit.restart()
            var stale = try await FanOutStep.run(lab, name: "after database restart", target: "connect-in-init", count: 1, sequential: true)
            stale.databaseConnections = forInit.connectionsAccepted - before
            transcript.step(stale, "The database restarts while the environment is frozen. The kept socket is dead, and the function only learns it on its next query: the worker catches the failure, reconnects (paying the handshake once more) and answers.")
            transcript.show("  database connections accepted: \(forInit.connectionsAccepted - before) · billed in total: \(stale.billedTotalMs) ms")
            let call = stale.invocations.first
            transcript.claim("A kept connection can go stale: after the database restarted, the worker's query failed, it reconnected once and answered",
                             holds: call?.reconnected == true && forInit.connectionsAccepted - before == 1 && call?.functionError == nil,
                             evidence: "reconnected: \(call?.reconnected ?? false); new connections: \(forInit.connectionsAccepted - before); Duration \((call?.durationMs ?? 0).twoDecimals) ms")

            transcript.summary()
            transcript.say("Billed: \(inHandler.billedTotalMs) ms for connect-in-handler against \(inInit.billedTotalMs) ms for connect-in-init. For a custom runtime (provided.al2023) AWS bills the Init phase too, so the handshake in init is paid, but once per environment instead of once per invocation; since August 2025 the same holds for managed runtimes.")
        }
        transcript.recap()
        return Outcome(invocations: n, modeled: ModeledDatabase(dbHandshakeMs: handshakeMs, dbQueryMs: options.dbQueryMs),
                       steps: transcript.steps, claims: transcript.claims)
    }
}

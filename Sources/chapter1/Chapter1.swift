import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 1 — init outside the handler. The same worker executable, deployed twice: one opens its
/// database connection inside the handler, every time; the other opens it once, in init, and keeps
/// it while the environment is frozen between invocations.
enum Chapter1 {
    struct Options: Sendable {
        var invocations = 10
        var dbHandshakeMs = 40.0
        var dbQueryMs = 5.0

        static let usage = """
            usage: swift run chapter1 [--invocations N] [--db-handshake-ms MS] [--db-query-ms MS] [--json]

              --invocations N       invocations of each function, one after another, 1–100 (default 10)
              --db-handshake-ms MS  modeled database connection set-up (default 40)
              --db-query-ms MS      modeled round trip of one query (default 5)
              --svg PATH            also write a picture of the run (SVG) to PATH
              --json                print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["invocations", "db-handshake-ms", "db-query-ms"])
            invocations = try options.int("invocations", default: invocations, in: 1...100)
            (dbHandshakeMs, dbQueryMs) = try options.databaseLatency(handshakeMs: dbHandshakeMs, queryMs: dbQueryMs)
        }
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 1
        var invocations: Int
        var modeled: ModeledDatabase
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 1 · init outside the handler (\(invocations) invocations each)" }
    }

    static func run(_ options: Options) async throws -> Outcome {
        let n = options.invocations
        let database = StandInDatabase.Configuration(handshake: .milliseconds(options.dbHandshakeMs), queryLatency: .milliseconds(options.dbQueryMs))
        // One database per function, so each count is that function's alone.
        let forHandler = try StandInDatabase(configuration: database)
        let forInit = try StandInDatabase(configuration: database)
        defer { forHandler.stop(); forInit.stop() }
        let steps = try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(name: "connect-in-handler", database: forHandler, connect: .inHandler))
            try lab.deploy(WorkbookFunctions.worker(name: "connect-in-init", database: forInit, connect: .inInit))
            try lab.deploy(WorkbookFunctions.orchestrator())

            var inHandler = try await FanOutStep.run(lab, name: "connect in handler", target: "connect-in-handler", count: n, sequential: true)
            inHandler.databaseConnections = forHandler.connectionsAccepted
            var inInit = try await FanOutStep.run(lab, name: "connect in init", target: "connect-in-init", count: n, sequential: true)
            inInit.databaseConnections = forInit.connectionsAccepted

            // The database restarts while the environment is frozen: its kept connection is now dead.
            let before = forInit.connectionsAccepted
            try forInit.restart()
            var stale = try await FanOutStep.run(lab, name: "after database restart", target: "connect-in-init", count: 1, sequential: true)
            stale.databaseConnections = forInit.connectionsAccepted - before
            return [inHandler, inInit, stale]
        }
        let modeled = ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs)
        return Outcome(invocations: n, modeled: modeled, steps: steps, claims: claims(steps, n: n, handshakeMs: options.dbHandshakeMs))
    }

    static func claims(_ steps: [StepOutcome], n: Int, handshakeMs: Double) -> [Claim] {
        let (inHandler, inInit, stale) = (steps[0], steps[1], steps[2])
        let warm = inInit.invocations.filter { !$0.coldStart }
        let cold = inInit.invocations.first { $0.coldStart }
        // With no handshake there is nothing to pay, so "pays the handshake" would hold by itself.
        let noHandshake = handshakeMs == 0 ? "with --db-handshake-ms 0 there is no handshake to pay" : nil
        let saving = 0.5 * Double(n - 1) * handshakeMs
        return [
            Claim("Connecting in the handler opens a connection on every invocation: \(n) connection\(n == 1 ? "" : "s"), counted by the database",
                  holds: inHandler.databaseConnections == n,
                  evidence: "\(inHandler.databaseConnections ?? 0) connections accepted by the database"),
            Claim("…and every one of those invocations pays the handshake: every Duration ≥ the \(handshakeMs.twoDecimals) ms handshake", unless: noHandshake,
                  holds: inHandler.invocations.allSatisfy { $0.durationMs >= handshakeMs },
                  evidence: "shortest Duration \(inHandler.durations.min.twoDecimals) ms"),
            Claim("Connecting in init opens one connection, in the one Init phase",
                  holds: inInit.databaseConnections == 1 && inInit.coldStarts == 1,
                  evidence: "\(inInit.databaseConnections ?? 0) connection, \(inInit.coldStarts) cold start"),
            Claim("…and pays the handshake there: Init Duration ≥ the handshake", unless: noHandshake,
                  holds: (cold?.initDurationMs ?? 0) >= handshakeMs,
                  evidence: "Init Duration \((cold?.initDurationMs ?? 0).twoDecimals) ms"),
            Claim("Warm invocations that reuse the kept connection run well below the handshake: every warm Duration < half of it",
                  unless: n == 1 ? "with --invocations 1 there is no warm invocation" : noHandshake,
                  holds: !warm.isEmpty && warm.allSatisfy { $0.durationMs < handshakeMs / 2 },
                  evidence: "longest warm Duration \((warm.map(\.durationMs).max() ?? 0).twoDecimals) ms against a \(handshakeMs.twoDecimals) ms handshake"),
            Claim("A kept connection can go stale: after the database restarted, the worker's query failed, it reconnected once and answered",
                  holds: stale.invocations.first?.reconnected == true && stale.databaseConnections == 1 && stale.invocations.first?.functionError == nil,
                  evidence: "reconnected: \(stale.invocations.first?.reconnected ?? false); new connections: \(stale.databaseConnections ?? 0); Duration \((stale.invocations.first?.durationMs ?? 0).twoDecimals) ms"),
            Claim(n > 1 && handshakeMs > 0
                  ? "Billed in total (Init included, as for a custom runtime), connecting in init saves at least half of the \(n - 1) handshakes it skips: ≥ \(saving.twoDecimals) ms"
                  : "Billed in total (Init included, as for a custom runtime), connecting in init saves at least half of the handshakes it skips",
                  unless: n == 1 ? "with --invocations 1 both pay one handshake: there is nothing to save" : noHandshake,
                  holds: Double(inHandler.billedTotalMs - inInit.billedTotalMs) >= saving,
                  evidence: "\(inInit.billedTotalMs) ms billed in init vs \(inHandler.billedTotalMs) ms in the handler: \(inHandler.billedTotalMs - inInit.billedTotalMs) ms saved"),
        ]
    }
}

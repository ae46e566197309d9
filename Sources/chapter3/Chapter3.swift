import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 3 — concurrent fan-out, the article's experiment: an orchestrator function invokes a
/// worker N times at once. Each concurrent request needs its own execution environment, so the
/// first burst pays N cold starts; the next burst finds them all warm.
enum Chapter3 {
    struct Options: Sendable {
        /// N: how many invocations the orchestrator sends at once.
        var concurrency = 10
        /// Modeled network latency of the stand-in database (the one figure not measured).
        var dbHandshakeMs = 40.0
        var dbQueryMs = 5.0

        static let usage = """
            usage: swift run chapter3 [--concurrency N] [--db-handshake-ms MS] [--db-query-ms MS] [--json]

              --concurrency N       invocations the orchestrator sends at once, 1–100 (default 10)
              --db-handshake-ms MS  modeled database connection set-up, paid in the worker's init (default 40)
              --db-query-ms MS      modeled round trip of the worker's one query per invocation (default 5)
              --svg PATH            also write a picture of the run (SVG) to PATH
              --json                print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["concurrency", "db-handshake-ms", "db-query-ms"])
            concurrency = try options.int("concurrency", default: concurrency, in: 1...100)
            (dbHandshakeMs, dbQueryMs) = try options.databaseLatency(handshakeMs: dbHandshakeMs, queryMs: dbQueryMs)
        }
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 3
        var concurrency: Int
        var modeled: ModeledDatabase
        var steps: [StepOutcome]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 3 · concurrent fan-out (N = \(concurrency))" }
    }

    static func run(_ options: Options) async throws -> Outcome {
        let n = options.concurrency
        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                queryLatency: .milliseconds(options.dbQueryMs)))
        defer { database.stop() }
        let steps = try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())

            // 1. Nothing runs yet: every concurrent request needs a new environment.
            let cold = try await FanOutStep.run(lab, name: "cold burst", target: "worker", count: n)
            // 2. Right away again: the N environments are idle, so all N are reused.
            let warm = try await FanOutStep.run(lab, name: "warm burst", target: "worker", count: n)
            // 3. Twice as many: N find a warm environment, N more must start.
            let bigger = try await FanOutStep.run(lab, name: "bigger burst", target: "worker", count: 2 * n)
            // 4. A fresh deployment (its old environments are shut down), invoked one call at a time.
            try lab.deploy(WorkbookFunctions.worker(database: database))
            let sequential = try await FanOutStep.run(lab, name: "sequential", target: "worker", count: n, sequential: true)
            return [cold, warm, bigger, sequential]
        }
        let modeled = ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: options.dbQueryMs)
        return Outcome(concurrency: n, modeled: modeled, steps: steps, claims: claims(steps, n: n))
    }

    static func claims(_ steps: [StepOutcome], n: Int) -> [Claim] {
        let (cold, warm, bigger, sequential) = (steps[0], steps[1], steps[2], steps[3])
        var claims: [Claim] = [
            Claim("\(n) concurrent invocations start \(n) execution environments, each with a cold start (Init Duration in its REPORT)",
                  holds: cold.environments == n && cold.coldStarts == n && cold.invocations.allSatisfy { $0.initDurationMs != nil },
                  evidence: "cold burst: \(cold.environments) environments, \(cold.coldStarts) cold starts"),
            Claim("A second burst right after starts nothing: 0 cold starts, every request served by one of the \(n) environments already running",
                  holds: warm.coldStarts == 0 && warm.environmentIDs.isSubset(of: cold.environmentIDs),
                  evidence: "warm burst: \(warm.coldStarts) cold starts, \(warm.environments) environments, all from the cold burst: \(warm.environmentIDs.isSubset(of: cold.environmentIDs))"),
            Claim("A burst of \(2 * n) reuses the \(n) warm environments and cold-starts \(n) more",
                  holds: bigger.coldStarts == n && bigger.environments == 2 * n && cold.environmentIDs.isSubset(of: bigger.environmentIDs),
                  evidence: "bigger burst: \(bigger.environments) environments, \(bigger.coldStarts) cold starts, \(bigger.environmentIDs.intersection(cold.environmentIDs).count) reused"),
            Claim("\(n) invocations one after another need one environment and one cold start",
                  holds: sequential.environments == 1 && sequential.coldStarts == 1,
                  evidence: "sequential: \(sequential.environments) environment, \(sequential.coldStarts) cold start"),
            // A relation that holds whatever the handler's length: a cold call waits for its Init,
            // a warm one does not. (A ratio would not: with a 100 ms query both are mostly handler.)
            Claim("Cold starts are what make the first burst slow: its p50 latency exceeds the warm burst's by at least half an Init Duration (p50)",
                  holds: cold.latency.p50 - warm.latency.p50 >= 0.5 * cold.initDurations.p50,
                  evidence: "p50 \(cold.latency.p50.twoDecimals) ms cold vs \(warm.latency.p50.twoDecimals) ms warm: \((cold.latency.p50 - warm.latency.p50).twoDecimals) ms more; Init Duration p50 \(cold.initDurations.p50.twoDecimals) ms"),
        ]
        // The experiment is only the lesson if each burst really was concurrent: a burst the machine
        // spread out over time is reported as beyond the machine, not counted as a wrong lesson.
        let bursts = [cold, warm, bigger]
        claims.append(Claim(
            "Each burst reached the lab at once: every request was routed before the first call of its burst finished",
            holds: bursts.allSatisfy(\.arrivedAtOnce),
            evidence: bursts.map { "\($0.name): arrived within \($0.arrivalSpreadMs.twoDecimals) ms, first finish at \($0.firstFinishMs.twoDecimals) ms" }.joined(separator: "; ")))
        // The cold starts overlap: one after another they would take the sum of their Inits and
        // handlers; side by side the burst takes a fraction of that (on AWS, about one of them).
        let serial = cold.invocations.map { ($0.initDurationMs ?? 0) + $0.durationMs }.reduce(0, +)
        claims.append(Claim(
            "The \(n) cold starts ran side by side: the whole burst took less than 3/4 of its Inits and handlers one after another",
            unless: n < 2 ? "with --concurrency 1 there is nothing to overlap" : nil,
            holds: cold.wallMs < 0.75 * serial,
            evidence: "cold burst wall time \(cold.wallMs.twoDecimals) ms; Init + Duration summed over its \(n) calls \(serial.twoDecimals) ms"))
        return claims
    }
}

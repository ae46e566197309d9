import Contracts
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 6 — what provisioned concurrency costs. Traffic arrives at a steady rate, once on demand
/// and once on P provisioned environments (measured: cold starts, spillover, latency); then an hour
/// of that traffic is priced both ways with AWS's published prices (modeled), with the utilization
/// at which provisioned concurrency starts to cost less.
enum Chapter6 {
    struct Options: Sendable {
        /// Calls per second, sent at a steady rate.
        var rate = 20
        /// The handler's duration: a modeled database query of this many ms (modeled: the
        /// laptop has no database on another host).
        var durationMs = 100
        /// How long each measured step sends at that rate.
        var seconds = 3
        /// nil: enough for the rate at 70 % utilization, AWS's usual auto-scaling target.
        var provisioned: Int?
        var memoryMB = 128
        var architecture = Cost.Architecture.x86_64
        /// Modeled: how often an environment is replaced, so Init runs again (AWS: "every few hours").
        var recycleHours = 2.0
        var dbHandshakeMs = 40.0

        static let usage = """
            usage: swift run chapter6 [--rate R] [--duration-ms MS] [--seconds S] [--provisioned P] [--memory MB] [--architecture A] [--recycle-hours H] [--json]

              --rate R             calls per second, sent at a steady rate, 1–200 (default 20)
              --duration-ms MS     each call's handler time (a modeled database query), 1–2000 (default 100)
              --seconds S          how long each measured step sends, 1–10 (default 3; R × S ≤ 1000)
              --provisioned P      provisioned concurrency, 1–100 (default: the rate's concurrency at 70 % utilization)
              --memory MB          the function's memory size for the prices, 128–10240 (default 128)
              --architecture A     x86_64 or arm64, for the prices (default x86_64)
              --recycle-hours H    modeled: hours between Inits of one environment, 0.5–24 (default 2)
              --svg PATH           also write a picture of the run (SVG) to PATH
              --json               print only the Outcome, as one JSON object
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["rate", "duration-ms", "seconds", "provisioned", "memory", "architecture", "recycle-hours"])
            rate = try options.int("rate", default: rate, in: 1...200)
            durationMs = try options.int("duration-ms", default: durationMs, in: 1...2_000)
            seconds = try options.int("seconds", default: seconds, in: 1...10)
            guard rate * seconds <= 1_000 else {
                throw WorkbookError.invalidOption("--rate × --seconds must be at most 1000 calls per step, got \(rate * seconds)")
            }
            provisioned = try options.int("provisioned", default: 0, in: 0...100)
            if provisioned == 0 { provisioned = nil }
            memoryMB = try options.int("memory", default: memoryMB, in: 128...10_240)
            let architectureName = options.string("architecture") ?? architecture.rawValue
            guard let chosen = Cost.Architecture(rawValue: architectureName) else {
                throw WorkbookError.invalidOption("--architecture must be x86_64 or arm64, got '\(architectureName)'")
            }
            architecture = chosen
            recycleHours = try options.number("recycle-hours", default: recycleHours, in: 0.5...24)
        }

        /// Calls in flight on average at this rate, and P for 70 % utilization of them.
        var concurrency: Double { Double(rate) * Double(durationMs) / 1_000 }
        var provisionedOrDefault: Int { provisioned ?? max(1, Int((concurrency / 0.7).rounded(.up))) }
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 6
        /// The options: calls per second, each call's modeled query, seconds per step, P.
        var rate: Int
        var durationMs: Int
        var seconds: Int
        var provisioned: Int
        var modeled: ModeledDatabase
        /// Measured: on demand, then provisioned.
        var steps: [StepOutcome]
        /// Spillover calls of the provisioned step (ran on demand, all P busy).
        var spillover: Int
        /// Modeled from here on: the prices, one hour priced both ways, the break-even.
        var prices: Cost
        var source = Cost.source
        var hour: Hour
        var onDemandPerHourUSD: Double
        var provisionedPerHourUSD: Double
        /// Prices alone: capacity ÷ (on-demand − provisioned duration price).
        var breakEvenUtilization: Double
        /// With this hour's Inits (cold starts on demand, recycled provisioned environments).
        var breakEvenUtilizationWithInits: Double
        var sweep: [SweepPoint]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 6 · what provisioned concurrency costs (\(rate) calls/s × \(durationMs) ms, P = \(provisioned))" }
        func picture() -> String { Chapter6.picture(self) }
    }

    /// The hour priced at one utilization of the same P.
    struct SweepPoint: Codable, Sendable, Equatable {
        var utilization: Double
        var requestsPerSecond: Double
        var onDemandUSD: Double
        var provisionedUSD: Double
    }

    static func run(_ options: Options) async throws -> Outcome {
        let p = options.provisionedOrDefault
        let interval = 1_000 / Double(options.rate), count = options.rate * options.seconds
        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs), queryLatency: .zero))
        defer { database.stop() }
        let payload = WorkerEvent(key: "report", queryMs: options.durationMs)
        let steps = try await Lab.with { lab in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: database))
            try lab.deploy(WorkbookFunctions.orchestrator())
            // 1. On demand: the function as deployed, unqualified.
            let onDemand = try await FanOutStep.run(lab, name: "on demand", target: "worker", count: count, payload: payload,
                                                    calling: .init(intervalMs: interval))
            // 2. The same code as a version behind an alias with P provisioned environments, READY first.
            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            _ = try lab.putProvisionedConcurrency("worker", qualifier: "live", executions: p)
            _ = try await lab.waitForProvisionedConcurrency("worker", qualifier: "live")
            let provisioned = try await FanOutStep.run(lab, name: "provisioned", target: "worker", qualifier: "live", count: count,
                                                       payload: payload, calling: .init(intervalMs: interval))
            return [onDemand, provisioned]
        }
        let prices = options.architecture == .arm64 ? Cost.arm64 : Cost.x86_64
        // Measured in the on-demand step: a warm call's Billed Duration (the query plus the
        // handler's own time, rounded up), the Init a cold start bills, and the pool it kept.
        let onDemand = steps[0]
        let warmBilled = onDemand.invocations.filter { !$0.coldStart }.map(\.billedDurationMs).sorted()
        let billedMs = warmBilled.isEmpty ? options.durationMs : warmBilled[(warmBilled.count - 1) / 2]
        let hour = Hour(requestsPerSecond: Double(options.rate), billedMs: billedMs, memoryMB: options.memoryMB,
                        provisioned: p, initMs: onDemand.initDurations.p50, onDemandEnvironments: onDemand.environments,
                        recycleHours: options.recycleHours)
        let sweep = stride(from: 0.1, through: 1.0001, by: 0.1).map { utilization in
            let at = hour.at(utilization: utilization)
            return SweepPoint(utilization: utilization, requestsPerSecond: at.requestsPerSecond,
                              onDemandUSD: at.onDemandUSD(prices), provisionedUSD: at.provisionedUSD(prices))
        }
        return Outcome(rate: options.rate, durationMs: options.durationMs, seconds: options.seconds, provisioned: p,
                       modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: Double(options.durationMs)),
                       steps: steps, spillover: steps[1].invocations.filter(\.spillover).count, prices: prices, hour: hour,
                       onDemandPerHourUSD: hour.onDemandUSD(prices), provisionedPerHourUSD: hour.provisionedUSD(prices),
                       breakEvenUtilization: prices.breakEvenUtilization, breakEvenUtilizationWithInits: hour.breakEvenUtilization(prices),
                       sweep: sweep, claims: claims(steps, p: p, options: options))
    }

    static func claims(_ steps: [StepOutcome], p: Int, options: Options) -> [Claim] {
        let (onDemand, provisioned) = (steps[0], steps[1])
        let calls = onDemand.invocations.count
        let spilled = provisioned.invocations.filter(\.spillover)
        let onProvisioned = provisioned.invocations.filter(\.isProvisioned)
        return [
            Claim("On demand at a steady \(options.rate) calls/s, cold starts only fill the pool: at least the first call, at most a quarter of the \(calls) calls",
                  holds: onDemand.coldStarts >= 1 && onDemand.coldStarts * 4 <= calls,
                  evidence: "on demand: \(onDemand.coldStarts) cold starts in \(calls) calls, \(onDemand.environments) environments"),
            Claim("On \(p) provisioned environments, no call that found one free paid an Init: every cold start is a spillover call",
                  holds: onProvisioned.allSatisfy { !$0.coldStart && $0.initDurationMs == nil }
                      && provisioned.invocations.filter(\.coldStart).allSatisfy(\.spillover),
                  evidence: "provisioned: \(onProvisioned.count) calls on provisioned environments, \(spilled.count) spillover, \(provisioned.coldStarts) cold starts"),
            Claim("The same traffic had fewer cold starts on provisioned concurrency than on demand",
                  holds: provisioned.coldStarts < onDemand.coldStarts,
                  evidence: "\(provisioned.coldStarts) on provisioned vs \(onDemand.coldStarts) on demand"),
        ]
    }
}

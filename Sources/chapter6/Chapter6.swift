import Contracts
import Foundation
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Chapter 6 — what provisioned concurrency costs. The fan-out of chapters 3 and 4 at once, on
/// demand and on N provisioned environments; then steady traffic, on demand and on P provisioned
/// environments (measured: cold starts, spillover, Billed Durations). Then the money, modeled
/// with AWS's published prices: the bursts an hour at which provisioning for N pays, and the
/// utilization at which provisioned concurrency costs less than on demand.
enum Chapter6: Chapter {
    /// The architecture whose prices are used (the lab runs on this machine either way).
    enum Architecture: String, CaseIterable, Sendable {
        case x86_64, arm64
        var prices: Cost { self == .arm64 ? .arm64 : .x86_64 }
    }

    struct Options: ChapterOptions {
        var fanOut = 10
        var rate = 20
        /// Each call's handler: a modeled database query of this many ms.
        var durationMs = 100
        var seconds = 3
        /// nil: the calls in flight at 70 % utilization, the target of AWS's example.
        var provisioned: Int?
        var memoryMB = 128
        var architecture = Architecture.x86_64
        /// Modeled: how often an environment is replaced, so Init runs again (AWS: "every few hours").
        var recycleHours = 2.0
        var dbHandshakeMs = 40.0

        static let command = Command<Options>("chapter6", [
            .int("fan-out", \.fanOut, in: 1...50, "the fan-out: N calls at once, on demand and on N provisioned environments"),
            .int("rate", \.rate, in: 1...200, placeholder: "R", "steady traffic: calls per second"),
            .int("duration-ms", \.durationMs, in: 1...2_000, placeholder: "MS", "each call's handler time, a modeled database query"),
            .int("seconds", \.seconds, in: 1...10, placeholder: "S", "how long each steady step sends (R × S ≤ 1000)"),
            .int("provisioned", \.provisioned, in: 1...100, placeholder: "P", "provisioned concurrency for the steady traffic",
                 otherwise: "calls in flight ÷ 0.7, for the 70 % utilization target of AWS's example"),
            .int("memory", \.memoryMB, in: 128...10_240, placeholder: "MB", "the function's memory size, for the prices"),
            .choice("architecture", \.architecture, placeholder: "A", "the prices' architecture"),
            .number("recycle-hours", \.recycleHours, in: 0.5...24, placeholder: "H", "modeled: hours between two Inits of one environment"),
            .milliseconds("db-handshake-ms", \.dbHandshakeMs, in: 0...10_000, "modeled database connection set-up, paid in the worker's init"),
        ])

        func validate() throws {
            guard rate * seconds <= 1_000 else {
                throw WorkbookError.invalidOption("--rate × --seconds must be at most 1000 calls per step, got \(rate * seconds)")
            }
        }

        /// Calls in flight on average at this rate, and P for 70 % utilization of them.
        var concurrency: Double { Double(rate) * Double(durationMs) / 1_000 }
        var provisionedOrDefault: Int { provisioned ?? max(1, Int((concurrency / 0.7).rounded(.up))) }
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 6
        var fanOut: Int
        /// Steady traffic: calls per second, each call's modeled query, seconds per step, P.
        var rate: Int
        var durationMs: Int
        var seconds: Int
        var provisioned: Int
        var modeled: ModeledDatabase
        /// Measured: the fan-out cold and provisioned, then steady traffic on demand and provisioned.
        var steps: [StepOutcome]
        /// The steady provisioned step's spillover, worked out from the records and as counted.
        var spillover: SpilloverCheck
        /// Modeled from here on: the prices, the fan-out's bursts, an hour of steady traffic.
        var prices: Cost
        var source = Cost.source
        var burst: BurstCost
        var hour: Hour
        var onDemandPerHourUSD: Double
        var provisionedPerHourUSD: Double
        /// Prices alone: capacity ÷ (on-demand − provisioned duration price).
        var breakEvenUtilization: Double
        /// With this hour's Inits (cold starts on demand, recycled provisioned environments).
        var breakEvenUtilizationWithInits: Double
        var sweep: [SweepPoint]
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 6 · what provisioned concurrency costs (fan-out \(fanOut); \(rate) calls/s × \(durationMs) ms, P = \(provisioned))" }
        func picture() -> String { Chapter6.picture(self) }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let (n, p, rate) = (options.fanOut, options.provisionedOrDefault, options.rate)
        let prices = options.architecture.prices, memory = options.memoryMB
        transcript.title(6, "what provisioned concurrency costs", question: "What does the article's fix cost — for the fan-out's bursts, and for steady traffic?")
        transcript.say("Setup: chapter 4 removed the fan-out's cold starts with provisioned concurrency, the article's fix. Here is its bill. Provisioned environments are billed for every hour they are kept, busy or not; on demand bills only the calls, Inits included. Measured in this run: the fan-out of \(n) at once, on demand and on \(n) provisioned environments; then steady traffic, \(rate) calls/s for \(options.seconds) s, on demand and on \(p) provisioned environments. Every call runs a \(options.durationMs) ms database query (modeled). The money is modeled: AWS's published prices (us-east-1, \(prices.architecture.rawValue), \(memory) MB) applied to this run's Billed Durations.")

        let database = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs), queryLatency: .zero))
        defer { database.stop() }
        let payload = WorkerEvent(key: "report", queryMs: options.durationMs)
        let interval = 1_000 / Double(rate), count = rate * options.seconds
        let (burst, hour, spillover, coldStartsOnDemand) = try await Lab.with { lab -> (BurstCost, Hour, SpilloverCheck, Int) in
            try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.orchestrator())

            // The fan-out, on a function of its own: N at once on demand, then through an alias
            // with N provisioned environments, READY first.
            transcript.show("The fan-out\n───────────")
            try lab.deploy(WorkbookFunctions.worker(name: "fan-out-worker", database: database))
            let cold = try await FanOutStep.run(lab, name: "cold fan-out", target: "fan-out-worker", count: n, payload: payload)
            transcript.step(cold, "The orchestrator invokes the worker \(n) times at once, on demand. No environment exists yet: expect \(n) cold starts, each billing its Init with its call.", logs: false, burst: true)
            try lab.publishVersion("fan-out-worker")
            _ = try lab.createAlias("fan-out-worker", name: "live", version: "1")
            _ = try lab.putProvisionedConcurrency("fan-out-worker", qualifier: "live", executions: n)
            _ = try await lab.waitForProvisionedConcurrency("fan-out-worker", qualifier: "live")
            let provisionedBurst = try await FanOutStep.run(lab, name: "provisioned fan-out", target: "fan-out-worker", qualifier: "live", count: n, payload: payload)
            transcript.step(provisionedBurst, "The same \(n) calls through the alias `live`, with \(n) provisioned environments READY: expect 0 cold starts, each call billed at provisioned concurrency's lower duration price.", logs: false, burst: true)
            transcript.claim("The fan-out of \(n) paid \(n) Inits on demand and none on \(n) provisioned environments",
                             unless: cold.arrivedAtOnce ? nil : "beyond this machine: the cold burst reached the lab over \(cold.arrivalSpreadMs.twoDecimals) ms and its first call ended at \(cold.firstFinishMs.twoDecimals) ms",
                             holds: cold.coldStarts == n && provisionedBurst.coldStarts == 0 && provisionedBurst.invocations.allSatisfy(\.isProvisioned),
                             evidence: "cold fan-out: \(cold.coldStarts) cold starts, \(cold.billedTotalMs) ms billed; provisioned fan-out: \(provisionedBurst.coldStarts) cold starts, \(provisionedBurst.invocations.filter(\.isProvisioned).count) calls on provisioned environments, \(provisionedBurst.billedTotalMs) ms billed")

            let burst = BurstCost(fanOut: n, cold: cold, provisioned: provisionedBurst, handshakeMs: options.dbHandshakeMs, memoryMB: memory, prices: prices)
            transcript.say("What one burst costs (modeled): on demand, every environment cold, $\(Narrative.dollars(burst.coldUSD)) — \(n) requests and \(burst.coldBilledMs) ms billed, Inits included. On \(n) provisioned environments, $\(Narrative.dollars(burst.provisionedUSD)) — \(burst.provisionedBilledMs) ms at the provisioned duration price — plus the capacity: $\(Narrative.dollars(burst.capacityPerHourUSD)) an hour, $\(Narrative.dollars(burst.capacityPerHourUSD * 730)) a 730-hour month, whether a burst comes or not.", indent: "  ")
            transcript.show(burst.table())
            let breakEven = burst.breakEvenBurstsPerHour.map { String(format: "%.0f bursts an hour (one every %.1f s)", $0, 3_600 / $0) } ?? "no burst rate"
            let onAWS = burst.breakEvenBurstsPerHourWithAWSInit.map { String(format: "%.0f an hour", $0) } ?? "never"
            transcript.say("Provisioned for N costs less only above \(breakEven) with this run's Inits (p50 \(burst.labInitMs.twoDecimals) ms), or \(onAWS) had each Init taken \(String(format: "%.0f", burst.awsInitMs)) ms — a hello-world Swift function's Init on AWS (\(String(format: "%.0f", BurstCost.swiftHelloWorldInitMs)) ms, maxday/lambda-perf) plus the modeled \(options.dbHandshakeMs.twoDecimals) ms handshake. But on demand pays those Inits only when a burst finds no warm environment: a burst that comes while the last one's environments are still kept idle pays none (AWS publishes no idle lifetime: chapters/aws-facts.md#idle-reaping). For a bursty fan-out, provisioned concurrency buys latency, not savings. It saves money only where its environments are kept busy: steady traffic.", indent: "  ")

            // Steady traffic, on a fresh worker: on demand, then the same code as version 1
            // behind an alias with P provisioned environments.
            transcript.show("Steady traffic\n──────────────")
            try lab.deploy(WorkbookFunctions.worker(database: database))
            let onDemand = try await FanOutStep.run(lab, name: "on demand", target: "worker", count: count, payload: payload,
                                                    calling: .init(intervalMs: interval))
            transcript.step(onDemand, "\(rate) calls/s for \(options.seconds) s, on demand: about \(String(format: "%.1f", options.concurrency)) calls in flight on average (rate × duration). The first call is a cold start; each later one finds an environment an earlier call has left, unless all are busy. Expect a few cold starts while the pool grows to the calls in flight, then none.", logs: false)
            let arrivals = onDemand.invocations.filter(\.coldStart).map(\.receivedAtMs).sorted()
            transcript.say("Cold starts arrived at \(arrivals.prefix(8).map { $0.twoDecimals + " ms" }.joined(separator: ", "))\(arrivals.count > 8 ? " and \(arrivals.count - 8) more" : "") after the step's first call, of \(onDemand.invocations.count) calls over \(onDemand.wallMs.twoDecimals) ms.", indent: "  ")
            // A new environment starts only when every existing one is busy, and a call holds
            // its environment from arrival to end: the pool can grow to the calls in flight, no more.
            let peak = peakInFlight(onDemand)
            let average = Double(rate) * (onDemand.durations.p50 + onDemand.initDurations.p50) / 1_000
            transcript.claim("On demand at a steady \(rate) calls/s, cold starts only fill the pool: at least 1, and no more than the most calls in flight at once (\(peak), from each call's arrival and end)",
                             holds: onDemand.coldStarts >= 1 && onDemand.coldStarts <= peak,
                             evidence: "on demand: \(onDemand.coldStarts) cold starts in \(onDemand.invocations.count) calls, \(onDemand.environments) environments; at most \(peak) calls in flight; rate × (Duration p50 + Init Duration p50) = \(String(format: "%.2f", average))")

            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            _ = try lab.putProvisionedConcurrency("worker", qualifier: "live", executions: p)
            _ = try await lab.waitForProvisionedConcurrency("worker", qualifier: "live")
            let provisioned = try await FanOutStep.run(lab, name: "provisioned", target: "worker", qualifier: "live", count: count,
                                                       payload: payload, calling: .init(intervalMs: interval))
            transcript.step(provisioned, "The same traffic through the alias `live`, version 1, with \(p) provisioned environments READY before the first call\(options.provisioned == nil ? " (P = the calls in flight ÷ 0.7, the 70 % utilization target of AWS's example)" : ""). A call spills over to on demand, with a cold start, only when all \(p) are busy: expect none, unless more than \(p) calls are in flight at once.", logs: false)
            let spillover = spilloverCheck(provisioned, provisioned: p)
            transcript.claim("Spillover is exactly the calls that arrived while all \(p) provisioned environments were busy",
                             holds: spillover.holds,
                             evidence: "from each call's arrival and end: \(spillover.mustSpill) arrived with \(p) provisioned calls in flight\(spillover.borderline > 0 ? " (\(spillover.borderline) within \(spillover.marginMs.twoDecimals) ms of one's end: either way)" : ""); counted as spillover: \(spillover.counted); \(provisioned.coldStarts) cold starts")
            transcript.summary()

            // Measured in the on-demand step: a warm call's Billed Duration (the query plus the
            // handler's own time, rounded up), the Init a cold start bills, and the pool it kept.
            let warmBilled = onDemand.invocations.filter { !$0.coldStart }.map(\.billedDurationMs).sorted()
            let hour = Hour(requestsPerSecond: Double(rate), billedMs: warmBilled.isEmpty ? options.durationMs : warmBilled[(warmBilled.count - 1) / 2],
                            memoryMB: memory, provisioned: p, initMs: onDemand.initDurations.p50, onDemandEnvironments: onDemand.environments,
                            recycleHours: options.recycleHours)
            return (burst, hour, spillover, onDemand.coldStarts)
        }

        let (onDemandUSD, provisionedUSD) = (hour.onDemandUSD(prices), hour.provisionedUSD(prices))
        let breakEvenWithInits = hour.breakEvenUtilization(prices)
        let sweep = Chapter6.sweep(hour, prices)
        transcript.show("One hour of this traffic on AWS (modeled, \(prices.architecture.rawValue), \(memory) MB)\n" + String(repeating: "─", count: 58))
        transcript.show(hourTable(hour, onDemandUSD: onDemandUSD, provisionedUSD: provisionedUSD))
        let verdict = switch Cheaper(onDemandUSD, provisionedUSD) {
        case .equal: "both cost the same"
        case .provisioned: "provisioned concurrency costs less ($\(Narrative.dollars(onDemandUSD - provisionedUSD)) an hour)"
        case .onDemand: "on demand costs less ($\(Narrative.dollars(provisionedUSD - onDemandUSD)) an hour)"
        }
        transcript.say("At \(rate) calls/s the \(p) provisioned environments are busy \(percent(hour.utilization)) of the time, so \(verdict). The break-even utilization is \(percent(prices.breakEvenUtilization, digits: 2)) from the prices alone (the capacity price per GB-s ÷ the duration price it saves: $\(price(prices.provisionedCapacityPerGBSecond)) ÷ ($\(price(prices.onDemandPerGBSecond)) − $\(price(prices.provisionedDurationPerGBSecond)))), and \(percent(breakEvenWithInits, digits: 2)) once this hour's Inits are counted. Below it, capacity sits idle and costs more than it saves; above it, provisioned concurrency is both faster and cheaper.")
        transcript.show("  The same \(p) environments at other rates (modeled):\n" + sweepTable(sweep))
        transcript.say("Cold starts: measured, on demand paid \(coldStartsOnDemand) while its pool filled. Modeled, steady traffic on demand then pays a cold start only when an environment is replaced: at one replacement every \(hoursText(hour.recycleHours)) h for the \(hour.onDemandEnvironments) environments the run kept, \(String(format: "%.1f", hour.onDemandColdStarts)) an hour, of \(Int(hour.requests)) calls. AWS reports cold starts on fewer than 1 % of invocations in production (chapters/aws-facts.md#freeze-thaw-and-reuse). At a steady rate provisioned concurrency buys little latency; it buys money only above break-even utilization.")
        transcript.say("Prices: \(Cost.source). Modeled parameters: the query time (\(options.durationMs) ms); how often an environment is replaced (\(hoursText(hour.recycleHours)) h — AWS says it recycles environments every few hours and publishes no figure); and, an assumption, that a recycled provisioned environment's Init is billed at the on-demand duration price — AWS says that Init is billed, not at which rate.")
        transcript.recap()
        return Outcome(fanOut: n, rate: rate, durationMs: options.durationMs, seconds: options.seconds, provisioned: p,
                       modeled: ModeledDatabase(dbHandshakeMs: options.dbHandshakeMs, dbQueryMs: Double(options.durationMs)),
                       steps: transcript.steps, spillover: spillover, prices: prices, burst: burst, hour: hour,
                       onDemandPerHourUSD: onDemandUSD, provisionedPerHourUSD: provisionedUSD,
                       breakEvenUtilization: prices.breakEvenUtilization, breakEvenUtilizationWithInits: breakEvenWithInits,
                       sweep: sweep, claims: transcript.claims)
    }

    /// "2" for 2.0 hours, "0.5" for half an hour.
    static func hoursText(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}

import Foundation
import LabTestSupport
import Testing
import Workbook
@testable import chapter6

/// Chapter 6: the hour's arithmetic against cases computed by hand, and the claims on one small run.
@Suite("Chapter 6: what provisioned concurrency costs", .serialized, .timeLimit(.minutes(10)))
struct Chapter6Tests {
    /// 20 calls/s × 100 ms at 128 MB on 3 provisioned environments; Init 50 ms; on demand kept 2
    /// environments; each replaced every 2 h.
    static let hour = Chapter6.Hour(requestsPerSecond: 20, billedMs: 100, memoryMB: 128, provisioned: 3, initMs: 50,
                                    onDemandEnvironments: 2, recycleHours: 2)

    @Test("an hour on demand: 72,000 requests + 0.125 GB × (7,200 s + one 50 ms Init) at the on-demand price")
    func onDemandHour() {
        // 72,000 × $0.0000002 = $0.0144; 0.125 × 7,200.05 s = 900.00625 GB-s × $0.0000166667 = $0.015000134…
        #expect(abs(Self.hour.onDemandUSD(.x86_64) - 0.029400134166875) < 1e-12)
        #expect(abs(Self.hour.concurrency - 2) < 1e-12)
        #expect(Self.hour.onDemandColdStarts == 1)
    }

    @Test("an hour on 3 provisioned environments: capacity + requests + duration at its price + 1.5 recycled Inits")
    func provisionedHour() {
        // capacity 3 × 0.125 × 3,600 = 1,350 GB-s × $0.0000041667 = $0.005625045; requests $0.0144;
        // 900 GB-s × $0.0000097222 = $0.00874998; 1.5 × 50 ms × 0.125 GB at $0.0000166667.
        #expect(abs(Self.hour.provisionedUSD(.x86_64) - 0.028775181250312504) < 1e-12)
        #expect(abs(Self.hour.utilization - 2.0 / 3) < 1e-12)
    }

    @Test("beyond P the excess spills over: with P = 1 half the calls are billed at on-demand prices")
    func spilloverHour() {
        var hour = Self.hour
        hour.provisioned = 1
        #expect(abs(hour.provisionedUSD(.x86_64) - 0.028150072083437498) < 1e-12)
    }

    @Test("break-even: 60 % from the prices; with the Inits, the utilization at which both hours cost the same")
    func breakEven() {
        let breakEven = Self.hour.breakEvenUtilization(.x86_64)
        #expect(abs(breakEven - 0.6000055555222225) < 1e-12)
        let there = Self.hour.at(utilization: breakEven)
        #expect(abs(there.onDemandUSD(.x86_64) - there.provisionedUSD(.x86_64)) < 1e-12)
        #expect(Self.hour.at(utilization: 0.5).onDemandUSD(.x86_64) < Self.hour.at(utilization: 0.5).provisionedUSD(.x86_64))
        #expect(Self.hour.at(utilization: 0.7).onDemandUSD(.x86_64) > Self.hour.at(utilization: 0.7).provisionedUSD(.x86_64))
    }

    /// A cold burst of 4 that billed 4 × (50 ms Init + 100 ms) and the same 4 on provisioned
    /// environments at 100 ms each, at 128 MB: the fan-out's case, figure by figure.
    static func burst(initMs: Double = 50) -> Chapter6.BurstCost {
        let cold = Self.step("cold fan-out", calls: 4, initMs: initMs, durationMs: 100)
        let provisioned = Self.step("provisioned fan-out", calls: 4, initMs: nil, durationMs: 100)
        return Chapter6.BurstCost(fanOut: 4, cold: cold, provisioned: provisioned, handshakeMs: 40, memoryMB: 128, prices: .x86_64)
    }

    /// A step of `calls` calls, each billing ⌈Init + Duration⌉ ms, from invocations decoded from JSON.
    static func step(_ name: String, calls: Int, initMs: Double?, durationMs: Double) -> StepOutcome {
        let invocations = (0..<calls).map { index in
            InvocationSummary.sample(id: "\(name)-\(index)", initMs: initMs, durationMs: durationMs)
        }
        return StepOutcome(name: name, invocations: invocations, wallMs: 0)
    }

    @Test("the fan-out's case: a cold burst, a provisioned one, N environments for an hour, and the bursts an hour at which they cost the same")
    func burstCost() throws {
        let burst = Self.burst()
        #expect(burst.coldBilledMs == 600 && burst.provisionedBilledMs == 400)
        // 4 requests at $0.20 per million + 0.125 GB × 0.6 s × $0.0000166667
        #expect(abs(burst.coldUSD - (0.0000008 + 0.125 * 0.6 * 0.0000166667)) < 1e-15)
        // 4 requests + 0.125 GB × 0.4 s × $0.0000097222
        #expect(abs(burst.provisionedUSD - (0.0000008 + 0.125 * 0.4 * 0.0000097222)) < 1e-15)
        // 4 environments × 0.125 GB × 3,600 s × $0.0000041667
        #expect(abs(burst.capacityPerHourUSD - 0.00750006) < 1e-12)
        let breakEven = try #require(burst.breakEvenBurstsPerHour)
        let month = burst.monthly(burstsPerHour: breakEven)
        #expect(abs(month.onDemand - month.provisioned) < 1e-9)
        // Like with like: AWS's hello-world Swift Init (126 ms) plus the same 40 ms handshake, 116 ms
        // more per cold start than this 50 ms Init: more to save per burst, so a lower break-even.
        #expect(burst.awsInitMs == 166)
        let onAWS = try #require(burst.breakEvenBurstsPerHourWithAWSInit)
        let coldOnAWS = 0.0000008 + 0.125 * (0.6 + 4 * 0.116) * 0.0000166667
        #expect(abs(onAWS - burst.capacityPerHourUSD / (coldOnAWS - burst.provisionedUSD)) < 1e-6)
        #expect(onAWS < breakEven)
        #expect(Chapter6.Cheaper(month.onDemand, month.provisioned) == .equal)
    }

    @Test("at the break-even the sweep says equal, not cheaper")
    func equalAtBreakEven() throws {
        let sweep = Chapter6.sweep(Self.hour, .x86_64)
        let atSixty = try #require(sweep.first { abs($0.utilization - 0.6) < 1e-9 })
        #expect(Chapter6.Cheaper(atSixty.onDemandUSD, atSixty.provisionedUSD) == .equal)
        #expect(Chapter6.sweepTable(sweep).contains("equal"))
        #expect(Chapter6.Cheaper(1, 2) == .onDemand && Chapter6.Cheaper(2, 1) == .provisioned)
    }

    @Test("--rate × --seconds over 1000, an unknown architecture and a bad rate are refused in one line")
    func badOptions() {
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--rate", "200", "--seconds", "6"]) }
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--architecture", "sparc"]) }
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--rate", "0"]) }
        #expect((try? Chapter6.Options(arguments: ["--rate", "10", "--duration-ms", "50"]))?.provisionedOrDefault == 1)
        #expect((try? Chapter6.Options(arguments: ["--architecture", "arm64"]))?.architecture.prices == .arm64)
    }

    /// Fan-out 3; then 10 calls/s × 60 ms for 2 s on 3 environments: 0.6 calls in flight, so the
    /// provisioned step has wide room before it could spill over, even on a busy machine.
    static let outcome = Task {
        var options = Chapter6.Options()
        options.fanOut = 3
        options.rate = 10
        options.durationMs = 60
        options.seconds = 2
        options.provisioned = 3
        return try await exclusively { try await Chapter6.run(options) }
    }

    @Test("the run: a fan-out of 3 cold then provisioned; 20 steady calls each step; every claim held")
    func run() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.steps.map(\.name) == ["cold fan-out", "provisioned fan-out", "on demand", "provisioned"])
        #expect(outcome.steps.map(\.invocations.count) == [3, 3, 20, 20])
        #expect(outcome.step("cold fan-out").coldStarts == 3)
        #expect(outcome.step("provisioned fan-out").invocations.allSatisfy { $0.isProvisioned && $0.initDurationMs == nil })
        #expect(outcome.step("on demand").coldStarts >= 1)
        #expect(outcome.step("provisioned").invocations.filter(\.isProvisioned).allSatisfy { $0.initDurationMs == nil })
        #expect(outcome.claims.count == 3)
        let notHeld = outcome.claims.filter { !$0.holds }.map(\.evidence)
        #expect(notHeld.isEmpty, "\(notHeld)")
        // The money priced from the run's own figures.
        #expect(outcome.burst.coldBilledMs == outcome.step("cold fan-out").billedTotalMs)
        #expect(outcome.burst.provisionedBilledMs == outcome.step("provisioned fan-out").billedTotalMs)
        #expect(outcome.hour.billedMs >= 60)
        #expect(outcome.sweep.count == 10)
        #expect(outcome.onDemandPerHourUSD == outcome.hour.onDemandUSD(outcome.prices))
        try PictureInspection.check(outcome.picture(), steps: outcome.steps)
    }

    @Test("the spillover check finds, from arrivals and ends alone, a call that arrived while all P were busy")
    func spilloverCheck() {
        // P = 1: call a runs 0–50 ms on the provisioned environment; b arrives at 10 ms (a busy:
        // must spill), c at 60 ms (a done: must not).
        let a = InvocationSummary.sample(id: "a", initMs: nil, durationMs: 50, receivedAtMs: 0, provisioned: true)
        var b = InvocationSummary.sample(id: "b", initMs: 40, durationMs: 50, receivedAtMs: 10)
        b.spillover = true
        let c = InvocationSummary.sample(id: "c", initMs: nil, durationMs: 50, receivedAtMs: 60, provisioned: true)
        let right = Chapter6.spilloverCheck(StepOutcome(name: "provisioned", invocations: [a, b, c], wallMs: 0), provisioned: 1)
        #expect(right.holds && right.mustSpill == 1 && right.counted == 1)
        // The same calls with the spillover mark on c instead of b: both errors are found.
        b.spillover = false
        var wrong = c
        wrong.spillover = true
        let check = Chapter6.spilloverCheck(StepOutcome(name: "provisioned", invocations: [a, b, wrong], wallMs: 0), provisioned: 1)
        #expect(!check.holds && check.missed == 1 && check.countedWhileFree == 1)
    }
}

extension InvocationSummary {
    /// An invocation as a step would report it, built from its JSON form.
    static func sample(id: String, initMs: Double?, durationMs: Double, receivedAtMs: Double = 0, provisioned: Bool = false) -> InvocationSummary {
        let start = receivedAtMs + (initMs ?? 0)
        var json: [String: Any] = [
            "requestID": id, "environmentID": "env-\(id)", "coldStart": initMs != nil, "durationMs": durationMs,
            "billedDurationMs": Int(((initMs ?? 0) + durationMs).rounded(.up)), "latencyMs": (initMs ?? 0) + durationMs + 1,
            "maxMemoryUsedMB": 10, "receivedAtMs": receivedAtMs, "handlerStartedAtMs": start, "logLines": [String](),
            "initializationType": provisioned ? "provisioned-concurrency" : "on-demand", "spillover": false,
        ]
        if let initMs { json["initDurationMs"] = initMs }
        let data = try! JSONSerialization.data(withJSONObject: json)
        return try! JSONDecoder().decode(InvocationSummary.self, from: data)
    }
}

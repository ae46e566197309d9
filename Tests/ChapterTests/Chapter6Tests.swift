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

    @Test("--rate × --seconds over 1000, an unknown architecture and a bad rate are refused in one line")
    func badOptions() {
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--rate", "200", "--seconds", "6"]) }
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--architecture", "sparc"]) }
        #expect(throws: WorkbookError.self) { try Chapter6.Options(arguments: ["--rate", "0"]) }
        #expect((try? Chapter6.Options(arguments: ["--rate", "10", "--duration-ms", "50"]))?.provisionedOrDefault == 1)
    }

    /// 10 calls/s × 60 ms for 2 s on 3 environments: 0.6 calls in flight, so the provisioned step
    /// has wide room before it could spill over, even on a busy machine.
    static let outcome = Task {
        var options = Chapter6.Options()
        options.rate = 10
        options.durationMs = 60
        options.seconds = 2
        options.provisioned = 3
        return try await exclusively { try await Chapter6.run(options) }
    }

    @Test("the run: 20 calls each step; cold starts on demand only, provisioned calls without Init; every claim holds")
    func run() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.steps.map(\.invocations.count) == [20, 20])
        #expect(outcome.step("on demand").coldStarts >= 1)
        #expect(outcome.step("provisioned").invocations.filter(\.isProvisioned).allSatisfy { $0.initDurationMs == nil })
        let notHeld = outcome.claims.filter { !$0.holds }.map(\.evidence)
        #expect(notHeld.isEmpty, "\(notHeld)")
        // The hour priced from the run's own figures.
        #expect(outcome.hour.billedMs >= 60)
        #expect(outcome.sweep.count == 10)
        #expect(outcome.onDemandPerHourUSD == outcome.hour.onDemandUSD(outcome.prices))
        try PictureInspection.check(outcome.picture(), steps: outcome.steps)
    }
}

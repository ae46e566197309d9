import Testing
import Workbook

/// The cost model against cases computed by hand from the published prices.
@Suite("Cost: AWS's published prices, applied")
struct CostTests {
    @Test("on demand: $0.20 per million requests plus GB-seconds of Billed Duration")
    func onDemand() {
        // 1,000,000 requests of 1 GB billed 1 s in total: $0.20 + 1 GB-s × $0.0000166667
        #expect(abs(Cost.x86_64.onDemand(billedMs: 1_000, invocations: 1_000_000, memoryMB: 1_024) - 0.2000166667) < 1e-12)
        // arm64: 100 requests, 512 MB, 4 s billed: $0.00002 + 2 GB-s × $0.0000133334
        #expect(abs(Cost.arm64.onDemand(billedMs: 4_000, invocations: 100, memoryMB: 512) - 0.0000466668) < 1e-12)
    }

    @Test("provisioned capacity is billed in 5-minute blocks, whether or not anything runs")
    func provisionedBlocks() {
        // 1 s enabled bills 300 s: 1 GB × 300 s × $0.0000041667
        #expect(abs(Cost.x86_64.provisionedCapacity(environments: 1, memoryMB: 1_024, seconds: 1) - 0.00125001) < 1e-12)
        #expect(abs(Cost.x86_64.provisionedCapacity(environments: 1, memoryMB: 1_024, seconds: 300) - 0.00125001) < 1e-12)
        #expect(abs(Cost.x86_64.provisionedCapacity(environments: 1, memoryMB: 1_024, seconds: 301) - 0.00250002) < 1e-12)
        // 10 × 128 MB for a 730-hour month: 10 × 0.125 × 2,628,000 × $0.0000041667 ≈ $13.69
        #expect(abs(Cost.x86_64.provisionedCapacity(environments: 10, memoryMB: 128, seconds: Cost.secondsPerMonth) - 13.6876095) < 1e-6)
    }

    @Test("break-even utilization: capacity / (on-demand − provisioned duration) = 0.60 on both architectures")
    func breakEven() {
        #expect(abs(Cost.x86_64.breakEvenUtilization - 0.0000041667 / 0.0000069445) < 1e-12)
        #expect(abs(Cost.x86_64.breakEvenUtilization - 0.6) < 0.001)
        #expect(abs(Cost.arm64.breakEvenUtilization - 0.6) < 0.001)
    }

    @Test("a run's cost: on-demand and provisioned invocations at their own prices, computed by hand")
    func runCost() {
        // 21 on demand, 630 ms billed at 128 MB: 21 × $0.0000002 + 0.125 GB × 0.63 s × $0.0000166667
        //   = $0.0000042 + $0.00000131250 = $0.0000055125
        // 5 on provisioned, 50 ms: 5 × $0.0000002 + 0.125 × 0.05 × $0.0000097222 = $0.00000106076375
        let cost = RunCost(onDemandInvocations: 21, onDemandBilledMs: 630, provisionedInvocations: 5, provisionedBilledMs: 50)
        #expect(abs(cost.usd - (0.0000055125026 + 0.00000106076375)) < 1e-13)
        #expect(cost.invocations == 26 && cost.billedMs == 680)
        #expect(Narrative.dollars(0.0000065732665) == "0.00000657")
        #expect(Narrative.dollars(0.0294) == "0.0294")
        #expect(Narrative.dollars(6.5732665) == "6.57")
    }
}

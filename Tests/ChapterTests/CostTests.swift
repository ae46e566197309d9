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
}

import Foundation
import Timing

/// Everything the benchmark measured; `--json` prints it as one object.
struct BenchReport: Codable {
    var warmInvokeP50Micros: Double
    var warmInvokeP99Micros: Double
    var floorChainP50Micros: Double
    var floorChainP99Micros: Double
    var coldStartP50Millis: Double
    var floorSpawnStaticP50Millis: Double
    var floorSpawnDynamicP50Millis: Double
    var burst100ColdStartsPerSecond: Double
    var warmInvokesPerSecond8Callers: Double
    var idleEnvironments: Int
    var idleEnvironmentsAnswered: Int
    var idleEnvironmentPrivateKiB: Double
    var idleEnvironmentMarginalKiB: Double
    /// The soak: the lab's resident memory after filling its window of records, and at the end.
    var soakInvocations: Int
    var soakResidentBeforeKiB: Int
    var soakResidentAfterKiB: Int
    var fanOutSweep: [FanOutSweep.Point]
    var sweepBusyLoops: Int
    var cpus: Int

    /// The lab's warm invoke over the chain floor measured in the same run.
    var warmInvokeOverFloor: Double { warmInvokeP50Micros / max(floorChainP50Micros, 1) }

    func narrate() {
        print("Lambda Lab benchmark · release build · \(cpus) CPUs · every figure measured in this run")
        print("")
        var table = TextTable([("measurement", .left), ("lab", .right), ("floor, this run", .right), ("ratio", .right), ("target", .left)])
        table.add(["warm invoke p50 (µs)", f0(warmInvokeP50Micros), f0(floorChainP50Micros), f2(warmInvokeOverFloor) + "×", "≤ 2× floor"])
        table.add(["warm invoke p99 (µs)", f0(warmInvokeP99Micros), f0(floorChainP99Micros), f2(warmInvokeP99Micros / max(floorChainP99Micros, 1)) + "×", ""])
        table.add(["cold start p50, spawn → next (ms)", f2(coldStartP50Millis), f2(floorSpawnStaticP50Millis) + " static",
                   String(format: "%+.2f ms", coldStartP50Millis - floorSpawnStaticP50Millis), "≤ static floor + 1 ms"])
        table.add(["  the same program, dynamic stdlib (ms)", "", f2(floorSpawnDynamicP50Millis), "", ""])
        table.add(["burst of 100 cold starts (per s)", f0(burst100ColdStartsPerSecond), "", "", "≥ 250/s"])
        table.add(["warm invokes, 8 callers (per s)", f0(warmInvokesPerSecond8Callers), "", "", "≥ 10,000/s"])
        table.add(["idle environments held / answering", "\(idleEnvironments) / \(idleEnvironmentsAnswered)", "", "", "1,000 / 1,000"])
        table.add(["  memory each: private / marginal (KiB)", f0(idleEnvironmentPrivateKiB) + " / " + f0(idleEnvironmentMarginalKiB), "", "",
                   "1,000 within 4 GiB"])
        table.add(["soak: lab resident memory (MiB)", f1(soakResidentBeforeKiB) + " → " + f1(soakResidentAfterKiB), "", "",
                   "flat over \(soakInvocations) invokes"])
        print(table.render())
        guard !fanOutSweep.isEmpty else { return }
        print("")
        print("Chapter 3 sweep (\(sweepBusyLoops) busy-looping process\(sweepBusyLoops == 1 ? "" : "es") beside it)")
        var sweep = TextTable([("N", .right), ("runs", .right), ("all claims held", .right), ("arrival spread p50", .right), ("max", .right)])
        for point in fanOutSweep {
            sweep.add([String(point.concurrency), String(point.runs), String(point.runsWhereAllClaimsHeld),
                       f2(point.arrivalSpreadMillis) + " ms", f2(point.arrivalSpreadMaxMillis) + " ms"])
        }
        print(sweep.render())
        for point in fanOutSweep where !point.failedClaims.isEmpty {
            for (claim, count) in point.failedClaims.sorted(by: { $0.key < $1.key }) { print("  N = \(point.concurrency), \(count)× did not hold: \(claim)") }
        }
    }

    private func f1(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
    private func f0(_ value: Double) -> String { String(format: "%.0f", value) }
    private func f2(_ value: Double) -> String { String(format: "%.2f", value) }
}

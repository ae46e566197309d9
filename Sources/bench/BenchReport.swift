import Foundation
import Timing

/// Everything the benchmark measured; `--json` prints it as one object.
struct BenchReport: Codable {
    var warmInvokeP50Micros: Double
    var warmInvokeP99Micros: Double
    /// CPU time of the lab's loop thread per warm invoke (user + system): the lab's own work.
    var labLoopCPUPerWarmInvokeMicros: Double
    /// The lab's warm invoke with the C floor's runtime as the function: the lab's own overhead.
    var warmInvokeCRuntimeP50Micros: Double
    var warmInvokesPerSecond8CallersCRuntime: Double
    /// The Swift chain: the same three processes on the project's own sockets (a measure of that layer).
    var floorChainP50Micros: Double
    var floorChainP99Micros: Double
    /// The machine's floor: the bench's client → a C emulator → a C runtime.
    var floorChainCP50Micros: Double
    var floorChainCP99Micros: Double
    var coldStartP50Millis: Double
    var floorSpawnStaticP50Millis: Double
    var floorSpawnDynamicP50Millis: Double
    var burst100ColdStartsPerSecond: Double
    var warmInvokesPerSecond8Callers: Double
    var idleEnvironments: Int
    var idleEnvironmentsAnswered: Int
    var idleEnvironmentPrivateKiB: Double
    var idleEnvironmentMarginalKiB: Double
    /// Threads the lab process added per idle environment it held.
    var labThreadsPerIdleEnvironment: Double
    /// The soak: the lab's resident memory after filling its window of records, and at the end.
    var soakInvocations: Int
    var soakResidentBeforeKiB: Int
    var soakResidentAfterKiB: Int
    var fanOutSweep: [FanOutSweep.Point]
    var sweepBusyLoops: Int
    var cpus: Int

    /// The lab's warm invoke over the chain floor measured in the same run.
    var warmInvokeOverFloor: Double { warmInvokeP50Micros / max(floorChainCP50Micros, 1) }

    func narrate() {
        print("Lambda Lab benchmark · release build · \(cpus) CPUs · every figure measured in this run")
        print("")
        var table = TextTable([("measurement", .left), ("lab", .right), ("floor, this run", .right), ("ratio", .right), ("target", .left)])
        table.add(["warm invoke p50, worker (µs)", f0(warmInvokeP50Micros), f0(floorChainCP50Micros) + " C", f2(warmInvokeOverFloor) + "×", "≤ 1.5× C chain"])
        table.add(["warm invoke p50, C runtime (µs)", f0(warmInvokeCRuntimeP50Micros), f0(floorChainCP50Micros) + " C",
                   f2(warmInvokeCRuntimeP50Micros / max(floorChainCP50Micros, 1)) + "×", "≤ 1.5× C chain"])
        table.add(["warm invoke p99, worker (µs)", f0(warmInvokeP99Micros), f0(floorChainCP99Micros) + " C", f2(warmInvokeP99Micros / max(floorChainCP99Micros, 1)) + "×", ""])
        table.add(["  Swift chain on the project's sockets (µs)", "", f0(floorChainP50Micros), "", ""])
        table.add(["  the lab loop's CPU per warm invoke (µs)", f0(labLoopCPUPerWarmInvokeMicros), "", "", ""])
        table.add(["cold start p50, spawn → next (ms)", f2(coldStartP50Millis), f2(floorSpawnStaticP50Millis) + " static",
                   String(format: "%+.2f ms", coldStartP50Millis - floorSpawnStaticP50Millis), "≤ static floor + 1 ms"])
        table.add(["  the same program, dynamic stdlib (ms)", "", f2(floorSpawnDynamicP50Millis), "", ""])
        table.add(["burst of 100 cold starts (per s)", f0(burst100ColdStartsPerSecond), "", "", "≥ 500/s"])
        table.add(["warm invokes, 8 callers (per s)", f0(warmInvokesPerSecond8Callers), "", "", "≥ 10,000/s"])
        table.add(["  the same, C runtime (per s)", f0(warmInvokesPerSecond8CallersCRuntime), "", "", ""])
        table.add(["idle environments held / answering", "\(idleEnvironments) / \(idleEnvironmentsAnswered)", "", "", "1,000 / 1,000"])
        table.add(["  memory each: private / marginal (KiB)", f0(idleEnvironmentPrivateKiB) + " / " + f0(idleEnvironmentMarginalKiB), "", "",
                   "≤ 1,024 private"])
        table.add(["  lab threads per idle environment", f2(max(0, labThreadsPerIdleEnvironment)), "", "", "≤ 1"])
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

import Console
import Contracts
import Foundation
import Glibc
import LambdaLab
import HTTP
import Timing
import Workbook

/// `swift run -c release bench [--json] [--sweep-runs R] [--busy B] [--idle K]`: the lab's own
/// overhead, each figure beside the floor of this machine measured in the same run (floors move
/// 2–3× between hosts of one kind, so a figure from elsewhere proves nothing). Performance goals
/// live here, never in timed tests.
@main
struct Bench {
    static func main() async throws {
        Console.lineBufferStandardOutput()
        let arguments = Array(CommandLine.arguments.dropFirst())
        // The roles this binary plays in its own floors.
        switch arguments.first {
        case "floor-emulator": try FloorChain.emulator()
        case "floor-runtime": try FloorChain.runtime(port: UInt16(arguments[1])!)
        case "client": try BenchClient.run(port: UInt16(arguments[1])!, function: arguments[2], count: Int(arguments[3])!, callers: Int(arguments[4])!)
        case "interleaved": try InterleavedClient.run(count: Int(arguments[1])!, batch: Int(arguments[2])!, targets: Array(arguments[3...]))
        case "spawn-floor":   // `bench spawn-floor PATH`: the spawn floor of any runtime binary, for profiling
            print(try Floors.spawn(arguments[1], samples: 100))
            return
        default: break
        }
        let options: BenchOptions
        do { options = try BenchOptions(arguments) } catch {
            FileHandle.standardError.write(Data("bench: \(error)\n\(BenchOptions.usage)\n".utf8))
            exit(2)
        }
        if options.help { print(BenchOptions.usage); return }
        let report = try await measure(options)
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.narrate()
        }
    }

    nonisolated static func measure(_ options: BenchOptions) async throws -> BenchReport {
        _ = RaisedDescriptorLimit.raise()
        progress("floors: static and dynamic spawn")
        let staticProbe = try Floors.SpawnProbe(try FunctionBinaries.path(of: "floor-spawn-static"))
        let dynamicProbe = try Floors.SpawnProbe(try FunctionBinaries.path(of: "floor-spawn-dynamic"))
        for _ in 0..<3 { _ = try staticProbe.sample(); _ = try dynamicProbe.sample() }   // warm the page cache
        var configuration = LabConfiguration()
        // Room for the orchestrator beside 1,000 workers (AWS's default account limit is 1,000;
        // a quota increase is the same change on AWS).
        configuration.accountConcurrency = 1_100
        if let linger = ProcessInfo.processInfo.environment["BENCH_LINGER_US"].flatMap(Int.init) { configuration.burstLinger = .microseconds(linger) }
        var report = try await Lab.with(configuration) { lab -> BenchReport in
            let port = try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())

            // 1. Warm invoke over HTTP from a client process of its own, one kept-alive connection:
            //    client → lab → parked GET /next → handler → POST /response → lab → client. No
            //    database, so this is all overhead. The same client measures the floors — a C
            //    emulator and runtime, and the same in Swift on the project's sockets — and the lab
            //    with the C floor's runtime as its function (only the lab differs from the C chain),
            //    in alternating batches, so every figure shares the machine's minutes.
            progress("floors and lab: warm invokes, interleaved")
            try lab.deploy(FunctionConfiguration(name: "c-runtime", command: [try FunctionBinaries.path(of: "floor-chain-c")]))
            let cFloor = try Floors.RunningChain(program: "floor-chain-c"), swiftFloor = try Floors.RunningChain(program: "bench")
            let loopBefore = ThreadCPU.seconds(named: "lab loop"), splitBefore = ThreadCPU.split(named: "lab loop")
            let results = try Floors.interleaved([(cFloor.port, "floor"), (swiftFloor.port, "floor"), (port, "worker"), (port, "c-runtime")],
                                                 calls: options.warmCalls)
            // Each lab target warms up with 200 calls before any is timed.
            let loopMicros = (ThreadCPU.seconds(named: "lab loop") - loopBefore) * 1e6 / Double(2 * (options.warmCalls + 200))
            let splitAfter = ThreadCPU.split(named: "lab loop")
            let userShare = (splitAfter.user - splitBefore.user) / max(1e-9, splitAfter.user - splitBefore.user + splitAfter.system - splitBefore.system)
            let (cChain, chain, warm, warmC) = (results[0], results[1], results[2], results[3])
            // Then 8 callers at once, for throughput.
            let eight = try Floors.client(port: port, function: "worker", calls: options.warmCalls / 4, callers: 8)
            let eightC = try Floors.client(port: port, function: "c-runtime", calls: options.warmCalls / 4, callers: 8)
            if options.warmOnly {
                print("lab loop CPU per warm invoke: \(Int(loopMicros)) µs, \(Int(userShare * 100)) % of it in user space")
                print("warm invoke p50: worker \(Int(warm.p50Micros)) µs, C runtime \(Int(warmC.p50Micros)) µs; C chain \(Int(cChain.p50Micros)) µs, Swift chain \(Int(chain.p50Micros)) µs; 8 callers: worker \(Int(eight.invokesPerSecond))/s, C runtime \(Int(eightC.invokesPerSecond))/s")
                exit(0)
            }

            // 2. Cold start: spawn → the runtime's first GET /next (Init Duration), one at a time,
            //    each beside one sample of both spawn floors.
            progress("lab: cold starts, interleaved with the spawn floors")
            var cold: [Duration] = [], staticFloor: [Duration] = [], dynamicFloor: [Duration] = []
            for index in 0..<50 {
                staticFloor.append(try staticProbe.sample())
                dynamicFloor.append(try dynamicProbe.sample())
                try lab.deploy(WorkbookFunctions.worker(name: "cold-\(index)", database: nil))
                let result = try await lab.invoke("cold-\(index)")
                cold.append(result.record!.initDuration!)
            }
            let spawnStatic = Summary(staticFloor), spawnDynamic = Summary(dynamicFloor)

            // 3. A burst of 100 cold starts through the orchestrator. Each call holds its environment
            //    for 2 s, so none is reused within the burst; the rate counts each to its first `next`.
            progress("lab: a burst of 100 cold starts")
            try lab.deploy(WorkbookFunctions.worker(name: "burst", database: nil, timeout: .seconds(10)))
            let burst = try await FanOutStep.run(lab, name: "burst", target: "burst", count: 100, payload: WorkerEvent(hangMs: 2_000))
            let firstSpawn = burst.invocations.compactMap(\.spawnedAtMs).min() ?? 0
            let lastReady = burst.invocations.map { ($0.spawnedAtMs ?? 0) + ($0.initDurationMs ?? 0) }.max() ?? 0

            // 4. The soak: many invocations, the lab's resident memory before and after (the first
            //    10,000 fill the window of records the lab keeps; after that nothing should grow).
            progress("lab: soak of \(options.soak) invocations")
            try lab.deploy(WorkbookFunctions.worker(name: "soak", database: nil))
            let fill = min(options.soak, 10_000)
            for _ in 0..<fill { _ = try await lab.invoke("soak") }
            let soakBefore = residentKiB()
            for _ in fill..<options.soak { _ = try await lab.invoke("soak") }
            let soakAfter = residentKiB()

            // 5. K idle environments held at once, their memory, and every one answering afterwards.
            progress("lab: \(options.idle) idle environments")
            let idle = try await IdleEnvironments.measure(lab, count: options.idle)

            return BenchReport(
                warmInvokeP50Micros: warm.p50Micros, warmInvokeP99Micros: warm.p99Micros, labLoopCPUPerWarmInvokeMicros: loopMicros,
                warmInvokeCRuntimeP50Micros: warmC.p50Micros, warmInvokesPerSecond8CallersCRuntime: eightC.invokesPerSecond,
                floorChainP50Micros: chain.p50Micros, floorChainP99Micros: chain.p99Micros,
                floorChainCP50Micros: cChain.p50Micros, floorChainCP99Micros: cChain.p99Micros,
                coldStartP50Millis: Summary(cold).p50, floorSpawnStaticP50Millis: spawnStatic.p50, floorSpawnDynamicP50Millis: spawnDynamic.p50,
                burst100ColdStartsPerSecond: Double(burst.coldStarts) / ((lastReady - firstSpawn) / 1000),
                warmInvokesPerSecond8Callers: eight.invokesPerSecond,
                idleEnvironments: idle.count, idleEnvironmentsAnswered: idle.answered,
                idleEnvironmentPrivateKiB: idle.privateKiB, idleEnvironmentMarginalKiB: idle.marginalKiB,
                labThreadsPerIdleEnvironment: idle.threadsPerEnvironment,
                soakInvocations: options.soak, soakResidentBeforeKiB: soakBefore, soakResidentAfterKiB: soakAfter,
                fanOutSweep: [], sweepBusyLoops: options.busy, cpus: ProcessInfo.processInfo.activeProcessorCount)
        }
        progress("chapter 3 sweep: \(options.sweepConcurrencies.map(String.init).joined(separator: ", ")) × \(options.sweepRuns) runs, \(options.busy) busy loop(s) beside it")
        report.fanOutSweep = try FanOutSweep.run(concurrencies: options.sweepConcurrencies, runs: options.sweepRuns, busyLoops: options.busy)
        return report
    }

    /// Resident memory of this process (the lab), from /proc/self/status.
    static func residentKiB() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data("bench: \(text)…\n".utf8))
    }
}

import Foundation
import LambdaLab
import RuntimeAPI
import Timing
import Workbook

/// `swift run -c release bench`: the lab's own overhead, measured against the floors of this machine
/// kind (shared/reference/limits.md). Performance goals live here, never in timed tests.
@main
struct Bench {
    static func main() async throws {
        Console.lineBufferStandardOutput()
        let warmCalls = Int(ProcessInfo.processInfo.environment["BENCH_WARM_CALLS"] ?? "") ?? 5_000
        let (warm, cold, burst) = try await measure(warmCalls: warmCalls)
        var table = TextTable([("measurement", .left), ("n", .right), ("p50", .right), ("p90", .right), ("p99", .right),
                               ("max", .right), ("floor (limits.md)", .left)])
        table.add(row("warm invoke over HTTP (µs)", warm, micro: true, floor: "~58 µs: C emulator chain"))
        table.add(row("cold start: spawn → first next (ms)", cold, micro: false, floor: "5.3 ms: Swift + Foundation, dynamic"))
        // First spawn → last environment's first `next`: the span in which the burst's environments started.
        let lastReady = burst.invocations.map { ($0.spawnedAtMs ?? 0) + ($0.initDurationMs ?? 0) }.max() ?? 0
        let firstSpawn = burst.invocations.compactMap(\.spawnedAtMs).min() ?? 0
        let span = lastReady - firstSpawn
        let rate = Double(burst.coldStarts) / (span / 1000)
        print("Lambda Lab benchmark (release build, \(ProcessInfo.processInfo.activeProcessorCount) CPUs)")
        print("")
        print(table.render())
        print("")
        print(String(format: "  burst: %d cold starts, all initialised within %.1f ms = %.0f environments/s (floor: ~280/s for Swift + Foundation, dynamic)",
                     burst.coldStarts, span, rate))
        print("  measured: every figure above is timed on this machine; floors are from shared/reference/limits.md")
    }

    /// Off the main actor, like a chapter's `run`.
    nonisolated static func measure(warmCalls: Int) async throws -> (Summary, Summary, StepOutcome) {
        try await Lab.with { lab -> (Summary, Summary, StepOutcome) in
            let port = try lab.startInvokeAPI()
            try lab.deploy(WorkbookFunctions.worker(database: nil))
            try lab.deploy(WorkbookFunctions.orchestrator())

            // 1. Warm invoke over HTTP, one kept-alive connection: client → lab → parked GET /next →
            //    handler → POST /response → lab → client. No database, so this is all overhead.
            let client = HTTPClient(port: port)
            let request = HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("worker"), body: Array("{}".utf8))
            for _ in 0..<200 { _ = try client.send(request) }
            var warm: [Duration] = []
            for _ in 0..<warmCalls {
                let start = ContinuousClock.now
                let response = try client.send(request)
                warm.append(ContinuousClock.now - start)
                precondition(response.status == 200)
            }

            // 2. Cold start: spawn → the runtime's first GET /next (Init Duration), one at a time.
            var cold: [Duration] = []
            for index in 0..<50 {
                try lab.deploy(WorkbookFunctions.worker(name: "cold-\(index)", database: nil))
                let result = try await lab.invoke("cold-\(index)")
                cold.append(result.record!.initDuration!)
            }

            // 3. A burst of cold starts: 100 new environments at once through the orchestrator. Each
            //    call holds its environment for 2 s (the worker's test hook), so none can be reused
            //    within the burst; the rate counts each environment to its first `next`.
            try lab.deploy(WorkbookFunctions.worker(name: "burst", database: nil, timeout: .seconds(10)))
            let burst = try await FanOutStep.run(lab, name: "burst", target: "burst", count: 100, payload: ["hangMs": 2_000])
            return (Summary(warm), Summary(cold), burst)
        }
    }

    static func row(_ name: String, _ summary: Summary, micro: Bool, floor: String) -> [String] {
        let scale = micro ? 1_000.0 : 1.0
        let format = micro ? "%.0f" : "%.2f"
        return [name, String(summary.count)] + [summary.p50, summary.p90, summary.p99, summary.max].map { String(format: format, $0 * scale) } + [floor]
    }
}

import Foundation
import Workbook

/// Chapter 3 run as a learner runs it, at each N, several times: in how many runs did every claim
/// hold, and how long did a burst take to reach the lab?
enum FanOutSweep {
    struct Point: Codable {
        var concurrency: Int
        var runs: Int
        var runsWhereAllClaimsHeld: Int
        /// Median over the runs of the run's largest arrival spread (first → last arrival of a burst).
        var arrivalSpreadMillis: Double
        /// The largest arrival spread of any burst in any run.
        var arrivalSpreadMaxMillis: Double
        /// Claims that failed, with how many runs each failed in.
        var failedClaims: [String: Int]
    }

    static func run(concurrencies: [Int], runs: Int, busyLoops: Int) throws -> [Point] {
        guard runs > 0 else { return [] }
        let busy = try (0..<busyLoops).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "while :; do :; done"]
            try process.run()
            return process
        }
        defer {
            // SIGKILL: a shell busy in a builtin loop may not act on SIGTERM.
            for process in busy { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
        let chapter = try FunctionBinaries.path(of: "chapter3")
        return try concurrencies.map { n in
            var held = 0
            var spreads: [Double] = []
            var failed: [String: Int] = [:]
            for _ in 0..<runs {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: chapter)
                process.arguments = ["--concurrency", String(n), "--json"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                guard let outcome = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let claims = outcome["claims"] as? [[String: Any]], let steps = outcome["steps"] as? [[String: Any]] else {
                    failed["the chapter did not finish (exit \(process.terminationStatus))", default: 0] += 1
                    continue
                }
                // A claim the run's options make untestable is "not applicable", not failed.
                let failing = claims.filter { ($0["verdict"] as? String) == "did not hold" }.compactMap { $0["claim"] as? String }
                if failing.isEmpty { held += 1 }
                for claim in failing { failed[claim, default: 0] += 1 }
                let bursts = steps.filter { ($0["name"] as? String) != "sequential" }
                spreads.append(bursts.compactMap { $0["arrivalSpreadMs"] as? Double }.max() ?? 0)
            }
            let sorted = spreads.sorted()
            return Point(concurrency: n, runs: runs, runsWhereAllClaimsHeld: held,
                         arrivalSpreadMillis: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                         arrivalSpreadMaxMillis: sorted.last ?? 0, failedClaims: failed)
        }
    }
}

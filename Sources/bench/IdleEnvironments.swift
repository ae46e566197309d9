import Contracts
import Foundation
import LambdaLab
import Workbook

/// K execution environments held at once, then left idle: what each costs in memory, and whether
/// every one still answers.
enum IdleEnvironments {
    struct Result {
        var count: Int
        var answered: Int
        /// Median over the environments of Private_Clean + Private_Dirty (`/proc/PID/smaps_rollup`).
        var privateKiB: Double
        /// Drop of MemAvailable while they were started, divided by K: what each really cost.
        var marginalKiB: Double
        /// Threads this process (the lab) added per environment held.
        var threadsPerEnvironment: Double
    }

    static func measure(_ lab: Lab, count: Int) async throws -> Result {
        try lab.deploy(WorkbookFunctions.worker(name: "idle", database: nil, timeout: .seconds(60)))
        let before = memoryAvailableKiB()
        let threadsBefore = field("Threads:", in: "/proc/self/status") ?? 0
        // Each call holds its environment long enough for all K to be started, so K distinct
        // environments exist (the lab starts a few hundred a second here).
        let hold = try await FanOutStep.run(lab, name: "hold", target: "idle", count: count, payload: WorkerEvent(hangMs: max(2_000, 8 * count)))
        let pids = lab.environments.filter { $0.functionName == "idle" }.compactMap(\.pid)
        let after = memoryAvailableKiB()
        let threadsHeld = field("Threads:", in: "/proc/self/status") ?? 0
        let privates = pids.compactMap(privateKiB).sorted()
        // Every one answers again: a burst of K, each call holding its environment briefly, must
        // find all K idle and start none.
        let again = try await FanOutStep.run(lab, name: "again", target: "idle", count: count, payload: WorkerEvent(hangMs: 300))
        let answered = again.coldStarts == 0 ? again.environmentIDs.intersection(hold.environmentIDs).count : 0
        return Result(count: hold.environments, answered: answered,
                      privateKiB: privates.isEmpty ? 0 : privates[privates.count / 2],
                      marginalKiB: Double(before - after) / Double(max(1, pids.count)),
                      threadsPerEnvironment: Double(threadsHeld - threadsBefore) / Double(max(1, pids.count)))
    }

    static func memoryAvailableKiB() -> Int {
        field("MemAvailable:", in: "/proc/meminfo") ?? 0
    }

    static func privateKiB(_ pid: pid_t) -> Double? {
        let path = "/proc/\(pid)/smaps_rollup"
        guard let clean = field("Private_Clean:", in: path), let dirty = field("Private_Dirty:", in: path) else { return nil }
        return Double(clean + dirty)
    }

    private static func field(_ name: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return Int(line.dropFirst(name.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
}

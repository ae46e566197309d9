import Foundation
import LabTestSupport
import Testing
@testable import LambdaLab

/// A lab that runs for days stays small: what it keeps per invocation is bounded.
@Suite("Bounded memory: records, logs and timers", .serialized, .timeLimit(.minutes(10)))
struct MemoryBoundsTests {
    /// Resident memory of this process, from /proc/self/status (VmRSS, KiB).
    static func residentKiB() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test("after 20,000 invocations: a window of records, one pending timer per environment, and flat memory")
    func soak() async throws {
        var configuration = LabConfiguration()
        configuration.recordLimit = 1_000
        // This process's memory is measured: no other test may move large buffers through it meanwhile.
        try await measuringMemory { try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            for _ in 0..<5_000 { _ = try await lab.invoke("worker") }
            let before = Self.residentKiB()
            for _ in 0..<15_000 { _ = try await lab.invoke("worker") }
            let after = Self.residentKiB()
            #expect(lab.records.count <= 1_000)
            #expect(lab.activity.first { $0.function == "worker" }?.invocations == 20_000)
            // One idle check for the one environment; every invocation's timeout was cancelled.
            #expect(lab.pendingTimers <= 2, "\(lab.pendingTimers) deadlines pending")
            // Before the window and timers were bounded, 15,000 invocations kept ~15 MB here.
            #expect(after - before < 8 * 1024, "resident memory grew from \(before) to \(after) KiB")
        } }
    }

    @Test("an invocation that logs 1 MB keeps 256 KB of it in its record, with a line saying the rest was not kept")
    func logCap() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            let result = try await lab.invoke("worker", payload: json(["logBytes": 1_000_000]))
            let lines = try #require(result.record?.logLines)
            let bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
            #expect(bytes < 260 * 1024)
            #expect(lines.contains { $0.contains("the rest of this invocation's log was not kept") })
            #expect(lines.last?.hasPrefix("REPORT") == true)
        }
    }

    @Test("records beyond the log-bytes budget are let go, oldest first")
    func logBudget() async throws {
        var configuration = LabConfiguration()
        configuration.recordLogBytesLimit = 1024 * 1024
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            var last = ""
            for _ in 0..<20 { last = try await lab.invoke("worker", payload: json(["logBytes": 200_000])).requestID }
            let kept = lab.records.reduce(0) { $0 + $1.logLines.reduce(0) { $0 + $1.utf8.count + 1 } }
            #expect(kept <= 1024 * 1024)
            #expect(lab.records.last?.requestID == last)
            #expect(lab.records.count < 20)
        }
    }
}

import Foundation
import LambdaLab
import Testing

/// Only one test at a time may run labs. Swift Testing runs suites (and test targets) in parallel;
/// on a 2-core machine two labs starting processes at once would distort each other's timings, and
/// `.serialized` only orders tests inside one suite.
///
/// Waiting for the gate is not a test's own time: a suite's `.timeLimit` counts it, so suites that
/// run labs have limits wide enough to wait behind every other (ten minutes: the whole of
/// `swift test` takes about four), and each test's own budget is counted from when it has the gate
/// (`exclusively(budget:)`): a test that holds a lab too long fails for that, not for the queue.
public actor LabGate {
    public static let shared = LabGate()
    /// Held by the test that measures the process's resident memory, and by the tests that move
    /// tens of megabytes through it (chapter 7's zips): one in-process lab's growth cannot be told
    /// apart from another test's buffers.
    public static let memory = LabGate()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// Runs `body` while no other test runs a lab, and fails the test if `body` holds the gate longer
/// than `budget` (counted from when it got the gate, not from when it began waiting).
public func exclusively<T: Sendable>(budget: Duration = .seconds(120), _ body: () async throws -> T) async throws -> T {
    try await holding(LabGate.shared) {
        let started = ContinuousClock.now
        let result = try await body()
        let held = ContinuousClock.now - started
        if held > budget { Issue.record("held the lab for \(held), over its budget of \(budget)") }
        return result
    }
}

/// Runs `body` while no other test measures, or moves large buffers through, this process's
/// memory. Take it before `exclusively`, never inside it, so the two gates are always taken in
/// the same order.
public func withQuietMemory<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await holding(LabGate.memory, body)
}

private func holding<T: Sendable>(_ gate: LabGate, _ body: () async throws -> T) async throws -> T {
    await gate.acquire()
    do {
        let result = try await body()
        await gate.release()
        return result
    } catch {
        await gate.release()
        throw error
    }
}

/// A lab for one test, always shut down at the end, with no other lab running meanwhile.
public func withTestLab<T: Sendable>(_ configuration: LabConfiguration = LabConfiguration(), budget: Duration = .seconds(120),
                                      _ body: (Lab) async throws -> T) async throws -> T {
    try await exclusively(budget: budget) { try await Lab.with(configuration, body) }
}

/// Tools some tests run, found once per process: a test that needs one that is missing reports
/// itself skipped (`.enabled(if: Installed.python3, …)`), never passed.
public enum Installed {
    public static let python3 = onPath("python3")

    public static func onPath(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }
}

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

/// The test that measures this process's resident memory must not see another test's buffers:
/// an in-process lab's growth cannot be told apart from them. Tests that move tens of megabytes
/// through the process (chapter 7's zips) may do so together; the measuring test runs alone. A
/// measuring test that waits goes before movers that come after it.
actor MemoryGate {
    static let shared = MemoryGate()
    private var movers = 0
    private var measuring = false
    private var waiting: [(measures: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(measures: Bool) async {
        if waiting.isEmpty, canEnter(measures) { return enter(measures) }
        await withCheckedContinuation { waiting.append((measures, $0)) }
    }

    func release(measures: Bool) {
        if measures { measuring = false } else { movers -= 1 }
        while let next = waiting.first, canEnter(next.measures) {
            waiting.removeFirst()
            enter(next.measures)
            next.continuation.resume()
        }
    }

    private func canEnter(_ measures: Bool) -> Bool { measures ? !measuring && movers == 0 : !measuring }
    private func enter(_ measures: Bool) { if measures { measuring = true } else { movers += 1 } }
}

/// Runs `body`, which moves large buffers through this process, while no test measures its memory
/// (other movers may run meanwhile). Take it before `exclusively`, never inside it, so the gates
/// are always taken in the same order.
public func withQuietMemory<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await holdingMemory(measures: false, body)
}

/// Runs `body`, which measures this process's resident memory, while no other test moves large
/// buffers through it. Taken before `exclusively`, like `withQuietMemory`.
public func measuringMemory<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await holdingMemory(measures: true, body)
}

private func holdingMemory<T: Sendable>(measures: Bool, _ body: () async throws -> T) async throws -> T {
    await MemoryGate.shared.acquire(measures: measures)
    do {
        let result = try await body()
        await MemoryGate.shared.release(measures: measures)
        return result
    } catch {
        await MemoryGate.shared.release(measures: measures)
        throw error
    }
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

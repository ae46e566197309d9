import LambdaLab

/// Only one test at a time may run labs. Swift Testing runs suites (and test targets) in parallel;
/// on a 2-core machine two labs starting processes at once would distort each other's timings
/// (DESIGN §7), and `.serialized` only orders tests inside one suite.
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

/// Runs `body` while no other test runs a lab.
public func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await holding(LabGate.shared, body)
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
public func withTestLab<T: Sendable>(_ configuration: LabConfiguration = LabConfiguration(), _ body: (Lab) async throws -> T) async throws -> T {
    try await exclusively { try await Lab.with(configuration, body) }
}

import LambdaLab

/// Only one test at a time may run labs. Swift Testing runs suites (and test targets) in parallel;
/// on a 2-core machine two labs starting processes at once would distort each other's timings
/// (DESIGN §7), and `.serialized` only orders tests inside one suite.
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

/// Runs `body` while no other test runs a lab.
public func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    await LabGate.shared.acquire()
    do {
        let result = try await body()
        await LabGate.shared.release()
        return result
    } catch {
        await LabGate.shared.release()
        throw error
    }
}

/// A lab for one test, always shut down at the end, with no other lab running meanwhile.
public func withTestLab<T: Sendable>(_ configuration: LabConfiguration = LabConfiguration(), _ body: (Lab) async throws -> T) async throws -> T {
    try await exclusively { try await Lab.with(configuration, body) }
}

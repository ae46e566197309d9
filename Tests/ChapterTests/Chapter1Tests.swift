import LabTestSupport
import Testing
import Workbook
@testable import chapter1

/// Chapter 1's claims on one small run: 5 invocations each, 60 ms modeled handshake.
@Suite("Chapter 1: init outside the handler", .serialized, .timeLimit(.minutes(10)))
struct Chapter1Tests {
    static let n = 5
    static let handshakeMs = 60.0
    static let outcome = Task {
        var options = Chapter1.Options()
        options.invocations = n
        options.dbHandshakeMs = handshakeMs
        options.dbQueryMs = 5
        return try await exclusively { try await Chapter1.run(options) }
    }

    @Test("connecting in the handler opens 5 connections, counted by the database, and every Duration pays the handshake")
    func inHandler() async throws {
        let step = try await Self.outcome.value.step("connect in handler")
        #expect(step.databaseConnections == Self.n)
        #expect(step.invocations.count == Self.n)
        #expect(step.invocations.allSatisfy { $0.durationMs >= Self.handshakeMs })
    }

    @Test("connecting in init opens 1 connection, paid in Init Duration; warm Durations stay well below the handshake")
    func inInit() async throws {
        let step = try await Self.outcome.value.step("connect in init")
        #expect(step.databaseConnections == 1)
        #expect(step.coldStarts == 1)
        #expect(step.invocations.first { $0.coldStart }!.initDurationMs! >= Self.handshakeMs)
        #expect(step.invocations.filter { !$0.coldStart }.allSatisfy { $0.durationMs < Self.handshakeMs / 2 })
    }

    @Test("after a database restart the kept connection is stale: the worker reconnects once and answers")
    func staleConnection() async throws {
        let step = try await Self.outcome.value.step("after database restart")
        #expect(step.invocations.first?.reconnected == true)
        #expect(step.invocations.first?.functionError == nil)
        #expect(step.databaseConnections == 1)
        #expect(step.coldStarts == 0)
    }

    @Test("connecting in init saves at least half of the 4 handshakes it skips, billed in total, Init included")
    func billing() async throws {
        let outcome = try await Self.outcome.value
        let saved = outcome.step("connect in handler").billedTotalMs - outcome.step("connect in init").billedTotalMs
        #expect(Double(saved) >= 0.5 * Double(Self.n - 1) * Self.handshakeMs)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
        #expect(outcome.claims.count == 7)
    }

    @Test("with no handshake, the claims about paying it say \"not applicable\" instead of holding by themselves")
    func noHandshake() async throws {
        var options = Chapter1.Options()
        options.invocations = 2
        options.dbHandshakeMs = 0
        let outcome = try await exclusively { try await Chapter1.run(options) }
        let verdicts = outcome.claims.map(\.verdict)
        #expect(verdicts == [.held, .notApplicable, .held, .notApplicable, .notApplicable, .notApplicable, .held], "\(outcome.claims.map { "\($0.verdict): \($0.claim)" })")
    }
}

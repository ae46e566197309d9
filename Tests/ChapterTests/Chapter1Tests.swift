import LabTestSupport
import Testing
import Workbook
@testable import chapter1

/// Chapter 1's claims on one small run: 5 invocations each, 60 ms modeled handshake.
@Suite("Chapter 1: init outside the handler", .serialized, .timeLimit(.minutes(2)))
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

    @Test("connecting in init bills less than half as much in total, Init included")
    func billing() async throws {
        let outcome = try await Self.outcome.value
        #expect(2 * outcome.step("connect in init").billedTotalMs < outcome.step("connect in handler").billedTotalMs)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
        #expect(outcome.claims.count == 5)
    }
}

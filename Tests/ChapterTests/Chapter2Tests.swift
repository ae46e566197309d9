import LabTestSupport
import Testing
import Workbook
@testable import chapter2

/// Chapter 2's claims on one small run: 4 invocations, a 300 ms idle timeout.
@Suite("Chapter 2: warm reuse", .serialized, .timeLimit(.minutes(10)))
struct Chapter2Tests {
    static let n = 4
    static let outcome = Task {
        var options = Chapter2.Options()
        options.invocations = n
        options.idleTimeoutMs = 300
        return try await exclusively { try await Chapter2.run(options) }
    }

    @Test("4 invocations one after another: 1 environment, 1 cold start, the in-memory counter reads 1…4")
    func memorySurvives() async throws {
        let step = try await Self.outcome.value.step("sequential")
        #expect(step.environments == 1)
        #expect(step.coldStarts == 1)
        #expect(step.invocations.compactMap(\.invocationCount) == [1, 2, 3, 4])
    }

    @Test("/tmp survives between warm invocations: each finds the file the previous one wrote")
    func scratchSurvives() async throws {
        let step = try await Self.outcome.value.step("sequential")
        #expect(step.invocations.compactMap(\.foundScratchFile) == [false, true, true, true])
    }

    /// The idle timer is the lab's own, so it is tested here rather than claimed by the chapter: a
    /// claim must be able to fail on something the lab could get wrong about Lambda.
    @Test("after the 300 ms idle timeout, and not before, the lab shuts the environment down with SIGTERM and its process ends")
    func idleShutdown() async throws {
        let shutdown = try #require(try await Self.outcome.value.shutdown)
        #expect(shutdown.reason.hasPrefix("idle"))
        #expect(shutdown.exit == "signal: terminated")
        #expect(shutdown.idleForMs >= 300)
        // Late by at most a busy machine's scheduling, not by another timeout.
        #expect(shutdown.idleForMs < 300 + 1_000)
    }

    @Test("the next invocation is cold, in a new environment, counter back at 1, /tmp empty")
    func afterIdle() async throws {
        let outcome = try await Self.outcome.value
        let next = try #require(outcome.step("after idle").invocations.first)
        #expect(next.coldStart)
        #expect(next.environmentID != outcome.step("sequential").invocations.last!.environmentID)
        #expect(next.invocationCount == 1)
        #expect(next.foundScratchFile == false)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
        #expect(outcome.claims.count == 5)
    }

    @Test("the caller waits for the cold start after idle: its latency exceeds the Init Duration plus Duration of its REPORT")
    func coldStartAfterIdleIsWaitedFor() async throws {
        let next = try #require(try await Self.outcome.value.step("after idle").invocations.first)
        let initDuration = try #require(next.initDurationMs)
        #expect(try #require(next.latencyMs) > initDuration + next.durationMs)
    }

    @Test("invocations further apart than the idle timeout each cold-start a new environment: nothing survives")
    func gapBeyondIdleTimeout() async throws {
        var options = Chapter2.Options()
        options.invocations = 3
        options.idleTimeoutMs = 200
        options.gapMs = 400
        let outcome = try await exclusively { try await Chapter2.run(options) }
        let step = outcome.step("sequential")
        #expect(step.environments == 3)
        #expect(step.coldStarts == 3)
        #expect(step.invocations.compactMap(\.invocationCount) == [1, 1, 1])
        #expect(step.invocations.compactMap(\.foundScratchFile) == [false, false, false])
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
    }
}

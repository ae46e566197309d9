import LabTestSupport
import Testing
import Workbook
@testable import chapter5

/// Chapter 5's claims on one small run: reserved concurrency 2 and 2 more; an account of 6 with 2
/// held; waves of 12 at 5 environments per 50 ms; events with the queue's time scaled by 0.005.
@Suite("Chapter 5: when the fan-out hits a limit", .serialized, .timeLimit(.minutes(10)))
struct Chapter5Tests {
    static let (r, k) = (2, 2)
    static let outcome = Task {
        var options = Chapter5.Options()
        options.reserved = r
        options.excess = k
        options.accountConcurrency = 6
        options.held = 2
        options.scaleFactor = 200
        options.scalingBurst = 12
        options.asyncTimeScale = 0.005
        options.retryBaseMs = 200
        return try await exclusively { try await Chapter5.run(options) }
    }

    @Test("reserved concurrency 2, a burst of 4: 2 run, 2 get 429 with ReservedFunctionConcurrentInvocationLimitExceeded")
    func reserved() async throws {
        let step = try await Self.outcome.value.step("reserved concurrency")
        #expect(step.invocations.count == Self.r)
        #expect(step.throttled.count == Self.k)
        #expect(step.throttled.allSatisfy { $0.throttleReasons == ["ReservedFunctionConcurrentInvocationLimitExceeded"] })
    }

    @Test("with the SDK's retries every call succeeds: 2 at the first attempt, 2 after a backoff")
    func retries() async throws {
        let step = try await Self.outcome.value.step("retry with backoff")
        #expect(step.calls.allSatisfy { $0.status == 200 })
        #expect(step.calls.filter { $0.attempts == 1 }.count == Self.r)
        let retried = step.calls.filter { $0.attempts > 1 }
        #expect(retried.count == Self.k)
        #expect(retried.allSatisfy { $0.attempts <= 3 && $0.backoffMs > 0 && $0.latencyMs > $0.backoffMs })
    }

    @Test("an account of 6 with 2 held and 1 used by the orchestrator leaves 3: 1 of 4 gets ConcurrentInvocationLimitExceeded")
    func accountLimit() async throws {
        let step = try await Self.outcome.value.step("account limit")
        #expect(step.invocations.count == 3)
        #expect(step.throttled.count == 1)
        #expect(step.throttled.first?.throttleReasons == ["ConcurrentInvocationLimitExceeded"])
    }

    @Test("5 new environments per 50 ms: waves of 12 run 5, 10, 12 (more only by what refills while a wave arrives) and the rest get FunctionInvocationRateLimitExceeded")
    func scalingRate() async throws {
        let outcome = try await Self.outcome.value
        // The bucket refills one environment every 10 ms: a wave sent within that gets exactly the
        // bucket; a busy machine that spreads a wave's sends gives it that much more, never beyond.
        if outcome.waves.allSatisfy({ $0.sendSpreadMs < 10 }) {
            #expect(outcome.waves.map(\.ran) == [5, 10, 12])
            #expect(outcome.waves.map(\.throttled) == [7, 2, 0])
            #expect(outcome.waves.map(\.coldStarts) == [5, 5, 2])
        }
        #expect(outcome.waves.last?.ran == 12)
        #expect(outcome.claims.first { $0.claim.hasPrefix("At 5 new environments") }?.verdict == .held)
        let reasons = Set(outcome.steps.filter { $0.name.hasPrefix("scaling rate") }.flatMap(\.throttled).flatMap(\.throttleReasons))
        #expect(reasons == ["FunctionInvocationRateLimitExceeded"])
    }

    @Test("events: all 4 accepted, 3 succeed, the failing one runs 3 times and goes to the destination, none dropped")
    func asynchronous() async throws {
        let outcome = try await Self.outcome.value
        let async = outcome.asynchronous
        #expect(async.accepted == 4)
        #expect(async.counts.succeeded == 3)
        #expect(async.counts.sentToDestination == 1)
        #expect(async.counts.dropped == 0)
        #expect(async.counts.retriedAfterError == 2)
        #expect(async.counts.retriedAfterThrottle >= 1)
        #expect(async.destinationRan == 1)
        let failing = try #require(async.events.first { $0.index == 0 })
        #expect(failing.invocations == 3)
        #expect(failing.condition == "RetriesExhausted")
        #expect(async.events.count == 4)
        let allHeld = outcome.claims.allSatisfy { $0.holds }
        #expect(allHeld, "\(outcome.claims.filter { !$0.holds }.map(\.evidence))")
    }
}

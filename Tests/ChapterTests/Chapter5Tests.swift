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

    @Test("every claim of the run held, and the steps are the transcript's seven, in order")
    func claims() async throws {
        let outcome = try await Self.outcome.value
        let notHeld = outcome.claims.filter { !$0.holds }.map { $0.claim + " — " + $0.evidence }
        #expect(notHeld.isEmpty, "\(notHeld)")
        #expect(outcome.claims.count == 6)
        #expect(outcome.steps.map(\.name) == ["reserved concurrency", "retry with backoff", "account limit", "scaling rate, wave 1",
                                              "scaling rate, wave 2", "scaling rate, wave 3", "asynchronous invocation"])
    }

    @Test("reserved concurrency 2, a burst of 4: 2 run, 2 get 429 with ReservedFunctionConcurrentInvocationLimitExceeded and no record")
    func reserved() async throws {
        let step = try await Self.outcome.value.step("reserved concurrency")
        #expect(step.invocations.count == Self.r)
        #expect(step.throttled.count == Self.k)
        #expect(step.throttled.allSatisfy { $0.throttleReasons == ["ReservedFunctionConcurrentInvocationLimitExceeded"] })
        // A refused call never reached the function: none of the lab's records is one of them.
        #expect(Set(step.invocations.map(\.requestID)).isDisjoint(with: step.throttled.map(\.requestID)))
    }

    @Test("with the SDK's retries every call succeeds; each retried call's attempts are timed, the backoffs between them as waited")
    func retries() async throws {
        let step = try await Self.outcome.value.step("retry with backoff")
        #expect(step.calls.allSatisfy { $0.status == 200 })
        #expect(step.calls.filter { $0.attempts == 1 }.count == Self.r)
        let retried = step.calls.filter { $0.attempts > 1 }
        #expect(retried.count == Self.k)
        for call in retried {
            let attempts = call.attemptTimes
            #expect(attempts.count == call.attempts && call.attempts <= 3)
            #expect(attempts.dropLast().allSatisfy { $0.status == 429 } && attempts.last?.status == 200)
            #expect(attempts.compactMap(\.reason) == call.throttleReasons)
            // The waits between attempts are at least the SDK's drawn backoff, and the call's
            // latency spans all its attempts.
            let waited = zip(attempts, attempts.dropFirst()).map { $1.sentAtMs - ($0.sentAtMs + $0.latencyMs) }
            #expect(waited.allSatisfy { $0 >= 0 } && waited.reduce(0, +) >= call.backoffMs - 0.5)
            #expect(abs((attempts.last!.sentAtMs + attempts.last!.latencyMs) - (call.sentAtMs + call.latencyMs)) < 2)
        }
    }

    @Test("an account of 6 with 2 held and 1 used by the orchestrator leaves 3: 1 of 4 gets ConcurrentInvocationLimitExceeded")
    func accountLimit() async throws {
        let step = try await Self.outcome.value.step("account limit")
        #expect(step.invocations.count == 3)
        #expect(step.throttled.count == 1)
        #expect(step.throttled.first?.throttleReasons == ["ConcurrentInvocationLimitExceeded"])
    }

    @Test("5 new environments per 50 ms: waves of 12 run 5, 10, 12 (more only by what refills while a wave arrives); the rest get FunctionInvocationRateLimitExceeded")
    func scalingRate() async throws {
        let outcome = try await Self.outcome.value
        // The bucket refills one environment every 10 ms of arrivals: a wave that reached the lab
        // within that gets exactly the bucket; a busy machine that spreads a wave out gives it that
        // much more, never beyond (the chapter's claim checks the bound for every spread).
        if outcome.waves.allSatisfy({ $0.arrivalSpreadMs < 10 }) {
            #expect(outcome.waves.map(\.ran) == [5, 10, 12])
            #expect(outcome.waves.map(\.throttled) == [7, 2, 0])
            #expect(outcome.waves.map(\.coldStarts) == [5, 5, 2])
        }
        #expect(outcome.waves.last?.ran == 12)
        let reasons = Set(outcome.steps.filter { $0.name.hasPrefix("scaling rate") }.flatMap(\.throttled).flatMap(\.throttleReasons))
        #expect(reasons == ["FunctionInvocationRateLimitExceeded"])
    }

    @Test("events: all 4 answered 202, 3 succeed, the failing one runs 3 times and its record goes to the destination, none dropped")
    func asynchronous() async throws {
        let outcome = try await Self.outcome.value
        let async = outcome.asynchronous
        #expect(async.accepted == 4)
        #expect(async.counts.succeeded == 3 && async.counts.sentToDestination == 1 && async.counts.dropped == 0)
        #expect(async.counts.retriedAfterError == 2 && async.counts.retriedAfterThrottle >= 1)
        #expect(async.destinationRan == 1)
        let step = outcome.step("asynchronous invocation")
        let events = try #require(step.events)
        // The 4 events the orchestrator sent, and the record the queue sent to the destination.
        #expect(events.filter { $0.index != nil }.count == 4 && events.filter { $0.function == "on-failure" }.count == 1)
        let failing = try #require(events.first { $0.index == 0 })
        #expect(failing.invocations == 3 && failing.condition == "RetriesExhausted")
        #expect(step.invocations.filter { $0.requestID == failing.requestID }.count == 3)
        // Every run the events caused is in the step (so in the run's cost): 3 + 3 × 1 + the destination's.
        #expect(step.invocations.count == 3 + 3 + 1)
        #expect(step.calls.allSatisfy { $0.status == 202 } && step.throttled.isEmpty)
        #expect(events.allSatisfy { $0.endedAtMs >= $0.acceptedAtMs })
    }

    @Test("the picture shows every throttle: one 429 mark per throttled attempt with its Reason, each backoff, each event's runs, retries and ending; no title cut")
    func picture() async throws {
        let outcome = try await Self.outcome.value
        let picture = try PictureInspection.check(outcome.picture(), steps: outcome.steps)
        #expect(try picture.elements("g", class: "call-block").count == 7)
        let throttledAttempts = outcome.steps.flatMap(\.calls).flatMap(\.attemptTimes).filter { $0.status == 429 }
        let marks = try picture.marks("throttle")
        #expect(marks.count == throttledAttempts.count)
        #expect(marks.count == outcome.steps.flatMap(\.calls).map(\.throttleReasons.count).reduce(0, +))
        #expect(marks.count > 0)
        let events = try #require(outcome.step("asynchronous invocation").events)
        let endings = try picture.marks("ending-success").count + picture.marks("ending-failed").count
        #expect(endings == events.count)
        #expect(try picture.marks("retry").count == 2)
    }
}

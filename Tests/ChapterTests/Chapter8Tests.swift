import Contracts
import Foundation
import LabTestSupport
import Testing
import Workbook
@testable import chapter8

/// Chapter 8's claims, checked on one run of its experiment with small settings: a fan-out of 12,
/// 2 requests at once per environment (3 environments: 6 slots, so 6 calls are throttled at first).
@Suite("Chapter 8: the fan-out on Lambda Managed Instances", .serialized, .timeLimit(.minutes(10)))
struct Chapter8Tests {
    static let n = 12, k = 2
    static let outcome = Task {
        var options = Chapter8.Options()
        options.fanOut = n
        options.maxConcurrency = k
        return try await exclusively { try await Chapter8.run(options) }
    }

    func step(_ name: String) async throws -> StepOutcome {
        try await Self.outcome.value.step(name)
    }

    @Test("on Lambda's default, 12 at once start 12 environments, 12 cold starts")
    func onDefault() async throws {
        let step = try await step("on Lambda's default")
        #expect(step.environments == Self.n && step.coldStarts == Self.n)
    }

    @Test("publishing starts 3 environments, and the version is Active only after their Inits")
    func publish() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.managedInitDurationsMs.count == 3)
        #expect(outcome.publishToActiveMs >= outcome.managedInitDurationsMs.max()!)
    }

    @Test("on Managed Instances: 0 cold starts, the 3 published environments, 2 at once in each, exactly 6 throttled at first, all 12 answered")
    func onManaged() async throws {
        let step = try await step("on Managed Instances")
        #expect(step.coldStarts == 0 && step.environments == 3 && step.invocations.count == Self.n)
        let peaks = Chapter8.peakInFlight(step)
        #expect(peaks.values.sorted() == [Self.k, Self.k, Self.k], "\(peaks)")
        #expect(step.everThrottled.count == Self.n - 3 * Self.k)
        #expect(step.everThrottled.allSatisfy { $0.throttleReasons.first == "ConcurrentInvocationLimitExceeded" })
        #expect(step.calls.allSatisfy { $0.status == 200 })
        // The worker saw its neighbours: its own count of requests in flight reached K.
        let answers = step.invocations.compactMap { $0.response?.decode(WorkerAnswer.self) }
        #expect(answers.allSatisfy { $0.initializationType == "lambda-managed-instances" })
        #expect(answers.compactMap(\.inFlightInEnvironment).max() == Self.k)
        #expect(step.invocations.allSatisfy { $0.logLines.last?.hasPrefix("REPORT") == true && !$0.logLines.last!.contains("Billed Duration") })
    }

    @Test("a burst of three times the slots: throttles, the scaler adds environments, later calls run in them, none is a cold start")
    func burst() async throws {
        let outcome = try await Self.outcome.value
        let burst = try #require(outcome.steps.last)
        #expect(burst.coldStarts == 0 && burst.calls.allSatisfy { $0.status == 200 })
        #expect(burst.environments > 3)
        #expect(outcome.scaling.contains { $0.environmentsAfter > $0.environmentsBefore })
    }

    @Test("every claim the chapter prints held; the picture draws each environment's requests one above the other")
    func claimsAndPicture() async throws {
        let outcome = try await Self.outcome.value
        let failed = outcome.claims.filter { !$0.holds }
        #expect(failed.isEmpty, "\(failed.map { $0.claim + " — " + $0.evidence })")
        let picture = outcome.picture()
        #expect(picture.contains("data-most-at-once=\"\(Self.k)\""))
        #expect(picture.components(separatedBy: "data-request-id=").count - 1 >= outcome.steps.map(\.invocations.count).reduce(0, +))
        #expect(outcome.cost.managedPerHour > 0 && outcome.cost.onDemandPerHour > 0)
    }

    @Test("bad options are refused with a one-line message", arguments: [["--fan-out", "2"], ["--max-concurrency", "1"], ["--nope"]])
    func badOptions(arguments: [String]) {
        #expect(throws: WorkbookError.self) { try Chapter8.Options(arguments: arguments) }
    }
}

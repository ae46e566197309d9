import Contracts
import Foundation
import LambdaLab
import Timing
import Workbook

extension Chapter5 {
    /// One wave of the scaling-rate step, as the wave table prints it.
    struct Wave: Codable, Sendable {
        var wave: Int
        var ran: Int
        var throttled: Int
        var coldStarts: Int
        /// Environments of the worker after this wave.
        var environments: Int
        /// First to last send of the wave, at the orchestrator.
        var sendSpreadMs: Double
        /// First to last arrival at the lab of the calls that ran: while the wave arrives, the
        /// bucket refills (continuously, as AWS's does), so a wave spread out gets that much more room.
        var arrivalSpreadMs: Double
    }

    /// What the lab's queue counted for the asynchronous step (its events are the step's `events`).
    struct Asynchronous: Codable, Sendable {
        var accepted: Int
        var counts: EventCounts
        var destinationRan: Int
        var asyncTimeScale: Double
    }

    /// The scaled-down scaling rate, as the claims and the narrative say it.
    struct ScalingRateFigures {
        let bucket: Int
        let description: String
        /// One new environment's worth of refill.
        let refillIntervalMs: Double

        init(_ options: Options) {
            let rate = ScalingRate.aws(scaledDownBy: options.scaleFactor)
            bucket = rate.environments
            refillIntervalMs = rate.per.milliseconds / Double(rate.environments)
            description = "\(rate.environments) new environments per \(rate.per.milliseconds.twoDecimals) ms"
        }

        /// Each wave started at least the bucket's environments (or all it still needed), at most
        /// the bucket plus what refilled while the wave reached the lab (a busy machine spreads a
        /// wave out); it reused every warm one; and every call either ran or was throttled.
        func allow(_ waves: [Wave], burst: Int) -> Bool {
            var before = 0
            return waves.allSatisfy { wave in
                defer { before = wave.environments }
                let refilled = Int((wave.arrivalSpreadMs / refillIntervalMs).rounded(.up))
                let most = min(burst - before, bucket + refilled), least = min(burst - before, bucket)
                return wave.coldStarts >= least && wave.coldStarts <= most && wave.ran == before + wave.coldStarts
                    && wave.ran + wave.throttled == burst
            }
        }
    }

    /// Sends `count` events through the orchestrator, waits until the queue has ended every one
    /// (and the destination's records), and returns the step: every run the events caused (the
    /// destination's included) on the lab's clock from the first acceptance, the orchestrator's
    /// 202s as its calls and latency, and each event's ending.
    static func eventStep(_ lab: Lab, count: Int, payloads: [WorkerEvent]) async throws -> StepOutcome {
        let sent = try await FanOutStep.run(lab, name: "asynchronous invocation", target: "worker", count: count,
                                            calling: .init(invocationType: "Event", payloads: payloads))
        await lab.waitForQueuedEvents("worker")
        await lab.waitForQueuedEvents("on-failure")
        let endings = lab.eventEndings("worker") + lab.eventEndings("on-failure")
        let ids = Set(endings.map(\.requestID))
        let origin = endings.map(\.acceptedAtMs).min() ?? 0
        // Every run of an event has the event's own request ID, as on AWS.
        let runs = lab.records.filter { ids.contains($0.requestID) }
            .map { InvocationSummary(record: $0, latencyMs: nil, origin: .milliseconds(origin), response: nil) }
            .sorted { ($0.environmentID.environmentNumber, $0.handlerStartedAtMs) < ($1.environmentID.environmentNumber, $1.handlerStartedAtMs) }
        var step = StepOutcome(name: sent.name, invocations: runs, wallMs: sent.wallMs, sendSpreadMs: sent.sendSpreadMs)
        step.calls = sent.calls
        // The caller's latency is the 202's: all it waited for.
        step.latency = Summary(milliseconds: sent.calls.map(\.latencyMs))
        step.orchestratorInvocations = sent.orchestratorInvocations
        step.orchestratorBilledMs = sent.orchestratorBilledMs
        let callIndex = Dictionary(sent.calls.map { ($0.requestID, $0.index) }, uniquingKeysWith: { first, _ in first })
        step.events = endings.map { ending in
            EventSummary(index: callIndex[ending.requestID], function: ending.functionName, requestID: ending.requestID,
                         acceptedAtMs: ending.acceptedAtMs - origin, endedAtMs: ending.endedAtMs - origin, invocations: ending.invocations,
                         throttles: ending.throttles, condition: ending.condition, destination: ending.destination)
        }
        .sorted { ($0.index ?? .max, $0.acceptedAtMs) < ($1.index ?? .max, $1.acceptedAtMs) }
        return step
    }

    // MARK: Tables

    /// Every call of a step as its caller saw it, the refused ones included.
    static func callTable(_ step: StepOutcome) -> String {
        var table = TextTable([("call", .right), ("status", .right), ("attempts", .right), ("throttled as", .left),
                               ("backoff", .right), ("latency", .right)])
        for call in step.calls {
            // Each attempt's reason; a reason repeated is counted, not repeated.
            let reasons = call.throttleReasons.isEmpty ? "—"
                : Set(call.throttleReasons).sorted().map { reason in
                    let count = call.throttleReasons.filter { $0 == reason }.count
                    return count > 1 ? "\(count) × \(reason)" : reason
                }.joined(separator: ", ")
            table.add([String(call.index), String(call.status), String(call.attempts), reasons,
                       call.backoffMs > 0 ? call.backoffMs.twoDecimals + " ms" : "—", call.latencyMs.twoDecimals + " ms"])
        }
        return table.render()
    }

    static func waveTable(_ waves: [Wave]) -> String {
        var table = TextTable([("wave", .right), ("ran", .right), ("throttled (429)", .right), ("cold starts", .right), ("environments", .right)])
        for wave in waves {
            table.add([String(wave.wave), String(wave.ran), String(wave.throttled), String(wave.coldStarts), String(wave.environments)])
        }
        return table.render()
    }

    /// Each event from its acceptance: how long it waited in the queue before its first run, that
    /// run's Init (a cold start's, not the queue's), when it ended and how.
    static func eventTable(_ step: StepOutcome) -> String {
        var table = TextTable([("event", .right), ("runs", .right), ("throttled", .right), ("queued", .right), ("then Init", .right),
                               ("ended after", .right), ("ending", .left)])
        for event in step.events ?? [] {
            let first = step.invocations.filter { $0.requestID == event.requestID }.min { $0.receivedAtMs < $1.receivedAtMs }
            let destination = event.destination.map { " → " + ($0.split(separator: ":").last.map(String.init) ?? $0) } ?? ""
            table.add([event.index.map(String.init) ?? event.function, String(event.invocations), String(event.throttles),
                       first.map { ($0.receivedAtMs - event.acceptedAtMs).twoDecimals + " ms" } ?? "—",
                       first.flatMap { $0.coldStart ? $0.initDurationMs : nil }.map { $0.twoDecimals + " ms" } ?? "—",
                       (event.endedAtMs - event.acceptedAtMs).twoDecimals + " ms", event.condition + destination])
        }
        return table.render()
    }
}

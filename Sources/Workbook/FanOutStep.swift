import Contracts
import Foundation
import LambdaLab
import Timing

/// Runs one fan-out step: invokes the orchestrator function, which calls `target` `count` times
/// (at once, or one after another), then joins its per-call latencies with the lab's records.
public enum FanOutStep {
    /// How the orchestrator calls: synchronously or as events, with or without the SDKs' retries,
    /// at once or at a steady rate, and whether a throttle (429) is part of the lesson or a failure
    /// of the step.
    public struct Calling: Sendable {
        public var invocationType: String?
        /// One event per call (call i gets `payloads[i % count]`).
        public var payloads: [WorkerEvent]?
        public var retry: RetryPolicy?
        public var acceptThrottles: Bool
        /// A steady rate: call i sent `i × intervalMs` after the first; nil sends them all at once.
        public var intervalMs: Double?

        public init(invocationType: String? = nil, payloads: [WorkerEvent]? = nil, retry: RetryPolicy? = nil,
                    acceptThrottles: Bool = false, intervalMs: Double? = nil) {
            self.invocationType = invocationType
            self.payloads = payloads
            self.retry = retry
            self.acceptThrottles = acceptThrottles
            self.intervalMs = intervalMs
        }
    }

    /// - Parameters:
    ///   - orchestrator: the orchestrator function, and the alias or version to invoke it through.
    ///   - target: the function to fan out to, `count` times; nil for both leaves them to the
    ///     orchestrator's own configuration (`FAN_OUT_FUNCTION`, `FAN_OUT_WIDTH`).
    public static func run(_ lab: Lab, name: String, orchestrator: String = "orchestrator", orchestratorQualifier: String? = nil,
                           target: String?, qualifier: String? = nil, count: Int?, sequential: Bool = false,
                           payload: WorkerEvent? = nil, calling: Calling = Calling()) async throws -> StepOutcome {
        let event = FanOutEvent(function: target, qualifier: qualifier, count: count, sequential: sequential,
                                payload: try payload.map { try JSONValue(encoding: $0) },
                                payloads: try calling.payloads?.map { try JSONValue(encoding: $0) },
                                invocationType: calling.invocationType, retry: calling.retry, intervalMs: calling.intervalMs)
        let result = try await lab.invoke(orchestrator, qualifier: orchestratorQualifier, payload: Array(try JSONEncoder().encode(event)))
        guard result.functionError == nil else { throw StepError.orchestratorFailed(result.payloadText) }
        let answer = try JSONDecoder().decode(FanOutAnswer.self, from: Data(result.payload))
        let expected = calling.invocationType == "Event" ? 202 : 200
        let failed = answer.calls.filter { $0.status != expected && !(calling.acceptThrottles && $0.status == 429) }
        guard failed.isEmpty else { throw StepError.callsFailed(failed.map { "\($0.status) \($0.response)" }) }
        let calls = answer.calls.sorted { $0.index < $1.index }.map { call in
            var summary = CallSummary(index: call.index, requestID: call.requestID, status: call.status, latencyMs: call.latencyMs,
                                      attempts: call.attempts,
                                      throttleReasons: call.status == 429 && call.throttleReasons.isEmpty ? [call.throttleReason] : call.throttleReasons,
                                      backoffMs: call.backoffMs, report: call.report)
            summary.sentAtMs = call.sentAtMs
            summary.attemptLog = call.attemptLog
            return summary
        }
        // Only calls that ran have records (a 429 never reached a function; an event runs later).
        let ran = calling.invocationType == "Event" ? [] : answer.calls.filter { $0.status == 200 }
        let records = lab.records(requestIDs: ran.map(\.requestID))
        guard records.count == ran.count else { throw StepError.missingRecords }
        let origin = records.map(\.receivedAt).min() ?? .zero
        let byRequest = Dictionary(ran.map { ($0.requestID, $0) }, uniquingKeysWith: { first, _ in first })
        let invocations = records.map { record in
            InvocationSummary(record: record, latencyMs: byRequest[record.requestID]?.latencyMs, origin: origin,
                              response: byRequest[record.requestID]?.response)
        }
        .sorted { ($0.environmentID.environmentNumber, $0.handlerStartedAtMs) < ($1.environmentID.environmentNumber, $1.handlerStartedAtMs) }
        let sent = answer.calls.map(\.sentAtMs)
        var step = StepOutcome(name: name, invocations: invocations, wallMs: answer.wallMs,
                               sendSpreadMs: (sent.max() ?? 0) - (sent.min() ?? 0))
        step.calls = calls
        step.orchestratorInvocations = 1
        step.orchestratorBilledMs = result.record?.billedDurationMs ?? 0
        return step
    }
}

public enum StepError: Error, CustomStringConvertible {
    case orchestratorFailed(String)
    case callsFailed([String])
    case missingRecords

    public var description: String {
        switch self {
        case .orchestratorFailed(let payload): "the orchestrator failed: \(payload)"
        case .callsFailed(let calls): "\(calls.count) calls failed: \(calls.prefix(3).joined(separator: "; "))"
        case .missingRecords: "the lab has no record of some calls"
        }
    }
}

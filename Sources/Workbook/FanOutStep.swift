import Foundation
import LambdaLab
import Timing

/// Runs one fan-out step: invokes the orchestrator function, which calls `target` `count` times
/// (at once, or one after another), then joins its per-call latencies with the lab's records.
public enum FanOutStep {
    struct Call: Decodable {
        var index: Int
        var requestId: String
        var status: Int
        var latencyMs: Double
        /// When the orchestrator wrote this call's request, from its first write.
        var sentAtMs: Double?
        var response: String
        var attempts: Int?
        var throttleReasons: [String]?
        var backoffMs: Double?
    }

    struct Answer: Decodable {
        var calls: [Call]
        var wallMs: Double
    }

    /// How the orchestrator calls: synchronously or as events, with or without the SDKs' retries,
    /// and whether a throttle (429) is part of the lesson or a failure of the step.
    public struct Calling: Sendable {
        public var invocationType: String?
        /// One payload per call, as JSON text (call i gets `payloads[i % count]`).
        public var payloads: [String]?
        public var retry: (maxAttempts: Int, baseMs: Double, seed: UInt64?)?
        public var acceptThrottles: Bool
        /// A steady rate: call i sent `i × intervalMs` after the first; nil sends them all at once.
        public var intervalMs: Double?

        public init(invocationType: String? = nil, payloads: [String]? = nil, retry: (maxAttempts: Int, baseMs: Double, seed: UInt64?)? = nil,
                    acceptThrottles: Bool = false, intervalMs: Double? = nil) {
            self.invocationType = invocationType
            self.payloads = payloads
            self.retry = retry
            self.acceptThrottles = acceptThrottles
            self.intervalMs = intervalMs
        }
    }

    public static func run(_ lab: Lab, name: String, orchestrator: String = "orchestrator", target: String,
                           qualifier: String? = nil, count: Int, sequential: Bool = false,
                           payload: [String: Any]? = nil, calling: Calling = Calling()) async throws -> StepOutcome {
        var event: [String: Any] = ["function": target, "count": count, "sequential": sequential]
        if let qualifier { event["qualifier"] = qualifier }
        if let payload { event["payload"] = payload }
        if let type = calling.invocationType { event["invocationType"] = type }
        if let interval = calling.intervalMs { event["intervalMs"] = interval }
        if let payloads = calling.payloads {
            event["payloads"] = try payloads.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        }
        if let retry = calling.retry {
            var policy: [String: Any] = ["maxAttempts": retry.maxAttempts, "baseMs": retry.baseMs]
            if let seed = retry.seed { policy["seed"] = seed }
            event["retry"] = policy
        }
        let payload = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
        let result = try await lab.invoke(orchestrator, payload: Array(payload))
        guard result.functionError == nil else { throw StepError.orchestratorFailed(result.payloadText) }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(result.payload))
        let expected = calling.invocationType == "Event" ? 202 : 200
        let failed = answer.calls.filter { $0.status != expected && !(calling.acceptThrottles && $0.status == 429) }
        guard failed.isEmpty else { throw StepError.callsFailed(failed.map { "\($0.status) \($0.response)" }) }
        let calls = answer.calls.sorted { $0.index < $1.index }.map { call in
            CallSummary(index: call.index, requestId: call.requestId, status: call.status, latencyMs: call.latencyMs,
                        attempts: call.attempts ?? 1,
                        throttleReasons: call.status == 429 && (call.throttleReasons ?? []).isEmpty ? [reason(call.response)] : call.throttleReasons ?? [],
                        backoffMs: call.backoffMs ?? 0)
        }
        // Only calls that ran have records (a 429 never reached a function; an event runs later).
        let ran = calling.invocationType == "Event" ? [] : answer.calls.filter { $0.status == 200 }
        let records = lab.records(requestIDs: ran.map(\.requestId))
        guard records.count == ran.count else { throw StepError.missingRecords }
        let origin = records.map(\.receivedAt).min() ?? .zero
        let latency = Dictionary(ran.map { ($0.requestId, $0) }, uniquingKeysWith: { a, _ in a })
        let invocations = records.map { record in
            InvocationSummary(record: record, latencyMs: latency[record.requestID]?.latencyMs, origin: origin,
                              response: latency[record.requestID]?.response)
        }
        .sorted { ($0.environmentId.environmentNumber, $0.handlerStartedAtMs) < ($1.environmentId.environmentNumber, $1.handlerStartedAtMs) }
        let sent = answer.calls.compactMap(\.sentAtMs)
        var step = StepOutcome(name: name, invocations: invocations, wallMs: answer.wallMs,
                               sendSpreadMs: (sent.max() ?? 0) - (sent.min() ?? 0))
        step.calls = calls
        step.orchestratorInvocations = 1
        step.orchestratorBilledMs = result.record?.billedDurationMs ?? 0
        return step
    }

    /// The `Reason` of a TooManyRequestsException body.
    static func reason(_ body: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return "" }
        return object["Reason"] as? String ?? ""
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

extension String {
    /// 3 for "env-3": environments sort in start order.
    public var environmentNumber: Int { Int(split(separator: "-").last ?? "") ?? 0 }
}

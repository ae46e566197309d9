import Foundation
import LambdaLab
import Timing

/// Runs one fan-out step: invokes the orchestrator function, which calls `target` `count` times
/// (at once, or one after another), then joins its per-call latencies with the lab's records.
public enum FanOutStep {
    struct Call: Decodable {
        var requestId: String
        var status: Int
        var latencyMs: Double
        /// When the orchestrator wrote this call's request, from its first write.
        var sentAtMs: Double?
        var response: String
    }

    struct Answer: Decodable {
        var calls: [Call]
        var wallMs: Double
    }

    public static func run(_ lab: Lab, name: String, orchestrator: String = "orchestrator", target: String,
                           qualifier: String? = nil, count: Int, sequential: Bool = false,
                           payload: [String: Any]? = nil) async throws -> StepOutcome {
        var event: [String: Any] = ["function": target, "count": count, "sequential": sequential]
        if let qualifier { event["qualifier"] = qualifier }
        if let payload { event["payload"] = payload }
        let payload = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
        let result = try await lab.invoke(orchestrator, payload: Array(payload))
        guard result.functionError == nil else { throw StepError.orchestratorFailed(result.payloadText) }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(result.payload))
        let failed = answer.calls.filter { $0.status != 200 }
        guard failed.isEmpty else { throw StepError.callsFailed(failed.map { "\($0.status) \($0.response)" }) }
        let records = lab.records(requestIDs: answer.calls.map(\.requestId))
        guard records.count == answer.calls.count else { throw StepError.missingRecords }
        let origin = records.map(\.receivedAt).min() ?? .zero
        let latency = Dictionary(answer.calls.map { ($0.requestId, $0) }, uniquingKeysWith: { a, _ in a })
        let invocations = records.map { record in
            InvocationSummary(record: record, latencyMs: latency[record.requestID]?.latencyMs, origin: origin,
                              response: latency[record.requestID]?.response)
        }
        .sorted { ($0.environmentId.environmentNumber, $0.handlerStartedAtMs) < ($1.environmentId.environmentNumber, $1.handlerStartedAtMs) }
        let sent = answer.calls.compactMap(\.sentAtMs)
        return StepOutcome(name: name, invocations: invocations, wallMs: answer.wallMs,
                           sendSpreadMs: (sent.max() ?? 0) - (sent.min() ?? 0))
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

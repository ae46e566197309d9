import Contracts

/// One asynchronous event of a step, as the lab's queue handled it: when it was accepted and when
/// it ended, on the step's clock (from its first event's acceptance, the lab's clock); how many
/// times the function ran it (each run an invocation with the event's own request ID, as on AWS)
/// and how many times a throttle sent it back to wait; and how it ended.
public struct EventSummary: Codable, Sendable {
    /// The call's index in the fan-out; nil for an event the lab sent itself (a destination's record).
    public var index: Int?
    public var function: String
    public var requestID: String
    public var acceptedAtMs: Double
    public var endedAtMs: Double
    public var invocations: Int
    public var throttles: Int
    /// `Success`, `RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency`, …
    public var condition: String
    /// The function its invocation record was sent to, if any.
    public var destination: String?

    public init(index: Int?, function: String, requestID: String, acceptedAtMs: Double, endedAtMs: Double, invocations: Int,
                throttles: Int, condition: String, destination: String?) {
        self.index = index
        self.function = function
        self.requestID = requestID
        self.acceptedAtMs = acceptedAtMs
        self.endedAtMs = endedAtMs
        self.invocations = invocations
        self.throttles = throttles
        self.condition = condition
        self.destination = destination
    }
}

extension CallSummary {
    /// One attempt of a call as its caller timed it, on the step's clock (from its first write).
    public struct Attempt: Sendable {
        public var sentAtMs: Double
        public var latencyMs: Double
        public var status: Int
        /// The `Reason` of a 429.
        public var reason: String?
    }

    /// Every attempt of the call: its log when it was retried, else its one attempt.
    public var attemptTimes: [Attempt] {
        guard let log = attemptLog, !log.isEmpty else {
            return [Attempt(sentAtMs: sentAtMs, latencyMs: latencyMs, status: status, reason: status == 429 ? throttleReasons.first : nil)]
        }
        var reasons = throttleReasons.makeIterator()
        return log.map { attempt in
            Attempt(sentAtMs: sentAtMs + attempt.offsetMs, latencyMs: attempt.latencyMs, status: attempt.status,
                    reason: attempt.status == 429 ? reasons.next() : nil)
        }
    }
}

import Foundation
import Timing

/// How a function's asynchronous (`Event`) invocations are retried and where their records go
/// (`PutFunctionEventInvokeConfig`; chapters/aws-facts.md#asynchronous-invocation). Defaults are
/// AWS's.
public struct EventInvokeConfig: Sendable, Equatable {
    /// Retries after a function error: 0–2 (AWS default 2).
    public var maximumRetryAttempts: Int = 2
    /// How long an event may wait, retries and throttles included: 60–21,600 s (AWS default 6 h).
    public var maximumEventAgeSeconds: Int = 21_600
    /// Function ARNs that receive an invocation record (the lab supports Lambda destinations only).
    public var onSuccess: String?
    public var onFailure: String?
    public var lastModified = Date()

    public init(maximumRetryAttempts: Int = 2, maximumEventAgeSeconds: Int = 21_600, onSuccess: String? = nil, onFailure: String? = nil) {
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumEventAgeSeconds = maximumEventAgeSeconds
        self.onSuccess = onSuccess
        self.onFailure = onFailure
    }
}

/// What became of a function's accepted asynchronous events. Every accepted event ends in exactly
/// one of `succeeded`, `sentToDestination` or `dropped`; until then it is `queued`.
public struct EventCounts: Sendable, Equatable, Codable {
    public var accepted = 0
    public var succeeded = 0
    /// Events whose failure record went to the on-failure destination.
    public var sentToDestination = 0
    /// Events given up with no destination to take them; each is logged with the reason.
    public var dropped = 0
    /// Invocations repeated after a function error.
    public var retriedAfterError = 0
    /// Invocations repeated after a throttle (or a lab error).
    public var retriedAfterThrottle = 0
    /// Accepted and not yet ended.
    public var queued: Int { accepted - succeeded - sentToDestination - dropped }

    public init() {}
}

/// One accepted asynchronous invocation, until it ends. Every attempt to run it is an invocation
/// with the event's own request ID, as on AWS.
struct QueuedEvent: Sendable {
    let requestID: RequestID
    let functionName: String
    let qualifier: String?
    let payload: [UInt8]
    let acceptedAt: Instant
    /// Times the function ran this event (AWS's `approximateInvokeCount`).
    var invocations = 0
    var throttles = 0
}

/// How one accepted event ended, for the chapters: when it was accepted and ended (from the lab's
/// start), how many times it ran and was throttled, and its condition — `Success`,
/// `RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency`, `ResourceNotFound` — and
/// whether its record went to a destination.
public struct EventEnding: Sendable, Codable, Equatable {
    public let requestID: String
    public let functionName: String
    public let acceptedAtMs: Double
    public let endedAtMs: Double
    public let invocations: Int
    public let throttles: Int
    public let condition: String
    public let destination: String?
}

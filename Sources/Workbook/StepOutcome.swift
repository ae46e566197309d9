import Contracts
import Timing

/// One step of an experiment: what was invoked and what the lab saw.
public struct StepOutcome: Codable, Sendable {
    public var name: String
    /// Distinct execution environments that served this step.
    public var environments: Int
    public var coldStarts: Int
    public var invocations: [InvocationSummary]
    /// Latency as the caller saw it.
    public var latency: Summary
    /// First call sent → last answer received, as the caller measured it.
    public var wallMs: Double
    /// First request written → last request written, as the caller measured it.
    public var sendSpreadMs: Double
    /// First arrival at the lab's router → last arrival: how long the burst took to reach the lab.
    /// A burst is only "at once" if this is shorter than one invocation's handler time.
    public var arrivalSpreadMs: Double
    /// First arrival → the first call of the step to finish. A burst is faithful (truly concurrent,
    /// as on AWS, whose front end routes in microseconds) only if every request arrived before this.
    public var firstFinishMs: Double
    /// Connections the stand-in database accepted during the step (counted by the database).
    public var databaseConnections: Int?
    /// Every call as the orchestrator saw it, those that never ran (429) included.
    public var calls: [CallSummary] = []
    /// The orchestrator's own invocations in this step and their Billed Duration: a learner's
    /// bill has them too.
    public var orchestratorInvocations = 0
    public var orchestratorBilledMs = 0
    /// An asynchronous step's events, as the lab's queue handled them (nil for a synchronous step):
    /// when each was accepted and ended, on this step's clock, and how.
    public var events: [EventSummary]?

    public init(name: String, invocations: [InvocationSummary], wallMs: Double, sendSpreadMs: Double = 0) {
        self.name = name
        self.invocations = invocations
        self.environments = Set(invocations.map(\.environmentID)).count
        self.coldStarts = invocations.filter(\.coldStart).count
        self.latency = Summary(milliseconds: invocations.compactMap(\.latencyMs))
        self.wallMs = wallMs
        self.sendSpreadMs = sendSpreadMs
        let arrivals = invocations.map(\.receivedAtMs)
        self.arrivalSpreadMs = (arrivals.max() ?? 0) - (arrivals.min() ?? 0)
        let finishes = invocations.map { $0.handlerStartedAtMs + $0.durationMs }
        self.firstFinishMs = (finishes.min() ?? 0) - (arrivals.min() ?? 0)
    }

    /// Every request reached the lab before any call of the step had finished.
    public var arrivedAtOnce: Bool { arrivalSpreadMs < firstFinishMs }

    public var environmentIDs: Set<String> { Set(invocations.map(\.environmentID)) }
    public var initDurations: Summary { Summary(milliseconds: invocations.compactMap(\.initDurationMs)) }
    public var initCPUTimes: Summary { Summary(milliseconds: invocations.compactMap(\.initCPUMs)) }
    public var durations: Summary { Summary(milliseconds: invocations.map(\.durationMs)) }
    /// Sum of Billed Duration over the step's invocations (Init included on cold starts).
    public var billedTotalMs: Int { invocations.map(\.billedDurationMs).reduce(0, +) }
}

/// One call of a step as its caller saw it: its final status, and what it took to get there.
public struct CallSummary: Codable, Sendable {
    public var index: Int
    public var requestID: String
    /// 200 ran, 202 accepted as an event, 429 throttled (after every attempt, with retries).
    public var status: Int
    /// From the first attempt's send to the last answer.
    public var latencyMs: Double
    public var attempts: Int
    /// The `Reason` of each attempt that was throttled, in order.
    public var throttleReasons: [String]
    /// Time spent waiting between attempts (the SDK's backoff).
    public var backoffMs: Double
    /// Its REPORT line as the orchestrator read it from the log tail (`X-Amz-Log-Type: Tail`).
    public var report: CallReport?
    /// When its first attempt was written, from the step's first write (the orchestrator's clock).
    public var sentAtMs: Double = 0
    /// Every attempt of a retried call as the orchestrator timed it; nil for a call tried once.
    public var attemptLog: [FanOutAttempt]?

    public init(index: Int, requestID: String, status: Int, latencyMs: Double, attempts: Int, throttleReasons: [String],
                backoffMs: Double, report: CallReport?) {
        self.index = index
        self.requestID = requestID
        self.status = status
        self.latencyMs = latencyMs
        self.attempts = attempts
        self.throttleReasons = throttleReasons
        self.backoffMs = backoffMs
        self.report = report
    }
}

extension StepOutcome {
    /// Calls answered 429 in the end.
    public var throttled: [CallSummary] { calls.filter { $0.status == 429 } }
    /// Calls throttled at least once, whatever their end.
    public var everThrottled: [CallSummary] { calls.filter { !$0.throttleReasons.isEmpty } }
}

/// One of a chapter's claims, and whether it held in this run.
public struct Claim: Codable, Sendable {
    /// A claim the run could not test (its options make it true by construction, or leave nothing
    /// to compare) is "not applicable", with the reason — never "held".
    public enum Verdict: String, Codable, Sendable {
        case held
        case didNotHold = "did not hold"
        case notApplicable = "not applicable"
    }

    public var claim: String
    public var verdict: Verdict
    /// The figures that decided it, or why it does not apply.
    public var evidence: String

    public var holds: Bool { verdict == .held }
    public var failed: Bool { verdict == .didNotHold }

    public init(_ claim: String, holds: Bool, evidence: String) {
        self.claim = claim
        self.verdict = holds ? .held : .didNotHold
        self.evidence = evidence
    }

    /// A claim checked only when `unless` is nil; otherwise not applicable for that reason.
    public init(_ claim: String, unless reason: String?, holds: @autoclosure () -> Bool, evidence: @autoclosure () -> String) {
        self.claim = claim
        if let reason {
            self.verdict = .notApplicable
            self.evidence = reason
        } else {
            self.verdict = holds() ? .held : .didNotHold
            self.evidence = evidence()
        }
    }

    private enum CodingKeys: String, CodingKey { case claim, verdict, holds, evidence }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        claim = try container.decode(String.self, forKey: .claim)
        verdict = try container.decode(Verdict.self, forKey: .verdict)
        evidence = try container.decode(String.self, forKey: .evidence)
    }

    /// `holds` is written too, for readers of the JSON that only ask whether it held.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(claim, forKey: .claim)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(holds, forKey: .holds)
        try container.encode(evidence, forKey: .evidence)
    }
}

/// The orchestrator's event and answer: what a chapter sends it, what it sends back. Both the
/// orchestrator and the Workbook use these types, so the contract is written once.

/// Invoke `function` `count` times: at once, one after another, or at a steady rate. Without
/// `function` or `count`, the orchestrator's own configuration decides (`FAN_OUT_FUNCTION`,
/// `FAN_OUT_WIDTH`), as the article's Terraform stack sets them: then `{}` is a whole fan-out.
public struct FanOutEvent: Codable, Sendable {
    public var function: String?
    public var qualifier: String?
    public var count: Int?
    /// One call after another on one connection, instead of all at once.
    public var sequential: Bool?
    /// Sent to every call as it is; `{"key": "<function>-<index>"}` when absent.
    public var payload: JSONValue?
    /// One payload per call (call i gets `payloads[i % payloads.count]`); wins over `payload`.
    public var payloads: [JSONValue]?
    /// `RequestResponse` (default) or `Event`: an asynchronous invocation, answered 202 at once.
    public var invocationType: String?
    /// Retry throttled calls (429) as AWS's SDKs do in their standard retry mode; nil: never.
    public var retry: RetryPolicy?
    /// A steady rate instead of a burst: call i is written `i × intervalMs` after the first, whether
    /// or not earlier calls have answered (open loop, as independent clients arrive).
    public var intervalMs: Double?

    public init(function: String?, qualifier: String? = nil, count: Int?, sequential: Bool? = nil, payload: JSONValue? = nil,
                payloads: [JSONValue]? = nil, invocationType: String? = nil, retry: RetryPolicy? = nil, intervalMs: Double? = nil) {
        self.function = function
        self.qualifier = qualifier
        self.count = count
        self.sequential = sequential
        self.payload = payload
        self.payloads = payloads
        self.invocationType = invocationType
        self.retry = retry
        self.intervalMs = intervalMs
    }
}

/// The AWS SDKs' standard retry mode, for throttles: at most `maxAttempts` attempts in all (the
/// SDKs' default is 3), the i-th retry after a random wait in [0, min(base × 2^(i−1), 20 s)) —
/// exponential backoff with full jitter
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
public struct RetryPolicy: Codable, Sendable {
    public var maxAttempts: Int
    /// The SDKs use 1 s; a chapter may shorten it to keep a run quick, and says so.
    public var baseMs: Double
    /// The SDKs draw each wait at random; with a seed the draws are repeatable (each call its own
    /// stream, from the seed and its index), so a chapter's run can be reproduced. Without one, the
    /// system's generator.
    public var seed: UInt64?

    public init(maxAttempts: Int, baseMs: Double, seed: UInt64? = nil) {
        self.maxAttempts = maxAttempts
        self.baseMs = baseMs
        self.seed = seed
    }
}

/// What the orchestrator answers: every call as it measured it.
public struct FanOutAnswer: Codable, Sendable {
    public var calls: [FanOutCall]
    /// First send → last response.
    public var wallMs: Double

    public init(calls: [FanOutCall], wallMs: Double) {
        self.calls = calls
        self.wallMs = wallMs
    }
}

/// One call as the orchestrator measured it.
public struct FanOutCall: Codable, Sendable {
    public var index: Int
    /// From the Invoke API's `x-amzn-RequestId`, so the lab's records can be joined to this call.
    public var requestID: String
    public var status: Int
    public var functionError: String?
    /// This call's request sent → its response read (from the first attempt, with retries).
    public var latencyMs: Double
    /// When this call's request was written, from the first write.
    public var sentAtMs: Double = 0
    /// The called function's answer, as JSON (an error body for a failed or throttled call).
    public var response: JSONValue
    /// Attempts it took (1 without retries), the throttle reason of each attempt that got 429, and
    /// the time spent waiting between attempts.
    public var attempts = 1
    public var throttleReasons: [String] = []
    public var backoffMs: Double = 0
    /// Every attempt of a call that was retried, as the orchestrator timed it; nil for a call
    /// tried once (its one attempt is `sentAtMs` and `latencyMs`).
    public var attemptLog: [FanOutAttempt]?
    /// The call's REPORT line, from the log tail the Invoke API returns (`X-Amz-Log-Type: Tail`):
    /// the orchestrator knows each call's Duration and Init Duration without CloudWatch.
    public var report: CallReport?

    public init(index: Int, requestID: String, status: Int, functionError: String?, latencyMs: Double, response: JSONValue) {
        self.index = index
        self.requestID = requestID
        self.status = status
        self.functionError = functionError
        self.latencyMs = latencyMs
        self.response = response
    }

    /// The `Reason` of a TooManyRequestsException body ("" for any other answer).
    public var throttleReason: String { response["Reason"]?.string ?? "" }
}

/// One attempt of a retried call, as the orchestrator timed it: written `offsetMs` after the
/// call's first attempt, answered `latencyMs` later with `status` (429: throttled, and retried if
/// attempts remain). The gap to the next attempt is the backoff as it was really waited.
public struct FanOutAttempt: Codable, Sendable, Equatable {
    public var offsetMs: Double
    public var latencyMs: Double
    public var status: Int

    public init(offsetMs: Double, latencyMs: Double, status: Int) {
        self.offsetMs = offsetMs
        self.latencyMs = latencyMs
        self.status = status
    }
}

/// The figures of one REPORT line (chapters/aws-facts.md#platform-log-lines).
public struct CallReport: Codable, Sendable, Equatable {
    public var durationMs: Double
    public var billedDurationMs: Int
    public var memorySizeMB: Int
    public var maxMemoryUsedMB: Int
    /// Only on a cold start.
    public var initDurationMs: Double?

    public init(durationMs: Double, billedDurationMs: Int, memorySizeMB: Int, maxMemoryUsedMB: Int, initDurationMs: Double?) {
        self.durationMs = durationMs
        self.billedDurationMs = billedDurationMs
        self.memorySizeMB = memorySizeMB
        self.maxMemoryUsedMB = maxMemoryUsedMB
        self.initDurationMs = initDurationMs
    }

    /// Reads the last REPORT line of a log tail:
    /// `REPORT RequestId: … Duration: 3.01 ms Billed Duration: 114 ms Memory Size: 128 MB Max Memory Used: 36 MB Init Duration: 110.10 ms`.
    public init?(logTail: String) {
        guard let line = logTail.split(separator: "\n").last(where: { $0.hasPrefix("REPORT ") }) else { return nil }
        func field(_ name: String) -> Double? {
            for part in line.split(separator: "\t") {
                let text = part.drop { $0 == " " }
                guard text.hasPrefix(name + ": ") else { continue }
                return Double(text.dropFirst(name.count + 2).split(separator: " ").first ?? "")
            }
            return nil
        }
        guard let duration = field("Duration"), let billed = field("Billed Duration") else { return nil }
        self.init(durationMs: duration, billedDurationMs: Int(billed), memorySizeMB: Int(field("Memory Size") ?? 0),
                  maxMemoryUsedMB: Int(field("Max Memory Used") ?? 0), initDurationMs: field("Init Duration"))
    }
}

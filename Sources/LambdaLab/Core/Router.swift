/// Where an invocation goes: a pure decision over the function's environments and the limits, kept
/// apart from the lab's machinery so each rule can be tested on its own.
///
/// Rules, in order (chapters/aws-facts.md#invoke-phase, #concurrency-model, #throttling):
/// 1. Concurrency is the number of in-flight invocations. A function with reserved concurrency may
///    have at most that many in flight (`ReservedFunctionConcurrentInvocationLimitExceeded`);
///    functions without it share what the account has left after all reservations
///    (`ConcurrentInvocationLimitExceeded`).
/// 2. An idle environment of the invoked version is reused — provisioned ones first — so the lab
///    never cold-starts while one of that version is idle.
/// 3. Otherwise a new environment is started: a cold start.
public enum Router {
    public enum Decision: Equatable, Sendable {
        case reuse(environmentID: EnvironmentID)
        case coldStart
        case throttle(reason: String)
    }

    public struct Limits: Sendable {
        public var accountConcurrency: Int
        /// Sum of every function's reserved concurrency in the account.
        public var totalReserved: Int
        /// This function's reserved concurrency, if it has one.
        public var reserved: Int?

        public init(accountConcurrency: Int, totalReserved: Int = 0, reserved: Int? = nil) {
            self.accountConcurrency = accountConcurrency
            self.totalReserved = totalReserved
            self.reserved = reserved
        }
    }

    public struct Candidate: Sendable {
        public let environmentID: EnvironmentID
        public let isProvisioned: Bool

        public init(environmentID: EnvironmentID, isProvisioned: Bool) {
            self.environmentID = environmentID
            self.isProvisioned = isProvisioned
        }
    }

    /// - Parameters:
    ///   - idle: idle environments of the invoked version, most recently used first.
    ///   - inFlightForFunction: invocations in flight for this function (all versions).
    ///   - inFlightUnreserved: invocations in flight for functions without reserved concurrency.
    public static func route(idle: [Candidate], inFlightForFunction: Int, inFlightUnreserved: Int, limits: Limits) -> Decision {
        if let reserved = limits.reserved {
            if inFlightForFunction >= reserved { return .throttle(reason: "ReservedFunctionConcurrentInvocationLimitExceeded") }
        } else if inFlightUnreserved >= limits.accountConcurrency - limits.totalReserved {
            return .throttle(reason: "ConcurrentInvocationLimitExceeded")
        }
        if let provisioned = idle.first(where: \.isProvisioned) { return .reuse(environmentID: provisioned.environmentID) }
        if let warm = idle.first { return .reuse(environmentID: warm.environmentID) }
        return .coldStart
    }
}

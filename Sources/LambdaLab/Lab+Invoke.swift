import Foundation
import Glibc
import RuntimeAPI
import Timing

extension Lab {
    /// Invokes a function synchronously (RequestResponse) and returns its answer.
    /// Throws `LabError` for invocation errors (unknown function, throttle); a function that fails
    /// still *returns*, with `functionError` set, exactly as the Invoke API does
    /// (chapters/aws-facts.md#invoke-response).
    public func invoke(_ functionName: String, qualifier: String? = nil, payload: [UInt8] = Array("{}".utf8)) async throws -> InvocationResult {
        try await withCheckedThrowingContinuation { continuation in
            invoke(functionName, qualifier: qualifier, payload: payload) { result in
                continuation.resume(with: result.mapError { $0 as Error })
            }
        }
    }

    private enum Placement {
        case handOut(@Sendable (NextAnswer) -> Void, EnvironmentState)
        case waitForNext
        case coldStart(EnvironmentState)
        case refuse(LabError)
    }

    /// The router at work: reuse an idle environment of this version, or start a new one, or
    /// throttle. Decided under the lock (`place`), carried out outside it (`carryOut`).
    public func invoke(_ functionName: String, qualifier: String?, payload: [UInt8],
                       completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        let requestID = UUID().uuidString.lowercased()
        let now = Clock.now
        let placement = state.withLock { state in
            place(requestID, functionName, qualifier: qualifier, payload: payload, at: now, completion: completion, in: &state)
        }
        carryOut(placement, requestID: requestID, completion: completion)
    }

    /// Decides where the invocation runs and records it: in flight, its environment assigned or
    /// registered. Touches nothing outside the state.
    private func place(_ requestID: String, _ functionName: String, qualifier: String?, payload: [UInt8], at now: Instant,
                       completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void, in state: inout LabState) -> Placement {
        guard !state.stopped else { return .refuse(.service("The lab is stopped.")) }
        guard let function = state.functions[functionName], let (version, functionConfiguration) = function.resolve(qualifier) else {
            return .refuse(.functionNotFound(arn(functionName, qualifier: qualifier)))
        }
        let provisionedQualifier = function.provisionedConfiguration(for: qualifier, version: version)
        let idle = state.idleCandidates(function: functionName, version: version, provisionedQualifier: provisionedQualifier)
        let limits = Router.Limits(accountConcurrency: configuration.accountConcurrency, totalReserved: state.totalReserved,
                                   reserved: function.reservedConcurrency)
        let decision = Router.route(idle: idle, inFlightForFunction: state.inFlightCount(function: functionName),
                                    inFlightUnreserved: state.inFlightUnreserved(), limits: limits)
        var invocation = InFlightInvocation(
            requestID: requestID, functionName: functionName, version: version,
            invokedARN: arn(functionName, qualifier: qualifier), payload: payload.isEmpty ? Array("{}".utf8) : payload,
            timeout: functionConfiguration.timeout, receivedAt: now, complete: completion, environmentID: "", coldStart: false)
        switch decision {
        case .throttle(let reason):
            return .refuse(.throttled(reason))
        case .reuse(let id):
            // The router proposes only environments in the idle index, so this always succeeds.
            guard state.assign(requestID, to: id) else { return .refuse(.service("The lab could not route the invocation.")) }
            invocation.environmentID = id
            invocation.spillover = provisionedQualifier != nil && state.environments[id]!.provisionedFor == nil
            state.addInFlight(invocation)
            // The runtime is parked in `GET /next`: answer it now. Otherwise it is between its
            // response and its next `next`, and will get this event when that arrives.
            guard let parked = state.environments[id]!.parkedNext else { return .waitForNext }
            state.environments[id]!.parkedNext = nil
            return .handOut(parked, state.environments[id]!)
        case .coldStart:
            // The scaling rate: a new environment needs a token from the function's bucket.
            let rate = configuration.scalingRate
            var bucket = state.scalingBuckets[functionName] ?? ScalingBucket(rate, now: now)
            let allowed = bucket.take(rate, now: now)
            state.scalingBuckets[functionName] = bucket
            guard allowed else { return .refuse(.throttled("FunctionInvocationRateLimitExceeded")) }
            let environment = state.newEnvironment(function: functionName, version: version, configuration: functionConfiguration,
                                                   initializationType: .onDemand, scratchDirectory: scratchDirectory(for:),
                                                   assigned: requestID)
            invocation.environmentID = environment.id
            invocation.coldStart = true
            invocation.spillover = provisionedQualifier != nil
            state.addInFlight(invocation)
            return .coldStart(environment)
        }
    }

    /// Does what `place` decided: answers a refusal, hands the event to a parked runtime, or starts
    /// the new environment — each off the caller's thread where it does real work.
    private func carryOut(_ placement: Placement, requestID: String, completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        switch placement {
        case .refuse(let error):
            completion(.failure(error))
        case .waitForNext:
            break
        case .handOut(let parked, let environment):
            dispatch {
                // Handed out now, not when routed: Duration starts when the runtime gets the event.
                guard let event = self.state.withLock({ state -> NextEvent? in
                    // A newer `next` from this runtime may have taken the event meanwhile, or the
                    // environment died and the invocation moved to another.
                    guard let invocation = state.inFlight[requestID], invocation.handedOutAt == nil,
                          invocation.environmentID == environment.id else { return nil }
                    state.inFlight[requestID]!.startLogged = true
                    return self.handOut(requestID, in: &state, at: Clock.now)
                }) else { return parked(.superseded) }
                self.emit(environment, PlatformLog.start(requestID: requestID, version: environment.version), platform: true)
                self.armTimeout(requestID: requestID, environmentID: environment.id, after: environment.configuration.timeout)
                parked(.event(event))
            }
        case .coldStart(let environment):
            // Off the caller's thread (it may be one of the cooperative pool's two).
            dispatch { self.launch(environment) }
        }
    }

    /// Routes a burst before any of it runs: invocations routed inside `body` on this thread are
    /// placed at once (counts, environments reserved), but their events are handed out and their
    /// environments started only when `body` returns. The Invoke API wraps each turn of its loop
    /// in this, so the first calls of a burst cannot start running — and take the CPU — while the
    /// rest of the burst is still being read. On AWS the front end never shares CPU with functions.
    public func routingBurst(_ body: () -> Void) {
        burst.withLock { $0 = (pthread_self(), []) }
        body()
        let actions = burst.withLock { burst -> [@Sendable () -> Void] in
            defer { burst = (nil, []) }
            return burst.actions
        }
        for action in actions { action() }
    }

    /// Runs `action` now, or at the end of the burst this thread is routing.
    private func dispatch(_ action: @escaping @Sendable () -> Void) {
        let deferred = burst.withLock { burst -> Bool in
            guard let owner = burst.owner, pthread_equal(owner, pthread_self()) != 0 else { return false }
            burst.actions.append(action)
            return true
        }
        if !deferred { action() }
    }

    /// Marks the invocation as handed to the runtime and builds what `GET /next` answers.
    func handOut(_ requestID: String, in state: inout LabState, at now: Instant) -> NextEvent {
        state.inFlight[requestID]!.handedOutAt = now
        let invocation = state.inFlight[requestID]!
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + Int64(invocation.timeout.milliseconds)
        return NextEvent(requestID: requestID, deadlineMs: deadline, invokedARN: invocation.invokedARN,
                       traceID: Lab.traceID(), payload: invocation.payload)
    }

    /// An X-Ray trace header: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`
    /// (chapters/aws-facts.md#next-event-headers).
    static func traceID() -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let epoch = hex(UInt64(time(nil)), 8)
        let root = hex(UInt64.random(in: 0...UInt64(UInt32.max)), 8) + hex(UInt64.random(in: 0...UInt64.max), 16)
        return "Root=1-\(epoch)-\(root);Parent=\(hex(UInt64.random(in: 0...UInt64.max), 16));Sampled=0"
    }

    /// `2026/11/26/[$LATEST]<32 hex>`, as AWS names an environment's log stream. Plain C time
    /// formatting: this runs on every cold start, under the lab's lock.
    static func logStreamName(version: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let day = String(format: "%04d/%02d/%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return "\(day)/[\(version)]\(String(UInt64.random(in: 0...UInt64.max), radix: 16))\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    func armTimeout(requestID: String, environmentID: String, after timeout: Duration) {
        let token = deadlines.after(timeout) { [weak self] in
            guard let self else { return }
            // Off the deadline thread: finishing a timed-out invocation does real work.
            DispatchQueue.global().async { self.timeOut(requestID: requestID, environmentID: environmentID) }
        }
        let finished = state.withLock { state -> Bool in
            // Gone, or moved to another environment meanwhile: this timer has nothing to time.
            guard state.inFlight[requestID]?.environmentID == environmentID else { return true }
            state.inFlight[requestID]!.timeoutToken = token
            return false
        }
        if finished { deadlines.cancel(token) }
    }
}

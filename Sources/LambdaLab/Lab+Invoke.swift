import EventLoop
import Foundation
import Glibc
import HTTP
import LambdaAPI
import Timing

/// Invoking: an invocation arrives, is routed with the others of its turn, and is handed to a
/// runtime — or waits for a runtime's `GET /next`, or starts a new environment, or is refused.
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

    /// The same, answered through `completion` (called once, on the lab's loop).
    public func invoke(_ functionName: String, qualifier: String?, payload: [UInt8],
                       completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        let now = Clock.now
        loop.execute { [self] in
            arrive(functionName, qualifier: qualifier, payload: payload, receivedAt: now, completion: completion)
        }
    }

    // MARK: Routing, a turn at a time

    /// An invocation arrives (on the loop). It is routed at the end of this turn of the loop,
    /// together with every other that arrived in it: a burst read in one turn is placed before any
    /// of it runs — and takes the CPU — as on AWS, whose front end never shares CPU with functions.
    ///
    /// How long a turn waits for the rest of a burst (`LabConfiguration.burstLinger`): once a
    /// second invocation has come in the turn, the whole linger; a lone one that comes after a
    /// quiet spell, while other callers are connected, a quarter of it (it may be the first of a
    /// burst whose sender shares a CPU with the lab and writes the rest only when the lab waits);
    /// a lone one in steady traffic, or from the only caller, not at all.
    func arrive(_ functionName: String, qualifier: String?, payload: [UInt8], receivedAt: Instant = Clock.now, busyCallers: Int = 0,
                requestID: RequestID? = nil,
                completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        let arrivals = self.arrivals
        if arrivals.value.pending.isEmpty { loop.atTurnEnd { [self] in routeArrivals() } }
        arrivals.value.pending.append(Arrival(function: functionName, qualifier: qualifier, payload: payload.isEmpty ? Array("{}".utf8) : payload,
                                              receivedAt: receivedAt, requestID: requestID ?? .make(), completion: completion))
        let linger = configuration.burstLinger
        guard linger > .zero else { return }
        if arrivals.value.pending.count >= 2 {
            loop.lingerThisTurn(linger)
        } else if busyCallers >= 2, receivedAt - arrivals.value.lastRouted > .milliseconds(1) {
            loop.lingerThisTurn(linger / 4)
        }
    }

    /// Routes the arrivals of this turn so far, before the turn ends (on the loop).
    func routeArrivalsNow() {
        if !arrivals.value.pending.isEmpty { routeArrivals() }
    }

    /// Routes the turn's arrivals in one critical section, then does what it decided: hands events
    /// to parked runtimes, starts new environments, answers refusals.
    private func routeArrivals() {
        let batch = arrivals.value.pending
        guard !batch.isEmpty else { return }
        arrivals.value.pending = []
        let now = Clock.now
        arrivals.value.lastRouted = now
        let placements = state.withLock { state in
            batch.map { place($0, at: now, in: &state) }
        }
        for (arrival, placement) in zip(batch, placements) {
            switch placement {
            case .refuse(let error):
                if error.status == 429 {
                    let entry = ThrottleLog.Entry(function: arrival.function, reason: error.reason ?? "", at: offset(now))
                    state.withLock { $0.throttles.append(entry) }
                }
                arrival.completion(.failure(error))
            case .handOut(let handOut):
                deliver(handOut)
            case .waitForNext:
                break
            case .coldStart(let environment):
                launch(environment)
            }
        }
    }

    enum Placement {
        case handOut(HandOut)
        case waitForNext
        case coldStart(Environment)
        case refuse(LabError)
    }

    /// The router at work (`Router.route`, a pure function): reuse an environment with a free slot,
    /// or start a new one, or throttle — decided and recorded here, under the lock; a parked runtime
    /// gets its event in the same step.
    private func place(_ arrival: Arrival, at now: Instant, in state: inout LabState) -> Placement {
        guard !state.stopped else { return .refuse(.service("The lab is stopped.")) }
        guard let function = state.registry[arrival.function] else { return .refuse(.functionNotFound(arn(arrival.function, qualifier: arrival.qualifier))) }
        let qualifier: String?
        switch managedQualifier(function, name: arrival.function, qualifier: arrival.qualifier) {
        case .failure(let error): return .refuse(error)
        case .success(let resolved): qualifier = resolved
        }
        guard let (version, configuration) = function.resolve(qualifier) else {
            return .refuse(.functionNotFound(arn(arrival.function, qualifier: arrival.qualifier)))
        }
        // Lambda Managed Instances: environments started ahead, several invocations in each.
        if configuration.isManaged { return placeManaged(arrival, version: version, configuration: configuration, at: now, in: &state) }
        let provisionedQualifier = state.provisionedQualifier(function: arrival.function, qualifier: arrival.qualifier, version: version)
        let limits = Router.Limits(accountConcurrency: self.configuration.accountConcurrency, totalReserved: state.registry.totalReserved,
                                   reserved: function.reservedConcurrency)
        let decision = Router.route(
            idle: state.pool.candidates(function: arrival.function, version: version, provisionedQualifier: provisionedQualifier),
            inFlightForFunction: state.invocations.inFlight(function: arrival.function),
            inFlightUnreserved: state.invocations.inFlightUnreserved(reservedFunctions: state.registry.reservedFunctions), limits: limits)
        func invocation(on environment: EnvironmentID, coldStart: Bool, spillover: Bool) -> Invocation {
            Invocation(id: arrival.requestID, function: arrival.function, version: version, invokedARN: arn(arrival.function, qualifier: arrival.qualifier),
                       payload: arrival.payload, timeout: configuration.timeout, receivedAt: arrival.receivedAt, environment: environment,
                       coldStart: coldStart, spillover: spillover, completion: arrival.completion)
        }
        switch decision {
        case .throttle(let reason):
            return .refuse(.throttled(reason))
        case .reuse(let id):
            // The router proposes only environments with a free slot, so this always succeeds.
            guard state.pool.assign(arrival.requestID, to: id) else { return .refuse(.service("The lab could not route the invocation.")) }
            let spillover = provisionedQualifier != nil && state.pool[id]?.provisionedFor == nil
            state.invocations.add(invocation(on: id, coldStart: false, spillover: spillover))
            // A runtime parked in `GET /next` gets it now. Otherwise it is between its response
            // and its next `next`, and gets this invocation when that arrives.
            guard let waiter = state.pool.update(id, { $0.parked.isEmpty ? nil : $0.parked.removeFirst() }) ?? nil,
                  let handOut = handOut(arrival.requestID, to: waiter, at: now, in: &state) else { return .waitForNext }
            return .handOut(handOut)
        case .coldStart:
            // The scaling rate: a new environment needs a token from the function's bucket, taken
            // at the moment the request reached the lab, as AWS's front end decides on arrival: a
            // turn that a busy machine routed late gives a burst no extra allowance.
            let rate = self.configuration.scalingRate
            var bucket = state.scaling[arrival.function] ?? ScalingBucket(rate, now: arrival.receivedAt)
            let allowed = bucket.take(rate, now: arrival.receivedAt)
            state.scaling[arrival.function] = bucket
            guard allowed else { return .refuse(.throttled("FunctionInvocationRateLimitExceeded")) }
            let environment = newEnvironment(function: arrival.function, version: version, configuration: configuration,
                                             initializationType: .onDemand, in: &state)
            _ = state.pool.assign(arrival.requestID, to: environment.id)
            state.invocations.add(invocation(on: environment.id, coldStart: true, spillover: provisionedQualifier != nil))
            return .coldStart(environment)
        }
    }

    /// Registers a new environment of a function version (not started yet).
    func newEnvironment(function: String, version: String, configuration: FunctionConfiguration, initializationType: InitializationType,
                        provisionedFor: String? = nil, in state: inout LabState) -> Environment {
        state.pool.create(function: function, version: version, configuration: configuration, initializationType: initializationType,
                          logStreamName: Lab.logStreamName(version: version), scratchDirectory: { "\(scratchBase)/\($0)" },
                          provisionedFor: provisionedFor)
    }

    // MARK: Hand-out

    /// An invocation handed to a runtime: what to write to it, and what to start.
    struct HandOut {
        let waiter: NextWaiter
        let event: NextEvent
        let timer: LoopTimer
        let remaining: Duration
        let function: String
        let version: String
        let environment: EnvironmentID
    }

    /// Marks the invocation handed out on `waiter`'s connection and builds the event; its timeout
    /// timer is reserved now, so it is recorded in the same step, and armed by `deliver`. Runs on
    /// the loop, under the lock. Nil if the invocation is no longer there.
    func handOut(_ id: RequestID, to waiter: NextWaiter, at now: Instant, in state: inout LabState) -> HandOut? {
        let timer = loop.reserveTimer()
        guard let invocation = state.invocations.update(id, { invocation -> Invocation? in
            invocation.handOut(at: now, connection: waiter.connection, timer: timer) ? invocation : nil
        }) ?? nil else { return nil }
        // Duration runs from the hand-out, or from the spawn of an Init re-run inside it.
        let remaining = max(.milliseconds(1), invocation.timeout - invocation.duration(at: now))
        let event = NextEvent(requestID: id.value, deadlineMs: Lab.epochMilliseconds() + Int64(remaining.milliseconds),
                              invokedARN: invocation.invokedARN, traceID: Lab.traceID(), payload: invocation.payload)
        return HandOut(waiter: waiter, event: event, timer: timer, remaining: remaining, function: invocation.function,
                       version: invocation.version, environment: invocation.environment)
    }

    /// Writes the event to the runtime, arms the invocation's timeout, and logs its START (on the loop).
    func deliver(_ handOut: HandOut) {
        emit(function: handOut.function, environment: handOut.environment,
             PlatformLog.start(requestID: handOut.event.requestID, version: handOut.version), platform: true)
        let id = RequestID(handOut.event.requestID)
        loop.schedule(handOut.timer, after: handOut.remaining) { [weak self] in self?.timeOut(id) }
        handOut.waiter.responder.respond(handOut.event.response)
    }

    // MARK: The event's details

    static func epochMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// An X-Ray trace header: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`
    /// (chapters/aws-facts.md#next-event-headers).
    static func traceID() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(72)
        func hex(_ value: UInt64, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) { text.append(digits[Int((value >> UInt64(shift * 4)) & 0xF)]) }
        }
        var random = FastRandom()
        text.append(contentsOf: "Root=1-".utf8)
        hex(UInt64(time(nil)), 8)
        text.append(UInt8(ascii: "-"))
        hex(random.next(), 8)
        hex(random.next(), 16)
        text.append(contentsOf: ";Parent=".utf8)
        hex(random.next(), 16)
        text.append(contentsOf: ";Sampled=0".utf8)
        return String(decoding: text, as: UTF8.self)
    }

    /// `2026/11/26/[$LATEST]<32 hex>`, as AWS names an environment's log stream. Plain C time
    /// formatting: this runs on every cold start, under the lab's lock.
    static func logStreamName(version: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let day = String(format: "%04d/%02d/%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        var random = FastRandom()
        return "\(day)/[\(version)]\(String(random.next(), radix: 16))\(String(random.next(), radix: 16))"
    }
}

/// One invocation waiting for its turn to be routed.
struct Arrival {
    let function: String
    let qualifier: String?
    let payload: [UInt8]
    let receivedAt: Instant
    /// A new one, or an asynchronous event's own when this is an attempt of it.
    let requestID: RequestID
    let completion: @Sendable (Result<InvocationResult, LabError>) -> Void
}

/// The invocations of the loop's current turn, and when the last turn routed some.
struct Arrivals {
    var pending: [Arrival] = []
    var lastRouted: Instant = .now
}

/// The event as the runtime receives it in answer to `GET /next`
/// (chapters/aws-facts.md#next-event-headers).
struct NextEvent: Sendable {
    let requestID: String
    let deadlineMs: Int64
    let invokedARN: String
    let traceID: String
    let payload: [UInt8]

    var response: HTTPResponse {
        HTTPResponse(status: 200, headers: [
            AmazonHeaders.requestID: requestID,
            AmazonHeaders.deadline: String(deadlineMs),
            AmazonHeaders.invokedFunctionARN: invokedARN,
            AmazonHeaders.traceID: traceID,
            "Content-Type": "application/json",
        ], body: payload)
    }
}

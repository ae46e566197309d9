import Foundation
import RuntimeAPI
import Timing

extension Lab {
    /// Invokes a function synchronously (RequestResponse) and returns its answer.
    /// Throws `LabError` for invocation errors (unknown function, throttle); a function that fails
    /// still *returns*, with `functionError` set, exactly as the Invoke API does (reference §3.2).
    public func invoke(_ functionName: String, qualifier: String? = nil, payload: [UInt8] = Array("{}".utf8)) async throws -> InvocationResult {
        try await withCheckedThrowingContinuation { continuation in
            invoke(functionName, qualifier: qualifier, payload: payload) { result in
                continuation.resume(with: result.mapError { $0 as Error })
            }
        }
    }

    /// The same, for threads that wait (the Invoke API's connection threads).
    public func invokeAndWait(_ functionName: String, qualifier: String?, payload: [UInt8]) -> Result<InvocationResult, LabError> {
        let answer = OneShot<Result<InvocationResult, LabError>>()
        invoke(functionName, qualifier: qualifier, payload: payload) { answer.fulfil($0) }
        return answer.wait()
    }

    private enum Placement {
        case handOut(OneShot<NextAnswer>, Handout, EnvironmentState)
        case waitForNext
        case coldStart(EnvironmentState)
        case refuse(LabError)
    }

    /// The router at work: reuse an idle environment of this version, or start a new one, or throttle.
    public func invoke(_ functionName: String, qualifier: String?, payload: [UInt8],
                       completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        let requestID = UUID().uuidString.lowercased()
        let now = Clock.now
        let placement = state.withLock { state -> Placement in
            guard !state.stopped else { return .refuse(.service("The lab is stopped.")) }
            guard let function = state.functions[functionName], let (version, functionConfiguration) = function.resolve(qualifier) else {
                return .refuse(.functionNotFound(arn(functionName, qualifier: qualifier)))
            }
            let idle = state.environments.values
                .filter { $0.functionName == functionName && $0.version == version && $0.phase == .idle && $0.assigned == nil }
                .sorted { ($0.lastUsed ?? origin) > ($1.lastUsed ?? origin) }
                .map { Router.Candidate(environmentID: $0.id, isProvisioned: $0.initializationType == "provisioned-concurrency") }
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
                invocation.environmentID = id
                state.environments[id]!.phase = .invoking
                state.environments[id]!.assigned = requestID
                state.environments[id]!.idleSince = nil
                state.inFlight[requestID] = invocation
                // The runtime is parked in `GET /next`: answer it now. Otherwise it is between its
                // response and its next `next`, and will get this event when that arrives.
                guard let parked = state.environments[id]!.parkedNext else { return .waitForNext }
                state.environments[id]!.parkedNext = nil
                return .handOut(parked, handOut(requestID, in: &state, at: now), state.environments[id]!)
            case .coldStart:
                state.environmentsStarted += 1
                let id = "env-\(state.environmentsStarted)"
                let environment = EnvironmentState(
                    id: id, functionName: functionName, version: version, configuration: functionConfiguration,
                    initializationType: "on-demand", logStreamName: logStreamName(version: version),
                    scratchDirectory: scratchDirectory(for: id), assigned: requestID)
                invocation.environmentID = id
                invocation.coldStart = true
                state.environments[id] = environment
                state.inFlight[requestID] = invocation
                return .coldStart(environment)
            }
        }
        switch placement {
        case .refuse(let error):
            completion(.failure(error))
        case .waitForNext:
            break
        case .handOut(let parked, let handout, let environment):
            emit(environment, PlatformLog.start(requestID: requestID, version: environment.version), platform: true)
            armTimeout(requestID: requestID, environmentID: environment.id, after: environment.configuration.timeout)
            parked.fulfil(NextAnswer.event(handout))
        case .coldStart(let environment):
            // Off the caller's thread: a spawn takes a millisecond or more, and the caller may be
            // one of the cooperative pool's two threads.
            DispatchQueue.global().async { self.start(environment) }
        }
    }

    /// Marks the invocation as handed to the runtime and builds what `GET /next` answers.
    func handOut(_ requestID: String, in state: inout LabState, at now: Instant) -> Handout {
        state.inFlight[requestID]!.handedOutAt = now
        let invocation = state.inFlight[requestID]!
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + Int64(invocation.timeout.milliseconds)
        return Handout(requestID: requestID, deadlineMs: deadline, invokedARN: invocation.invokedARN,
                       traceID: Lab.traceID(), payload: invocation.payload)
    }

    /// An X-Ray trace header: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0` (reference §2.3).
    static func traceID() -> String {
        let epoch = String(Int(Date().timeIntervalSince1970), radix: 16)
        let root = String(format: "%08llx%016llx", UInt64.random(in: 0...UInt64(UInt32.max)), UInt64.random(in: 0...UInt64.max))
        let parent = String(format: "%016llx", UInt64.random(in: 0...UInt64.max))
        return "Root=1-\(epoch)-\(root);Parent=\(parent);Sampled=0"
    }

    /// `2026/11/26/[$LATEST]<32 hex>`, as AWS names an environment's log stream.
    func logStreamName(version: String) -> String {
        let day = Date().formatted(.iso8601.year().month().day().dateSeparator(.dash)).replacingOccurrences(of: "-", with: "/")
        let hex = (0..<2).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
        return "\(day)/[\(version)]\(hex)"
    }

    func armTimeout(requestID: String, environmentID: String, after timeout: Duration) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.milliseconds * 1_000_000))) { [weak self] in
            self?.timeOut(requestID: requestID, environmentID: environmentID)
        }
    }
}

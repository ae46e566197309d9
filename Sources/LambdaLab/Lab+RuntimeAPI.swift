import Foundation
import RuntimeAPI
import Timing

/// The lab's side of the Runtime API: what each environment's endpoint does with a request.
/// Status codes and error bodies follow AWS's reference emulator
/// (chapters/aws-facts.md#runtime-api-endpoints, #runtime-api-errors).
extension Lab {
    /// The largest response a runtime may post: 6 MB + 100 bytes, as RIE
    /// (chapters/aws-facts.md#runtime-api-errors).
    static let maxResponseBytes = 6 * 1024 * 1024 + 100

    private enum NextStep {
        case answer(NextEvent, EnvironmentState, remaining: Duration?)
        case parked
        case supersede(@Sendable (NextAnswer) -> Void)
        case refuse(HTTPResponse)
    }

    /// `GET /runtime/invocation/next`: the first one ends the Init phase; later ones park until an
    /// invocation is assigned to this environment, and are answered by whoever assigns it.
    func runtimeNext(environmentID: String, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        // What the process printed so far belongs before what comes next (Init's output before START).
        state.withLock { $0.environments[environmentID]?.output }?.drain { line in self.functionOutput(environmentID: environmentID, line) }
        let now = Clock.now
        let step = state.withLock { state -> NextStep in
            guard let current = state.environments[environmentID], current.phase != .shuttingDown else {
                return .refuse(Lab.runtimeError(500, "Runtime.ShuttingDown", "The execution environment is shutting down."))
            }
            // Init ends when the runtime first asks for work (chapters/aws-facts.md#init-phase).
            if current.phase == .initializing { _ = state.endInit(environmentID, at: now, cpuTime: current.process?.cpuTime()) }
            let environment = state.environments[environmentID]!
            if environment.phase == .invoking, let requestID = environment.assigned, let invocation = state.inFlight[requestID] {
                if invocation.handedOutAt != nil {
                    return .refuse(Lab.runtimeError(403, "InvalidStateTransition",
                        "State transition from Running to Ready failed for runtime. Error: the invocation \(requestID) has not been answered."))
                }
                state.inFlight[requestID]!.startLogged = true
                let event = handOut(requestID, in: &state, at: now)
                if environment.suppressedInit, let spawnedAt = environment.spawnedAt {
                    // The re-run Init belongs to the invocation: Duration starts at the spawn.
                    state.inFlight[requestID]!.handedOutAt = spawnedAt
                    return .answer(event, environment, remaining: environment.configuration.timeout - (now - spawnedAt))
                }
                return .answer(event, environment, remaining: nil)
            }
            // A runtime that asks again (a new connection after a lost one) replaces its parked
            // request; the old one is answered, not left waiting for ever.
            let older = state.environments[environmentID]!.parkedNext
            state.environments[environmentID]!.parkedNext = { answer in
                switch answer {
                case .event(let event): respond(event.response)
                case .stop: respond(Lab.runtimeError(500, "Runtime.ShuttingDown", "The execution environment is shutting down."))
                case .superseded: respond(Lab.runtimeError(400, "InvalidStateTransition", "A newer next request from this runtime replaced this one."))
                }
            }
            if let older { return .supersede(older) }
            return .parked
        }
        switch step {
        case .refuse(let response):
            respond(response)
        case .answer(let event, let environment, let remaining):
            emit(environment, PlatformLog.start(requestID: event.requestID, version: environment.version), platform: true)
            armTimeout(requestID: event.requestID, environmentID: environmentID, after: max(.milliseconds(1), remaining ?? environment.configuration.timeout))
            respond(event.response)
        case .parked:
            provisionedEnvironmentReady(environmentID)
        case .supersede(let older):
            older(.superseded)
        }
    }

    /// The runtime sent a body over the 16 MB the lab reads: the invocation fails as AWS fails one
    /// whose response is too large, instead of waiting for its timeout.
    func runtimeSentTooMuch(environmentID: String) {
        let requestID = state.withLock { state -> String? in
            guard let requestID = state.environments[environmentID]?.assigned, state.inFlight[requestID]?.handedOutAt != nil else { return nil }
            return requestID
        }
        guard let requestID else { return }
        let message = "Response payload size exceeded maximum allowed payload size (\(Lab.maxResponseBytes) bytes)."
        finishInvocation(requestID: requestID, environmentID: environmentID,
                         outcome: .failed(type: "Function.ResponseSizeTooLarge",
                                          payload: Array(AWSErrorBody.function(type: "Function.ResponseSizeTooLarge", message: message).utf8)))
    }

    /// `POST /runtime/invocation/{id}/response`.
    func runtimeResponse(environmentID: String, requestID: String, body: [UInt8]) -> HTTPResponse {
        if let refusal = checkActive(environmentID: environmentID, requestID: requestID) { return refusal }
        if body.count > Lab.maxResponseBytes {
            let message = "Response payload size exceeded maximum allowed payload size (\(Lab.maxResponseBytes) bytes)."
            finishInvocation(requestID: requestID, environmentID: environmentID,
                             outcome: .failed(type: "Function.ResponseSizeTooLarge",
                                              payload: Array(AWSErrorBody.function(type: "Function.ResponseSizeTooLarge", message: message).utf8)))
            return Lab.runtimeError(413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (\(Lab.maxResponseBytes) bytes).")
        }
        finishInvocation(requestID: requestID, environmentID: environmentID, outcome: .succeeded(body))
        return .json(202, #"{"status":"OK"}"#)
    }

    /// `POST /runtime/invocation/{id}/error`: the handler failed; the environment stays.
    /// The type comes from the body, else from `Lambda-Runtime-Function-Error-Type` (awslambdaric
    /// sends only the body; Tests/interop/interop.py `test_handler_exception` relies on it).
    func runtimeInvocationError(environmentID: String, requestID: String, headers: HTTPHeaders, body: [UInt8]) -> HTTPResponse {
        if let refusal = checkActive(environmentID: environmentID, requestID: requestID) { return refusal }
        let (type, payload) = Lab.errorPayload(headers: headers, body: body)
        finishInvocation(requestID: requestID, environmentID: environmentID, outcome: .failed(type: type, payload: payload))
        return .json(202, #"{"status":"OK"}"#)
    }

    /// `POST /runtime/init/error`: Init failed. The error goes to the invocation waiting for this
    /// environment, and the environment is discarded (chapters/aws-facts.md#timeouts-and-crashes).
    func runtimeInitError(environmentID: String, headers: HTTPHeaders, body: [UInt8]) -> HTTPResponse {
        let (type, payload) = Lab.errorPayload(headers: headers, body: body)
        let now = Clock.now
        let check = state.withLock { state -> (initializing: Bool, assigned: String?) in
            guard let environment = state.environments[environmentID], environment.phase == .initializing else { return (false, nil) }
            state.beginShutdown(environmentID)   // so an Init timeout cannot act on it too
            state.environments[environmentID]!.initDuration = now - (environment.spawnedAt ?? now)
            if let assigned = environment.assigned { state.inFlight[assigned]?.handedOutAt = now }
            return (true, environment.assigned)
        }
        guard check.initializing else {
            return Lab.runtimeError(403, "InvalidStateTransition", "State transition from Running to InitError failed for runtime.")
        }
        if let assigned = check.assigned {
            finishInvocation(requestID: assigned, environmentID: environmentID, outcome: .failed(type: type, payload: payload), discardEnvironment: true)
        }
        provisionedEnvironmentFailed(environmentID, reason: type)
        shutDown(environmentID: environmentID, reason: "init error \(type)")
        return .json(202, #"{"status":"OK"}"#)
    }

    /// A response or error must name the invocation this environment is running
    /// (chapters/aws-facts.md#runtime-api-errors).
    private func checkActive(environmentID: String, requestID: String) -> HTTPResponse? {
        state.withLock { state in
            guard let invocation = state.inFlight[requestID], invocation.environmentID == environmentID else {
                return Lab.runtimeError(400, "InvalidRequestID", "Invalid request ID")
            }
            if invocation.handedOutAt == nil {
                return Lab.runtimeError(403, "InvalidStateTransition", "State transition from Ready to ResponseSent failed for runtime.")
            }
            return nil
        }
    }

    static func errorPayload(headers: HTTPHeaders, body: [UInt8]) -> (type: String, payload: [UInt8]) {
        let headerType = headers[AmazonHeaders.functionErrorType]
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            let type = (object["errorType"] as? String) ?? headerType ?? "Runtime.Unknown"
            return (type, body)
        }
        let type = headerType ?? "Runtime.Unknown"
        return (type, Array(AWSErrorBody.function(type: type, message: String(decoding: body, as: UTF8.self)).utf8))
    }

    static func runtimeError(_ status: Int, _ type: String, _ message: String) -> HTTPResponse {
        .json(status, AWSErrorBody.runtime(type: type, message: message))
    }
}

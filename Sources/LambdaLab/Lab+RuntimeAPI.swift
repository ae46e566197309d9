import Foundation
import HTTP
import LambdaAPI
import Timing

/// The lab's side of the Runtime API: what each environment's endpoint does with a request, on
/// the loop. Status codes and error bodies follow AWS's reference emulator
/// (chapters/aws-facts.md#runtime-api-endpoints, #runtime-api-errors).
extension Lab {
    /// The largest response a runtime may post: 6 MB + 100 bytes, as RIE
    /// (chapters/aws-facts.md#runtime-api-errors).
    static let maxResponseBytes = 6 * 1024 * 1024 + 100
    /// How many `GET /next` one environment may park: AWS's reference emulator refuses the
    /// 10,000th with `Runtime.TooManyIdleRuntimes` (chapters/aws-facts.md#lambda-managed-instances).
    static let maxParkedNexts = 10_000

    private enum NextStep {
        case answer(HandOut)
        case parked
        case refuse(HTTPResponse)
    }

    /// `GET /runtime/invocation/next`: the first one ends the Init phase. Each is given an
    /// invocation assigned to this environment and not yet handed out, or parks until one is —
    /// answered then by whoever assigns it. A runtime may park more than its slots: the lab parks
    /// them all and never assigns more invocations than the slots, as AWS does.
    func runtimeNext(_ id: EnvironmentID, _ responder: HTTPResponder) {
        let io = self.io.value[id]
        // Init's output belongs before the first START: the pipe is read now, at Init's end.
        var printed: [String] = []
        var cpuTime: Duration?
        if let io, !io.initEnded {
            io.initEnded = true
            printed = io.output.drain()
            cpuTime = io.process.cpuTime()
        }
        let now = Clock.now
        let waiter = NextWaiter(responder: responder)
        var readiness: ProvisionedReadiness?
        var managedReadiness: ManagedReadiness?
        let (step, emitted) = state.withLock { state -> (NextStep, [EmittedLine]) in
            let emitted = absorb(printed, from: id, in: &state)
            guard let phase = state.pool[id]?.phase, phase != .shuttingDown else {
                return (.refuse(RuntimeEndpoint.error(500, "Runtime.ShuttingDown", "The execution environment is shutting down.")), emitted)
            }
            // Init ends when the runtime first asks for work (chapters/aws-facts.md#init-phase).
            if phase == .initializing {
                _ = state.pool.endInit(id, at: now, cpuTime: cpuTime)
                readiness = provisionedReady(id, in: &state)
                managedReadiness = managedReady(id, in: &state)
            }
            let invocations = state.pool[id]?.invocations ?? []
            if let waiting = invocations.first(where: { state.invocations[$0]?.isHandedOut == false }),
               let handOut = handOut(waiting, to: waiter, at: now, in: &state) {
                return (.answer(handOut), emitted)
            }
            guard state.pool[id]?.parked.count ?? 0 < Self.maxParkedNexts else {
                return (.refuse(RuntimeEndpoint.error(500, "Runtime.TooManyIdleRuntimes", "Too many idle runtimes.")), emitted)
            }
            state.pool.update(id) { $0.parked.append(waiter) }
            return (.parked, emitted)
        }
        write(emitted)
        switch step {
        case .refuse(let response): responder.respond(response)
        case .answer(let handOut): deliver(handOut)
        case .parked: break
        }
        readiness?.resume()
        managedReadiness?.resume()
    }

    /// `POST /runtime/invocation/{id}/response`.
    func runtimeResponse(_ environment: EnvironmentID, _ id: RequestID, body: [UInt8], _ responder: HTTPResponder) {
        if body.count > Self.maxResponseBytes {
            let message = "Response payload size exceeded maximum allowed payload size (\(Self.maxResponseBytes) bytes)."
            if let refusal = finish(id, in: environment, .error("Function.ResponseSizeTooLarge", message), fromRuntime: true) {
                return responder.respond(refusal)
            }
            return responder.respond(RuntimeEndpoint.error(413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (\(Self.maxResponseBytes) bytes)."))
        }
        // The caller is answered first (inside `finish`), then the runtime gets its 202.
        responder.respond(finish(id, in: environment, .succeeded(body), fromRuntime: true) ?? RuntimeEndpoint.accepted)
    }

    /// `POST /runtime/invocation/{id}/error`: the handler failed; the environment stays.
    /// The type comes from the body, else from `Lambda-Runtime-Function-Error-Type` (awslambdaric
    /// sends only the body; Tests/interop/interop.py `test_handler_exception` relies on it).
    func runtimeInvocationError(_ environment: EnvironmentID, _ id: RequestID, headers: HTTPHeaders, body: [UInt8], _ responder: HTTPResponder) {
        let (type, payload) = Self.errorPayload(headers: headers, body: body)
        responder.respond(finish(id, in: environment, .failed(type: type, payload: payload), fromRuntime: true) ?? RuntimeEndpoint.accepted)
    }

    /// `POST /runtime/init/error`: Init failed. The error goes to the invocations waiting for this
    /// environment, and the environment is discarded (chapters/aws-facts.md#timeouts-and-crashes).
    func runtimeInitError(_ id: EnvironmentID, headers: HTTPHeaders, body: [UInt8]) -> HTTPResponse {
        let (type, payload) = Self.errorPayload(headers: headers, body: body)
        let now = Clock.now
        let waiting = state.withLock { state -> [RequestID]? in
            guard let environment = state.pool[id], environment.phase == .initializing else { return nil }
            state.pool.beginShutdown(id)   // so an Init timeout cannot act on it too
            state.pool.update(id) { $0.initDuration = now - (environment.spawnedAt ?? now) }
            return environment.invocations
        }
        guard let waiting else {
            return RuntimeEndpoint.error(403, "InvalidStateTransition", "State transition from Running to InitError failed for runtime.")
        }
        for invocation in waiting { finish(invocation, in: id, .failed(type: type, payload: payload)) }
        provisionedEnvironmentFailed(id, reason: type)
        managedEnvironmentGone(id, reason: type)
        shutDown(id, reason: "init error \(type)")
        return RuntimeEndpoint.accepted
    }

    /// The runtime sent a body over the 16 MB the lab reads: its invocation fails as AWS fails one
    /// whose response is too large, instead of waiting for its timeout.
    func runtimeSentTooMuch(_ id: EnvironmentID) {
        let running = state.withLock { state in
            state.pool[id]?.invocations.first { state.invocations[$0]?.isHandedOut == true }
        }
        guard let running else { return }
        let message = "Response payload size exceeded maximum allowed payload size (\(Self.maxResponseBytes) bytes)."
        finish(running, in: id, .error("Function.ResponseSizeTooLarge", message))
    }

    /// A Runtime API connection ended: its parked `next`s go with it, and how it ended is kept —
    /// whether an event written to it can have been read (see `processExited`).
    ///
    /// On Managed Instances a runtime worker (a process or thread of the runtime's own) may end
    /// while the environment goes on: the invocation it held fails at once, and the others keep
    /// serving, as AWS documents (chapters/aws-facts.md#lambda-managed-instances).
    func runtimeConnectionEnded(_ id: EnvironmentID, connection: Int, _ ending: HTTPServer.Ending) {
        io.value[id]?.connectionEndings[connection] = ending
        let orphaned = state.withLock { state -> [RequestID] in
            state.pool.update(id) { $0.parked.removeAll { $0.connection == connection } }
            guard let environment = state.pool[id], environment.initializationType == .lambdaManagedInstances,
                  !environment.isShuttingDown else { return [] }
            return environment.invocations.filter { state.invocations[$0]?.handOut?.connection == connection }
        }
        for request in orphaned {
            finish(request, in: id, .error("Runtime.ExitError", "RequestId: \(request.value) Error: Runtime worker exited without providing a reason"))
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
}

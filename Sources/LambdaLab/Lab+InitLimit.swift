import EventLoop
import Foundation
import HTTP
import Timing

/// What happens when Init runs out of time, and moving an invocation to a new environment.
extension Lab {
    /// Init did not finish within its limit (10 s on demand; chapters/aws-facts.md#init-phase). On
    /// demand, AWS then re-runs Init inside the first invocation, bounded by the function timeout:
    /// the lab starts a new environment for it. A re-run that also runs out is the invocation's
    /// timeout. (On the loop.)
    func initTimedOut(_ id: EnvironmentID, limit: Duration) {
        let found = state.withLock { state -> Environment? in
            guard let environment = state.pool[id], environment.phase == .initializing else { return nil }
            state.pool.beginShutdown(id)
            return environment
        }
        guard let environment = found else { return }
        // The runtime could not even connect: the lab had no descriptor to accept it with.
        let starved = io.value[id]?.endpoint.starved ?? false
        let onDemand = environment.initializationType == .onDemand
        if !starved, !environment.suppressedInit, onDemand, let request = environment.invocations.first,
           let replacement = move(request, from: id, initInside: true) {
            emit(function: environment.function, environment: id,
                 "[lab] Init did not finish within \(limit.formattedSeconds) s: it is re-run in \(replacement.id) inside the invocation (suppressed init), bounded by the function timeout",
                 platform: true)
            shutDown(id, reason: "init timeout; re-run inside the invocation", immediately: true)
            launch(replacement)
            return
        }
        for request in environment.invocations {
            if environment.suppressedInit {
                finish(request, in: id, .error("Sandbox.Timedout", "RequestId: \(request.value) Error: Task timed out after \(limit.formattedSeconds) seconds"))
            } else if starved {
                let message = "The lab could not accept the runtime's connection (out of file descriptors). Raise the open-file limit (ulimit -n) or send fewer concurrent invocations."
                emit(function: environment.function, environment: id, "[lab] \(message)", platform: true)
                state.withLock { $0.invocations.close(request) }?.completion(.failure(.service(message)))
            } else {
                finish(request, in: id, .error("Sandbox.Timedout", "RequestId: \(request.value) Error: Init phase timed out after \(limit.formattedSeconds) seconds"))
            }
        }
        provisionedEnvironmentFailed(id, reason: "Init phase timed out")
        shutDown(id, reason: "init timeout", immediately: true)
    }

    /// Moves an invocation to a new environment and returns it, to be launched: when its own
    /// environment died from outside before running it (a cold start, as on AWS), or to re-run an
    /// Init that ran out of time inside the invocation (`initInside`: no Init Duration in its
    /// REPORT, the Init counted in Duration). Only the invocation's own environment can give it up.
    func move(_ request: RequestID, from id: EnvironmentID, initInside: Bool) -> Environment? {
        let moved = state.withLock { state -> (Environment, staleTimer: LoopTimer?)? in
            // Managed Instances never cold-start an invocation: one whose environment died fails.
            guard !state.stopped, let old = state.pool[id], old.initializationType != .lambdaManagedInstances,
                  state.invocations[request]?.environment == id else { return nil }
            let stale = state.invocations[request]?.handOut?.timer
            state.pool.giveUp(request, from: id)
            state.pool.beginShutdown(id)
            let replacement = newEnvironment(function: old.function, version: old.version, configuration: old.configuration,
                                             initializationType: .onDemand, in: &state)
            state.pool.update(replacement.id) { environment in
                environment.suppressedInit = initInside
                environment.initReported = initInside
            }
            replacement.suppressedInit = initInside
            replacement.initReported = initInside
            _ = state.pool.assign(request, to: replacement.id)
            state.invocations.update(request) { $0.move(to: replacement.id, initInside: initInside) }
            return (replacement, stale)
        }
        if let timer = moved?.staleTimer { loop.cancel(timer) }
        return moved?.0
    }
}

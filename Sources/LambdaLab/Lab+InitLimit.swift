import Foundation
import RuntimeAPI
import Timing

/// What happens when Init runs out of time, and moving an invocation to a new environment.
extension Lab {
    /// Init did not finish within its limit (10 s on demand; chapters/aws-facts.md#init-phase). On
    /// demand, AWS then re-runs Init inside the first invocation, bounded by the function timeout:
    /// the lab starts a new environment for it. A re-run that also runs out is the invocation's
    /// timeout.
    func initTimedOut(environmentID: String, limit: Duration) {
        let found = state.withLock { state -> (assigned: String?, starved: Bool, suppressed: Bool, onDemand: Bool)? in
            guard let environment = state.environments[environmentID], environment.phase == .initializing else { return nil }
            state.beginShutdown(environmentID)
            return (environment.assigned, environment.endpoint?.wasStarved ?? false, environment.suppressedInit,
                    environment.initializationType == .onDemand)
        }
        guard let (assigned, starved, suppressed, onDemand) = found else { return }
        if !starved, !suppressed, onDemand, let requestID = assigned, let replacement = moveInvocation(requestID, from: environmentID, suppressedInit: true) {
            if let environment = state.withLock({ $0.environments[environmentID] }) {
                emit(environment, "[lab] Init did not finish within \(limit.formattedSeconds) s: it is re-run in \(replacement.id) inside the invocation (suppressed init), bounded by the function timeout", platform: true)
            }
            shutDown(environmentID: environmentID, reason: "init timeout; re-run inside the invocation", immediately: true)
            launch(replacement)
            return
        }
        if suppressed, let requestID = assigned {
            let message = "RequestId: \(requestID) Error: Task timed out after \(limit.formattedSeconds) seconds"
            state.withLock { $0.inFlight[requestID]?.handedOutAt = $0.environments[environmentID]?.spawnedAt }
            finishInvocation(requestID: requestID, environmentID: environmentID,
                             outcome: .failed(type: "Sandbox.Timedout", payload: Array(AWSErrorBody.function(type: "Sandbox.Timedout", message: message).utf8)),
                             discardEnvironment: true)
        } else if starved, let requestID = assigned {
            // The runtime could not even connect: the lab had no descriptor to accept it with.
            let message = "The lab could not accept the runtime's connection (out of file descriptors). Raise the open-file limit (ulimit -n) or send fewer concurrent invocations."
            if let environment = state.withLock({ $0.environments[environmentID] }) { emit(environment, "[lab] \(message)", platform: true) }
            state.withLock { $0.removeInFlight(requestID) }?.complete(.failure(.service(message)))
        } else if let requestID = assigned {
            let message = "RequestId: \(requestID) Error: Init phase timed out after \(limit.formattedSeconds) seconds"
            finishInvocation(requestID: requestID, environmentID: environmentID,
                             outcome: .failed(type: "Sandbox.Timedout", payload: Array(AWSErrorBody.function(type: "Sandbox.Timedout", message: message).utf8)),
                             discardEnvironment: true)
        }
        provisionedEnvironmentFailed(environmentID, reason: "Init phase timed out")
        shutDown(environmentID: environmentID, reason: "init timeout", immediately: true)
    }

    /// Moves an invocation to a new environment and returns it, to be launched: when its own
    /// environment died from outside before running it (a cold start, as on AWS), or to re-run an
    /// Init that ran out of time inside the invocation (`suppressedInit`: no Init Duration in its
    /// REPORT, the Init counted in Duration). Only the invocation's own environment can give it up.
    func moveInvocation(_ requestID: String, from environmentID: String, suppressedInit: Bool = false) -> EnvironmentState? {
        let moved = state.withLock { state -> (EnvironmentState, staleTimeout: UInt64?)? in
            guard !state.stopped, let old = state.environments[environmentID],
                  state.inFlight[requestID]?.environmentID == environmentID else { return nil }
            state.giveUpAssignment(environmentID)
            state.beginShutdown(environmentID)
            var replacement = state.newEnvironment(function: old.functionName, version: old.version, configuration: old.configuration,
                                                   initializationType: .onDemand, scratchDirectory: scratchDirectory(for:), assigned: requestID)
            replacement.suppressedInit = suppressedInit
            replacement.initReported = suppressedInit
            state.environments[replacement.id] = replacement
            state.inFlight[requestID]!.environmentID = replacement.id
            state.inFlight[requestID]!.coldStart = true
            state.inFlight[requestID]!.moved = !suppressedInit
            // Whatever was begun for it in the old environment starts again in the new one.
            state.inFlight[requestID]!.handedOutAt = nil
            state.inFlight[requestID]!.startLogged = false
            defer { state.inFlight[requestID]!.timeoutToken = nil }
            return (replacement, state.inFlight[requestID]!.timeoutToken)
        }
        if let token = moved?.staleTimeout { deadlines.cancel(token) }
        return moved?.0
    }
}

import Foundation
import Glibc
import RuntimeAPI
import Timing

/// The Shutdown phase and what ends an environment: the idle timer, the process exiting, a failed start.
extension Lab {
    /// The Shutdown phase: SIGTERM, then SIGKILL after the grace period (or at once). A parked
    /// `GET /next` is left unanswered, as AWS leaves a frozen runtime's: answering it would let the
    /// runtime exit on its own before the signal, and Shutdown is the lab's to end. The connection
    /// goes when the process does (`processExited`).
    func shutDown(environmentID: String, reason: String, immediately: Bool = false) {
        let known = state.withLock { state -> (process: ChildProcess?, exists: Bool) in
            guard let environment = state.beginShutdown(environmentID, reason: reason) else { return (nil, false) }
            return (environment.process, true)
        }
        // Not spawned yet: start() sees shuttingDown and kills it.
        guard known.exists, let process = known.process else { return }
        if immediately {
            process.signal(SIGKILL)
            return
        }
        process.signal(SIGTERM)
        deadlines.after(configuration.shutdownGrace) { [weak self] in
            if self?.state.withLock({ $0.environments[environmentID] != nil }) ?? true { process.signal(SIGKILL) }
        }
    }

    /// Shuts an idle on-demand environment down once it has been idle for the idle timeout. One check
    /// per environment is pending at a time; a check that finds the environment used since re-arms
    /// for the time that is left, so the deadline heap does not grow with every invocation.
    func scheduleIdleCheck(environmentID: String, after delay: Duration? = nil) {
        let timeout = configuration.idleTimeout
        let arm = state.withLock { state -> Bool in
            guard let environment = state.environments[environmentID], !environment.idleCheckArmed,
                  environment.initializationType == .onDemand else { return false }
            state.environments[environmentID]!.idleCheckArmed = true
            return true
        }
        guard arm else { return }
        deadlines.after(delay ?? timeout) { [weak self] in
            guard let self else { return }
            let now = Clock.now
            let verdict = state.withLock { state -> (expired: Bool, remaining: Duration?) in
                guard state.environments[environmentID] != nil else { return (false, nil) }
                state.environments[environmentID]!.idleCheckArmed = false
                let environment = state.environments[environmentID]!
                guard environment.phase == .idle, let since = environment.idleSince else { return (false, nil) }
                let idleFor = now - since
                guard idleFor >= timeout else { return (false, timeout - idleFor) }
                // Out of the idle index now, under the same lock: no invocation can take it any more.
                state.beginShutdown(environmentID)
                return (true, nil)
            }
            if verdict.expired { shutDown(environmentID: environmentID, reason: "idle for \(timeout.formattedSeconds) s") }
            if let remaining = verdict.remaining { scheduleIdleCheck(environmentID: environmentID, after: remaining) }
        }
    }

    /// The process is gone (reaped). A caller still waiting gets `Runtime.ExitError`
    /// (chapters/aws-facts.md#function-errors).
    func processExited(environmentID: String, _ exit: ChildProcess.Exit) {
        // No invocation may be routed to it from now on, so what it holds is decided once.
        state.withLock { _ = $0.beginShutdown(environmentID) }
        rerouteUnreadInvocation(environmentID)
        let removed = state.withLock { state -> (EnvironmentState, String?)? in
            guard let environment = state.environments.removeValue(forKey: environmentID) else { return nil }
            return (environment, environment.assigned.flatMap { state.inFlight[$0] != nil ? $0 : nil })
        }
        guard let (environment, requestID) = removed else { return }
        environment.endpoint?.stop()
        environment.parkedNext?(.stop)
        let reason = environment.exitReason ?? "runtime exited"
        // AWS writes no log line when it removes an environment: this one is marked as the lab's.
        let line = "[lab] SHUTDOWN \(environment.id) (\(reason); process \(exit.awsDescription))"
        let record = ShutdownRecord(environmentID: environmentID, functionName: environment.functionName, reason: reason,
                                    exit: exit.awsDescription, at: offset(Clock.now))
        state.withLock { state in
            state.shutdowns.append(record)
            if state.shutdowns.count > 2 * 1_000 { state.shutdowns.removeFirst(1_000) }
        }
        if let requestID {
            // Put the environment back just long enough to finish its invocation's record.
            state.withLock { $0.environments[environmentID] = environment }
            let why = exit == .exited(0) ? "Runtime exited without providing a reason" : "Runtime exited with error: \(exit.awsDescription)"
            state.withLock { state in
                if state.inFlight[requestID]?.handedOutAt == nil { state.inFlight[requestID]?.handedOutAt = Clock.now }
            }
            finishInvocation(requestID: requestID, environmentID: environmentID,
                             outcome: .failed(type: "Runtime.ExitError",
                                              payload: Array(AWSErrorBody.function(type: "Runtime.ExitError", message: "RequestId: \(requestID) Error: \(why)").utf8)),
                             discardEnvironment: true)
            state.withLock { _ = $0.environments.removeValue(forKey: environmentID) }
        }
        // After the invocation's END and REPORT: the environment outlived its last invocation.
        emit(environment, line, platform: true)
        // Only now, with the environment removed for good and its line written, is it gone: a
        // caller of `waitUntilGone` that came while it was put back above is answered too.
        let waiters = state.withLock { $0.goneWaiters.removeValue(forKey: environmentID) ?? [] }
        for waiter in waiters { waiter.resume() }
        provisionedEnvironmentFailed(environmentID, reason: "runtime exited")
        try? FileManager.default.removeItem(atPath: environment.scratchDirectory)
        environmentGone()
    }

    /// A process killed from outside (not by the lab) around the time its event was handed out. If
    /// its Runtime API connection was reset (the event was still unread in its socket), was seen
    /// closed when the event was about to be written (so it was held back), had already ended when
    /// the event was written, or the event was not written yet, the function never ran it: the
    /// invocation goes to a new environment instead of failing, as on AWS.
    func rerouteUnreadInvocation(_ environmentID: String) {
        let candidate = state.withLock { state -> (requestID: String, handedOutAt: Instant?, endpoint: HTTPServer?)? in
            // Moved once already: a second loss is not a coincidence of timing, so it fails.
            guard let environment = state.environments[environmentID], environment.exitReason == nil,
                  let requestID = environment.assigned, let invocation = state.inFlight[requestID], !invocation.moved else { return nil }
            return (requestID, invocation.handedOutAt, environment.endpoint)
        }
        guard let (requestID, handedOutAt, endpoint) = candidate else { return }
        if let handedOutAt {
            // The connection's own thread sees the end (the same exit closed it): wait for that, up
            // to 300 ms — longer than the connection's own wait for a reset (100 ms).
            guard let endpoint else { return }
            _ = endpoint.waitUntilNoConnections(milliseconds: 300)
            // The event reached the runtime only if it was written while its connection was open:
            // not written yet (the hand-out's thread is late), held back, reset, or written after
            // the connection had ended all mean the function never ran it.
            let written = endpoint.lastAnswerWrite.flatMap { $0 >= handedOutAt ? $0 : nil }
            let endedBeforeWrite = written.map { write in endpoint.lastConnectionEnd.map { $0 <= write } ?? false } ?? true
            guard endpoint.sawConnectionReset || endpoint.heldBackAnswer || endedBeforeWrite else { return }
        }
        if let replacement = moveInvocation(requestID, from: environmentID) { launch(replacement) }
    }

    /// An environment that never got a process: its invocation fails, and it is forgotten. With a
    /// `serviceError` the invocation fails as an invocation error (the lab's), not as a function error.
    func discard(environmentID: String, type: String, message: String, serviceError: LabError? = nil) {
        let (requestID, environment) = state.withLock { state -> (String?, EnvironmentState?) in
            let environment = state.beginShutdown(environmentID)
            return (environment?.assigned, environment)
        }
        // Said where it happens: an environment that never started has no log of its own.
        if let environment { emit(environment, "[lab] \(environmentID) could not start: \(type): \(message)", platform: true) }
        // A provisioned environment that cannot start fails its configuration, instead of leaving
        // it IN_PROGRESS for ever.
        provisionedEnvironmentFailed(environmentID, reason: "\(type): \(message)", replace: false)
        if let requestID, let serviceError {
            state.withLock { $0.removeInFlight(requestID) }?.complete(.failure(serviceError))
        } else if let requestID {
            state.withLock { $0.inFlight[requestID]?.handedOutAt = Clock.now }
            finishInvocation(requestID: requestID, environmentID: environmentID,
                             outcome: .failed(type: type, payload: Array(AWSErrorBody.function(type: type, message: message).utf8)),
                             discardEnvironment: true)
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.environments.removeValue(forKey: environmentID)
            return state.goneWaiters.removeValue(forKey: environmentID) ?? []
        }
        for waiter in waiters { waiter.resume() }
        environmentGone()
    }
}

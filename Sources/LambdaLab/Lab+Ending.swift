import EventLoop
import Foundation
import Glibc
import HTTP
import LambdaAPI
import Timing

/// What ends invocations and environments, on the loop: an invocation's timeout, the Shutdown
/// phase, the idle timer, the process exiting, a start that failed.
extension Lab {
    /// The function outran its timeout: the caller gets `Sandbox.Timedout`. On Lambda's default the
    /// environment is discarded (AWS resets it; chapters/aws-facts.md#timeouts-and-crashes). On
    /// Lambda Managed Instances (or any environment with several slots) the invocation fails alone
    /// and the others go on: AWS does not stop the code, so its slot stays taken until the runtime
    /// answers — too late, with 410 (chapters/aws-facts.md#lambda-managed-instances).
    func timeOut(_ id: RequestID) {
        let found = state.withLock { state -> (environment: EnvironmentID, timeout: Duration, discard: Bool)? in
            guard let invocation = state.invocations[id], invocation.isHandedOut,
                  let environment = state.pool[invocation.environment] else { return nil }
            let discard = environment.capacity == 1 && environment.initializationType != .lambdaManagedInstances
            if discard { state.pool.beginShutdown(environment.id, reason: "timeout") }
            return (environment.id, invocation.timeout, discard)
        }
        guard let found else { return }
        let line = PlatformLog.timedOut(requestID: id.value, timeoutSeconds: found.timeout.seconds)
        let message = "RequestId: \(id.value) Error: Task timed out after \(found.timeout.formattedSeconds) seconds"
        finish(id, in: found.environment, .error("Sandbox.Timedout", message), lines: [line])
        if found.discard {
            shutDown(found.environment, reason: "timeout", immediately: true)
        } else {
            state.withLock { $0.pool.holdTimedOut(id, in: found.environment) }
        }
    }

    /// The Shutdown phase: SIGTERM, then SIGKILL after the grace period (or at once). A parked
    /// `GET /next` is left unanswered, as AWS leaves a frozen runtime's: answering it would let the
    /// runtime exit on its own before the signal, and Shutdown is the lab's to end. The connection
    /// goes when the process does (`processExited`). From the loop.
    func shutDown(_ id: EnvironmentID, reason: String, immediately: Bool = false) {
        guard state.withLock({ $0.pool.beginShutdown(id, reason: reason) }) != nil else { return }
        // Not spawned yet: `attach` sees shuttingDown and kills it.
        guard let process = io.value[id]?.process else { return }
        if immediately { return process.signal(SIGKILL) }
        process.signal(SIGTERM)
        loop.schedule(after: configuration.shutdownGrace) { [weak self] in
            if self?.io.value[id] != nil { process.signal(SIGKILL) }
        }
    }

    /// From any thread.
    func shutDownSoon(_ ids: [EnvironmentID], reason: String) {
        guard !ids.isEmpty else { return }
        loop.execute { [self] in for id in ids { shutDown(id, reason: reason) } }
    }

    /// Shuts an idle on-demand environment down once it has been idle for the idle timeout. One
    /// check per environment is pending at a time; a check that finds the environment used since
    /// re-arms for the time that is left, so the timers do not grow with every invocation.
    func armIdleCheck(_ id: EnvironmentID, timer: LoopTimer, after delay: Duration) {
        let timeout = configuration.idleTimeout
        loop.schedule(timer, after: delay) { [weak self] in
            guard let self else { return }
            let now = Clock.now
            let verdict = state.withLock { state -> (expired: Bool, remaining: Duration?) in
                guard let environment = state.pool[id] else { return (false, nil) }
                state.pool.update(id) { $0.idleCheck = nil }
                guard environment.phase == .idle, let since = environment.idleSince else { return (false, nil) }
                let idleFor = now - since
                guard idleFor >= timeout else {
                    let next = loop.reserveTimer()
                    state.pool.update(id) { $0.idleCheck = next }
                    return (false, timeout - idleFor)
                }
                // Out of the index now, under the same lock: no invocation can take it any more.
                state.pool.beginShutdown(id)
                return (true, nil)
            }
            if verdict.expired { shutDown(id, reason: "idle for \(timeout.formattedSeconds) s", immediately: false) }
            if let remaining = verdict.remaining, let next = state.withLock({ $0.pool[id]?.idleCheck }) {
                armIdleCheck(id, timer: next, after: remaining)
            }
        }
    }

    /// The process is gone (reaped). Its invocations that never reached the function go to a new
    /// environment, as on AWS; the others fail with `Runtime.ExitError`
    /// (chapters/aws-facts.md#function-errors). Then the environment leaves the pool.
    func processExited(_ id: EnvironmentID, _ exit: ChildProcess.Exit) {
        let io = self.io.value[id]
        // Everything it printed comes before its END and its SHUTDOWN.
        if let printed = io?.output.drain(), !printed.isEmpty { functionOutput(id, printed) }
        let (held, knownReason) = state.withLock { state -> ([Invocation], String?) in
            let environment = state.pool.beginShutdown(id)
            let held = environment?.invocations.compactMap { state.invocations[$0] } ?? []
            return (held, environment?.exitReason)
        }
        var moved: [Environment] = []
        for invocation in held {
            // Killed from outside (not by the lab) before the function read its event: it runs
            // elsewhere. Written but unread shows as a reset: a process that closes a socket with
            // bytes unread in it resets the connection.
            let unread = !invocation.isHandedOut || invocation.handOut.map { io?.connectionEndings[$0.connection] ?? peekEnding(io, $0.connection) == .reset } == true
            if knownReason == nil, unread, invocation.moves == 0, let replacement = move(invocation.id, from: id, initInside: false) {
                moved.append(replacement)
                continue
            }
            let why = exit == .exited(0) ? "Runtime exited without providing a reason" : "Runtime exited with error: \(exit.awsDescription)"
            finish(invocation.id, in: id, .error("Runtime.ExitError", "RequestId: \(invocation.id.value) Error: \(why)"))
        }
        for replacement in moved { launch(replacement) }
        let (environment, waiters) = state.withLock { state -> (Environment?, [CheckedContinuation<Void, Never>]) in
            let environment = state.pool.remove(id)
            if let environment {
                state.shutdowns.append(ShutdownRecord(environmentID: id.description, functionName: environment.function,
                                                      reason: environment.exitReason ?? "runtime exited", exit: exit.awsDescription,
                                                      at: offset(Clock.now)))
                if state.shutdowns.count > 2 * 1_000 { state.shutdowns.removeFirst(1_000) }
            }
            return (environment, state.goneWaiters.removeValue(forKey: id) ?? [])
        }
        io?.close(loop: loop)
        self.io.value[id] = nil
        if let environment {
            // AWS writes no log line when it removes an environment: this one is marked as the lab's.
            emit(function: environment.function, environment: id,
                 "[lab] SHUTDOWN \(id) (\(environment.exitReason ?? "runtime exited"); process \(exit.awsDescription))", platform: true)
            let scratch = environment.scratchDirectory
            starters.enqueue { try? FileManager.default.removeItem(atPath: scratch) }
        }
        // Only now, with the environment removed for good and its line written, is it gone.
        for waiter in waiters { waiter.resume() }
        provisionedEnvironmentFailed(id, reason: "runtime exited")
        managedEnvironmentGone(id, reason: "runtime exited")
        environmentGone()
    }

    /// How a connection ended, if the loop has not been told yet: looked at without consuming.
    private func peekEnding(_ io: EnvironmentIO?, _ connection: Int) -> HTTPServer.Ending? {
        io?.endpoint.ending(ofConnection: connection)
    }

    /// An environment that never got a process: its invocations fail, and it is forgotten. With a
    /// `serviceError` they fail as invocation errors (the lab's), not as function errors.
    func discard(_ id: EnvironmentID, type: String, message: String, serviceError: LabError? = nil) {
        let environment = state.withLock { $0.pool.beginShutdown(id) }
        guard let environment else { return }
        // Said where it happens: an environment that never started has no log of its own.
        emit(function: environment.function, environment: id, "[lab] \(id) could not start: \(type): \(message)", platform: true)
        // A provisioned environment that cannot start fails its configuration, instead of leaving
        // it IN_PROGRESS for ever.
        provisionedEnvironmentFailed(id, reason: "\(type): \(message)", replace: false)
        managedEnvironmentGone(id, reason: "\(type): \(message)", replace: false)
        for request in environment.invocations {
            if let serviceError {
                state.withLock { $0.invocations.close(request) }?.completion(.failure(serviceError))
            } else {
                finish(request, in: id, .error(type, message))
            }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            _ = state.pool.remove(id)
            return state.goneWaiters.removeValue(forKey: id) ?? []
        }
        for waiter in waiters { waiter.resume() }
        environmentGone()
    }
}

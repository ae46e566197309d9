import Foundation
import Glibc
import RuntimeAPI
import Timing

/// Starting an execution environment and finishing its invocations: from the spawn to each
/// invocation's REPORT. (Its Shutdown and reaping are in Lab+Shutdown.swift.)
extension Lab {
    /// How an invocation ended, as the runtime (or the lab, for a crash or timeout) reported it.
    enum InvocationOutcome {
        case succeeded([UInt8])
        case failed(type: String, payload: [UInt8])
    }

    // MARK: Init

    /// Starts an environment on a starter thread, after the modeled sandbox delay if there is one
    /// (microVM creation and code download that a laptop does not have: waited on the deadline
    /// thread, so a burst's delays run side by side, as on AWS, and outside Init Duration).
    func launch(_ environment: EnvironmentState) {
        if configuration.sandboxDelay > .zero {
            deadlines.after(configuration.sandboxDelay) { [weak self] in
                guard let self else { return }
                starters.enqueue { self.start(environment) }
            }
        } else {
            starters.enqueue { self.start(environment) }
        }
    }

    /// Cold start: the environment's Runtime API endpoint, its scratch directory, then the process.
    /// Init Duration starts at the spawn and ends at the runtime's first `GET /next`.
    func start(_ environment: EnvironmentState) {
        // This thread and the process it spawns yield to the lab's own threads (see
        // `LabConfiguration.environmentNiceness`); on Linux a thread's nice value is its own, and a
        // child inherits it from its first instruction.
        if let niceness = configuration.environmentNiceness { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        let id = environment.id
        // Held here until the state has it, so a start that fails half-way stops it (no leaked listener).
        var started: HTTPServer?
        do {
            let endpoint = try RuntimeEndpoint.server(lab: self, environmentID: id)
            started = endpoint
            endpoint.start()
            // One mkdir, under a parent made once: a burst of starts creating nested directories
            // contended on the parent directory's lock (a quarter of the lab's CPU at N = 100).
            guard mkdir(environment.scratchDirectory, 0o700) == 0 || errno == EEXIST else {
                throw LabError.service("cannot create \(environment.scratchDirectory): \(String(cString: strerror(errno)))")
            }
            let variables = environmentVariables(environment, runtimeAPIPort: endpoint.port)
            let output = try ProcessOutput()
            // The newest descriptors of this start: if they leave too few free, do not spawn.
            if !DescriptorHeadroom.leavesRoom(after: output.highestDescriptor) {
                output.abandon()
                throw SocketError("start \(id) (descriptor headroom)", code: EMFILE)
            }
            let spawnedAt = Clock.now
            let proceed = state.withLock { state -> Bool in
                guard !state.stopped, let current = state.environments[id], current.phase != .shuttingDown else { return false }
                state.environments[id]!.endpoint = endpoint
                state.environments[id]!.output = output
                state.environments[id]!.spawnedAt = spawnedAt
                return true
            }
            guard proceed else {
                endpoint.stop()
                discard(environmentID: id, type: "Runtime.ExitError", message: "Runtime exited without providing a reason")
                return
            }
            let process = try ChildProcess.spawn(command: environment.configuration.command, environment: variables,
                                                 workingDirectory: environment.configuration.workingDirectory,
                                                 processGroup: watchdog.processGroup, output: output)
            let killNow = state.withLock { state -> Bool in
                guard state.environments[id] != nil else { return true }
                state.environments[id]!.process = process
                return state.environments[id]!.phase == .shuttingDown
            }
            process.startReading(
                onLine: { [weak self] line in self?.functionOutput(environmentID: id, line) },
                onExit: { [weak self] exit in self?.processExited(environmentID: id, exit) })
            if killNow { process.signal(SIGKILL) }
            let limit = environment.suppressedInit ? environment.configuration.timeout
                : environment.initializationType == .onDemand ? configuration.initTimeout : max(.seconds(130), environment.configuration.timeout)
            deadlines.after(limit) { [weak self] in
                guard let self else { return }
                DispatchQueue.global().async { self.initTimedOut(environmentID: id, limit: limit) }
            }
        } catch let error as SocketError where error.isResourceExhaustion {
            // The lab's own limit: the caller gets AWS's service error, and the function is not blamed.
            started?.stop()
            let message = "The lab could not start an execution environment (\(error)). Raise the open-file limit (ulimit -n) or send fewer concurrent invocations."
            emit(environment, "[lab] \(message)", platform: true)
            discard(environmentID: id, type: "ServiceException", message: message, serviceError: .service(message))
        } catch {
            started?.stop()
            discard(environmentID: id, type: "Runtime.InvalidEntrypoint", message: "\(error)")
        }
    }

    /// The environment variables of an execution environment
    /// (chapters/aws-facts.md#environment-variables, DESIGN §3).
    func environmentVariables(_ environment: EnvironmentState, runtimeAPIPort: UInt16) -> [String: String] {
        let inherited = inheritedEnvironment
        var variables: [String: String] = ["TZ": ":UTC", "LANG": "en_US.UTF-8"]
        variables.merge(inherited) { _, new in new }
        let configuration = environment.configuration
        variables.merge(configuration.environment) { _, new in new }
        let taskRoot = configuration.workingDirectory ?? URL(fileURLWithPath: configuration.command[0]).deletingLastPathComponent().path
        let reserved: [String: String] = [
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(runtimeAPIPort)",
            "AWS_LAMBDA_FUNCTION_NAME": environment.functionName,
            "AWS_LAMBDA_FUNCTION_VERSION": environment.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(configuration.memorySizeMB),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(environment.functionName)",
            "AWS_LAMBDA_LOG_STREAM_NAME": environment.logStreamName,
            "AWS_LAMBDA_INITIALIZATION_TYPE": environment.initializationType.rawValue,
            "_HANDLER": configuration.handler,
            "AWS_REGION": self.configuration.region,
            "AWS_DEFAULT_REGION": self.configuration.region,
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": taskRoot,
            // The lab's stand-in for /tmp: one scratch directory per environment.
            "TMPDIR": environment.scratchDirectory,
            // Dummy credentials, so an AWS SDK inside a function can sign calls to the lab.
            "AWS_ACCESS_KEY_ID": "LABACCESSKEY", "AWS_SECRET_ACCESS_KEY": "lab-secret", "AWS_SESSION_TOKEN": "lab-session",
        ]
        variables.merge(reserved) { _, new in new }
        // The lab's Invoke API, unless the function's configuration names an endpoint of its own
        // (as on AWS, where it is an ordinary variable): e.g. a TLS proxy in front of the lab.
        if let url = invokeEndpointURL, configuration.environment["AWS_ENDPOINT_URL_LAMBDA"] == nil {
            variables["AWS_ENDPOINT_URL_LAMBDA"] = url
        }
        return variables
    }

    func scratchDirectory(for id: String) -> String {
        "\(scratchBase)/\(id)"
    }

    // MARK: Function output

    /// A line the function wrote: it belongs to the invocation being served, or to Init.
    func functionOutput(environmentID: String, _ line: String) {
        let environment = state.withLock { state -> EnvironmentState? in
            guard let environment = state.environments[environmentID] else { return nil }
            if let requestID = environment.assigned, state.inFlight[requestID]?.handedOutAt != nil {
                let kept = state.inFlight[requestID]!.logBytes
                if kept + line.utf8.count <= configuration.invocationLogBytesLimit {
                    state.inFlight[requestID]!.logLines.append(line)
                    state.inFlight[requestID]!.logBytes += line.utf8.count + 1
                } else if kept <= configuration.invocationLogBytesLimit {
                    state.inFlight[requestID]!.logLines.append("[lab] the rest of this invocation's log was not kept (over \(configuration.invocationLogBytesLimit / 1024) KB; it was printed)")
                    state.inFlight[requestID]!.logBytes = configuration.invocationLogBytesLimit + 1
                }
            } else if environment.phase == .initializing, environment.initLog.count < 10_000 {
                state.environments[environmentID]!.initLog.append(line)
            }
            return environment
        }
        if let environment { emit(environment, line, platform: false) }
    }

    // MARK: Invoke ends

    /// What closing an invocation took out of the state, for `finishInvocation` to report.
    private struct Closed {
        let invocation: InFlightInvocation
        let environmentID: String
        /// Nil when the environment is already gone.
        let environment: EnvironmentState?
        /// Init's figures and output, on the first invocation of a cold start only.
        let initDuration: Duration?
        let initCPUTime: Duration?
        let initLog: [String]
    }

    /// Ends an invocation: records it, answers the caller, and (unless it is being discarded) makes
    /// the environment idle at once, so the very next invoke reuses it. Decided under the lock
    /// (`close`), then reported outside it.
    func finishInvocation(requestID: String, environmentID: String, outcome: InvocationOutcome, discardEnvironment: Bool = false) {
        // Everything the process printed before it answered belongs to this invocation's log.
        let (process, output) = state.withLock { ($0.environments[environmentID]?.process, $0.environments[environmentID]?.output) }
        output?.drain { line in self.functionOutput(environmentID: environmentID, line) }
        let now = Clock.now
        guard let closed = state.withLock({ close(requestID, environmentID, keep: !discardEnvironment, at: now, in: &$0) }) else { return }
        report(closed, outcome: outcome, maxMemoryUsedMB: process?.maxMemoryUsedMB() ?? 0, at: now)
    }

    /// Takes the invocation out of flight and releases its environment; hands Init's figures to
    /// the first invocation of a cold start.
    private func close(_ requestID: String, _ environmentID: String, keep: Bool, at now: Instant, in state: inout LabState) -> Closed? {
        guard let invocation = state.removeInFlight(requestID) else { return nil }
        guard let environment = state.environments[environmentID] else {
            return Closed(invocation: invocation, environmentID: environmentID, environment: nil, initDuration: nil, initCPUTime: nil, initLog: [])
        }
        let reportsInit = invocation.coldStart && !environment.initReported
        if reportsInit {
            state.environments[environmentID]!.initReported = true
            state.environments[environmentID]!.initLog = []
        }
        state.release(environmentID, from: requestID, keep: keep, at: now)
        return Closed(invocation: invocation, environmentID: environmentID, environment: state.environments[environmentID],
                      initDuration: reportsInit ? environment.initDuration : nil, initCPUTime: reportsInit ? environment.initCPUTime : nil,
                      initLog: reportsInit ? environment.initLog : [])
    }

    /// END and REPORT, the record, the idle timer, the caller's answer.
    private func report(_ closed: Closed, outcome: InvocationOutcome, maxMemoryUsedMB: Int, at now: Instant) {
        let (invocation, environment) = (closed.invocation, closed.environment)
        let requestID = invocation.requestID
        let duration = now - (invocation.handedOutAt ?? now)
        let report = Report(requestID: requestID, duration: duration, initDuration: closed.initDuration,
                            memorySizeMB: environment?.configuration.memorySizeMB ?? 128, maxMemoryUsedMB: maxMemoryUsedMB)
        let end = PlatformLog.end(requestID: requestID)
        let reportLine = PlatformLog.report(report)
        if let environment {
            // Every END has its START, also for an invocation that ended before its event was handed out.
            if !invocation.startLogged { emit(environment, PlatformLog.start(requestID: requestID, version: invocation.version), platform: true) }
            emit(environment, end, platform: true)
            emit(environment, reportLine, platform: true)
        }
        let lines = closed.initLog + [PlatformLog.start(requestID: requestID, version: invocation.version)] + invocation.logLines + [end, reportLine]
        let (payload, errorType): ([UInt8], String?) = switch outcome {
        case .succeeded(let body): (body, nil)
        case .failed(let type, let body): (body, type)
        }
        let record = InvocationRecord(
            requestID: requestID, functionName: invocation.functionName, executedVersion: invocation.version,
            environmentID: closed.environmentID, coldStart: invocation.coldStart, initDuration: closed.initDuration,
            initCPUTime: closed.initCPUTime, duration: duration, billedDurationMs: report.billedDurationMs,
            maxMemoryUsedMB: report.maxMemoryUsedMB, receivedAt: offset(invocation.receivedAt),
            spawnedAt: invocation.coldStart ? environment?.spawnedAt.map(offset) : nil,
            handlerStartedAt: offset(invocation.handedOutAt ?? now), functionError: errorType == nil ? nil : "Unhandled",
            errorType: errorType, logLines: lines, environmentInvocationNumber: environment?.invocationsServed ?? 1,
            initializationType: environment?.initializationType ?? .onDemand, spillover: invocation.spillover)
        keep(record)
        if let environment, environment.phase == .idle { scheduleIdleCheck(environmentID: environment.id) }
        if let token = invocation.timeoutToken { deadlines.cancel(token) }
        invocation.complete(.success(InvocationResult(requestID: requestID, executedVersion: invocation.version, payload: payload,
                                                      functionError: record.functionError, record: record)))
    }

    /// The function outran its timeout: the caller gets `Sandbox.Timedout` and the environment is
    /// discarded (AWS resets it; chapters/aws-facts.md#timeouts-and-crashes).
    func timeOut(requestID: String, environmentID: String) {
        let invocation = state.withLock { state -> InFlightInvocation? in
            guard let invocation = state.inFlight[requestID], invocation.environmentID == environmentID,
                  invocation.handedOutAt != nil else { return nil }
            state.beginShutdown(environmentID, reason: "timeout")
            return invocation
        }
        guard let invocation else { return }
        let seconds = invocation.timeout.formattedSeconds
        let line = PlatformLog.timedOut(requestID: requestID, timeoutSeconds: invocation.timeout.seconds)
        state.withLock { $0.inFlight[requestID]?.logLines.append(line) }
        if let environment = state.withLock({ $0.environments[environmentID] }) { emit(environment, line, platform: true) }
        let message = "RequestId: \(requestID) Error: Task timed out after \(seconds) seconds"
        finishInvocation(requestID: requestID, environmentID: environmentID,
                         outcome: .failed(type: "Sandbox.Timedout", payload: Array(AWSErrorBody.function(type: "Sandbox.Timedout", message: message).utf8)),
                         discardEnvironment: true)
        shutDown(environmentID: environmentID, reason: "timeout", immediately: true)
    }
}

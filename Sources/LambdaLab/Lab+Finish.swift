import EventLoop
import HTTP
import LambdaAPI
import Timing

/// How an invocation ends: closed in one critical section — out of flight, its slot freed, its
/// record kept — then reported outside it: END and REPORT, the caller's answer.
extension Lab {
    /// How an invocation ended, as the runtime (or the lab, for a crash or timeout) reported it.
    enum InvocationOutcome {
        case succeeded([UInt8])
        case failed(type: String, payload: [UInt8])

        /// A failure with AWS's function-error body.
        static func error(_ type: String, _ message: String) -> InvocationOutcome {
            .failed(type: type, payload: Array(AWSErrorBody.function(type: type, message: message).utf8))
        }
    }

    /// Ends an invocation of environment `environment` (on the loop). `fromRuntime`: the runtime
    /// answered, so the invocation must be one it was handed; a refusal to send back is returned
    /// (400 for a request ID it does not run, 403 for one it was not given yet), nil otherwise.
    /// `lines`: the lab's own lines for its log (a timeout's).
    ///
    /// Everything the process printed before the invocation ended belongs to its log, so the pipe
    /// is read here, every time. The loop does handle a process's output before its sockets in
    /// each turn, but that is not enough: a connection that has just been answered reads on
    /// (keep-alive), and on a busy machine a runtime can print and post its response in the
    /// moment between the event going out and that read — the answer would then be read before
    /// the output that came first (one `read` that finds nothing costs about a microsecond).
    @discardableResult
    func finish(_ id: RequestID, in environment: EnvironmentID, _ outcome: InvocationOutcome, fromRuntime: Bool = false,
                lines: [String] = []) -> HTTPResponse? {
        // Invocations that arrived before this one ended are routed before its slot is free: they
        // could not have reused it on AWS either. (A busy turn can read a burst's last requests and
        // then its first answers; routed only at the turn's end, those requests would reuse
        // environments that were still busy when they arrived.)
        routeArrivalsNow()
        let io = self.io.value[environment]
        let printed = io?.output.drain() ?? []
        let memory = io?.process.maxMemoryUsedMB() ?? 0
        let now = Clock.now
        let (closing, emitted) = state.withLock { state -> (Closing, [EmittedLine]) in
            let emitted = absorb(printed, from: environment, in: &state)
            guard let invocation = state.invocations[id], invocation.environment == environment else {
                // The answer to an invocation that timed out while its code ran on: too late, and
                // its slot is free again (AWS's emulator answers 410 InvokeTimeout).
                if fromRuntime, state.pool.releaseTimedOut(id, from: environment) {
                    return (.refused(RuntimeEndpoint.error(410, "InvokeTimeout", "Invoke timeout")), emitted)
                }
                return (.refused(RuntimeEndpoint.error(400, "InvalidRequestID", "Invalid request ID")), emitted)
            }
            if fromRuntime, !invocation.isHandedOut {
                return (.refused(RuntimeEndpoint.error(403, "InvalidStateTransition", "State transition from Ready to ResponseSent failed for runtime.")), emitted)
            }
            for line in lines { invocation.appendLog(line, limit: configuration.invocationLogBytesLimit) }
            state.invocations.close(id)
            return (.closed(close(invocation, in: environment, outcome, memory: memory, at: now, in: &state)), emitted)
        }
        write(emitted)
        switch closing {
        case .refused(let response):
            return response
        case .closed(let closed):
            report(closed, extraLines: lines)
            return nil
        }
    }

    private enum Closing {
        case refused(HTTPResponse)
        case closed(Closed)
    }

    /// What closing took out of the state, for `report`.
    struct Closed {
        let invocation: Invocation
        let record: InvocationRecord
        let result: InvocationResult
        let environment: EnvironmentID
        let environmentFunction: String
        /// The environment is still there (its END and REPORT go to its log stream).
        let environmentLives: Bool
        /// An idle check to arm, reserved in the same step.
        let idleCheck: LoopTimer?
        /// An asynchronous event waiting for this function's capacity, which the freed slot takes.
        let nextEvent: (event: RequestID, timer: LoopTimer)?
    }

    /// Takes the invocation out of flight, frees its slot (unless its environment is going), and
    /// keeps its record; hands Init's figures to the first invocation of a cold start. Under the lock.
    private func close(_ invocation: Invocation, in environmentID: EnvironmentID, _ outcome: InvocationOutcome, memory: Int, at now: Instant,
                       in state: inout LabState) -> Closed {
        let id = invocation.id
        let reportsInit = invocation.coldStart && state.pool[environmentID]?.initReported == false && state.pool[environmentID]?.suppressedInit == false
        let (initDuration, initCPUTime, spawnedAt) = (state.pool[environmentID]?.initDuration, state.pool[environmentID]?.initCPUTime,
                                                      state.pool[environmentID]?.spawnedAt)
        let memorySizeMB = state.pool[environmentID]?.configuration.memorySizeMB ?? 128
        let initializationType = state.pool[environmentID]?.initializationType ?? .onDemand
        let environmentLives = state.pool[environmentID] != nil
        var initLog: [String] = []
        if reportsInit {
            state.pool.update(environmentID) { environment in
                environment.initReported = true
                initLog = environment.initLog
                environment.initLog = []
            }
        }
        if state.pool[environmentID]?.isShuttingDown == true { state.pool.giveUp(id, from: environmentID) } else { state.pool.release(id, from: environmentID, at: now) }
        let served = state.pool[environmentID]?.invocationsServed
        let duration = invocation.duration(at: now)
        let report = Report(requestID: id.value, duration: duration, initDuration: reportsInit ? initDuration : nil,
                            memorySizeMB: memorySizeMB, maxMemoryUsedMB: memory, billed: initializationType != .lambdaManagedInstances)
        let (payload, errorType): ([UInt8], String?) = switch outcome {
        case .succeeded(let body): (body, nil)
        case .failed(let type, let body): (body, type)
        }
        let lines = initLog + [PlatformLog.start(requestID: id.value, version: invocation.version)] + invocation.log
            + [PlatformLog.end(requestID: id.value), PlatformLog.report(report)]
        let record = InvocationRecord(
            requestID: id.value, functionName: invocation.function, executedVersion: invocation.version,
            environmentID: environmentID.description, coldStart: invocation.coldStart, initDuration: report.initDuration,
            initCPUTime: reportsInit ? initCPUTime : nil, duration: duration, billedDurationMs: report.billedDurationMs,
            maxMemoryUsedMB: report.maxMemoryUsedMB, receivedAt: offset(invocation.receivedAt),
            spawnedAt: invocation.coldStart ? spawnedAt.map(offset) : nil,
            handlerStartedAt: offset(now - duration), functionError: errorType == nil ? nil : "Unhandled",
            errorType: errorType, logLines: lines, environmentInvocationNumber: served ?? 1,
            initializationType: initializationType, spillover: invocation.spillover)
        state.records.append(record)
        // An idle on-demand environment is reaped after the idle timeout: one check at a time.
        var idleCheck: LoopTimer?
        if state.pool[environmentID]?.phase == .idle, initializationType == .onDemand, state.pool[environmentID]?.idleCheck == nil {
            let timer = loop.reserveTimer()
            state.pool.update(environmentID) { $0.idleCheck = timer }
            idleCheck = timer
        }
        let nextEvent = state.queue.takeOldestWaiting(invocation.function)
        return Closed(invocation: invocation, record: record,
                      result: InvocationResult(requestID: id.value, executedVersion: invocation.version, payload: payload,
                                               functionError: record.functionError, record: record),
                      environment: environmentID, environmentFunction: invocation.function, environmentLives: environmentLives,
                      idleCheck: idleCheck, nextEvent: nextEvent)
    }

    /// END and REPORT, the timers, the caller's answer (on the loop, outside the lock).
    private func report(_ closed: Closed, extraLines: [String]) {
        let invocation = closed.invocation
        if let handOut = invocation.handOut { loop.cancel(handOut.timer) }
        if closed.environmentLives {
            let emit = { (text: String) in self.emit(function: invocation.function, environment: closed.environment, text, platform: true) }
            // Every END has its START, also for an invocation that ended before it was handed out.
            if !invocation.startLogged { emit(PlatformLog.start(requestID: invocation.id.value, version: invocation.version)) }
            for line in extraLines { emit(line) }
            for line in closed.record.logLines.suffix(2) { emit(line) }
        }
        if let timer = closed.idleCheck { armIdleCheck(closed.environment, timer: timer, after: configuration.idleTimeout) }
        invocation.completion(.success(closed.result))
        // A slot of this function is free: the oldest event waiting for one takes it now.
        if let (event, timer) = closed.nextEvent {
            loop.cancel(timer)
            attempt(event)
        }
    }

    // MARK: Function output

    /// A line to hand to `LabConfiguration.log` once the lock is released.
    struct EmittedLine {
        let function: String
        let environment: EnvironmentID
        let text: String
        let platform: Bool
    }

    func write(_ lines: [EmittedLine]) {
        for line in lines { emit(function: line.function, environment: line.environment, line.text, platform: line.platform) }
    }

    /// Lines the function printed: they belong to the invocation it runs (one slot), or to Init.
    /// Kept in the state; returned to be written out once the lock is released.
    func absorb(_ printed: [String], from id: EnvironmentID, in state: inout LabState) -> [EmittedLine] {
        guard !printed.isEmpty, let environment = state.pool[id] else { return [] }
        let limit = configuration.invocationLogBytesLimit
        if let running = environment.soleInvocation, state.invocations[running]?.isHandedOut == true {
            state.invocations.update(running) { invocation in
                for line in printed { invocation.appendLog(line, limit: limit) }
            }
        } else if environment.phase == .initializing, environment.initLog.count < 10_000 {
            state.pool.update(id) { $0.initLog += printed.prefix(10_000 - $0.initLog.count) }
        }
        return printed.map { EmittedLine(function: environment.function, environment: id, text: $0, platform: false) }
    }

    /// Output read as it came (the pipe was readable), on the loop.
    func functionOutput(_ id: EnvironmentID, _ printed: [String]) {
        let emitted = state.withLock { absorb(printed, from: id, in: &$0) }
        write(emitted)
    }
}

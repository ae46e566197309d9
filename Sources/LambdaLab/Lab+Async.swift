import Foundation
import RuntimeAPI
import Timing

/// Asynchronous invocation (`InvocationType: Event`), as AWS has it
/// (chapters/aws-facts.md#asynchronous-invocation): the event is accepted into a queue (202), sent
/// to the function through the same router and concurrency as a synchronous call, retried after
/// throttles (1 s doubling to 5 min, for up to the maximum event age) and after function errors
/// (twice, ~1 then ~2 min later), and what finally fails goes to the on-failure destination —
/// another function, invoked with AWS's invocation record — or is dropped with a log line saying
/// why. Waits are scaled by `LabConfiguration.asyncTimeScale`.
extension Lab {
    /// Accepts an event; the caller gets 202 at once. Returns the request ID.
    @discardableResult
    public func invokeAsync(_ functionName: String, qualifier: String? = nil, payload: [UInt8]) throws -> String {
        try enqueue(functionName, qualifier: qualifier, payload: payload, deliverNow: true)
    }

    /// Queues an event. A destination's record is delivered from the deadline thread, never on the
    /// stack of the event that ended, so chains of destinations cannot grow a stack.
    func enqueue(_ functionName: String, qualifier: String?, payload: [UInt8], deliverNow: Bool = false) throws -> String {
        _ = try functionConfiguration(functionName, qualifier: qualifier)
        let event = QueuedEvent(requestID: UUID().uuidString.lowercased(), functionName: functionName, qualifier: qualifier,
                                payload: payload.isEmpty ? Array("{}".utf8) : payload, acceptedAt: Clock.now)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.eventCounts[functionName, default: EventCounts()].accepted += 1
            state.queuedEvents[event.requestID] = event
            return true
        }
        guard accepted else { throw LabError.service("The lab is stopped.") }
        if deliverNow { attempt(event.requestID) } else { deadlines.after(.zero) { [weak self] in self?.attempt(event.requestID) } }
        return event.requestID
    }

    /// What became of each function's accepted events so far.
    public func eventCounts(_ functionName: String) -> EventCounts {
        state.withLock { $0.eventCounts[functionName] ?? EventCounts() }
    }

    /// How the function's most recent events ended, oldest first.
    public func eventEndings(_ functionName: String) -> [EventEnding] {
        state.withLock { $0.eventEndings.filter { $0.functionName == functionName } }
    }

    /// Waits until none of the function's accepted events is still queued — each has ended (or
    /// the lab stopped). Resumed by the ending itself, not by polling.
    public func waitForQueuedEvents(_ functionName: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let settled = state.withLock { state -> Bool in
                if (state.eventCounts[functionName]?.queued ?? 0) == 0 { return true }
                state.queueWaiters[functionName, default: []].append(continuation)
                return false
            }
            if settled { continuation.resume() }
        }
    }

    /// Callers of `waitForQueuedEvents` whose function has nothing queued any more.
    private func settledWaiters(_ state: inout LabState) -> [CheckedContinuation<Void, Never>] {
        let settled = state.queueWaiters.keys.filter { (state.eventCounts[$0]?.queued ?? 0) == 0 }
        return settled.flatMap { state.queueWaiters.removeValue(forKey: $0) ?? [] }
    }

    private enum Ending {
        case succeeded(InvocationResult)
        case failed(condition: String, result: InvocationResult?, status: Int)
    }

    /// One delivery of a queued event to its function.
    private func attempt(_ requestID: String) {
        guard let event = state.withLock({ $0.queuedEvents[requestID] }) else { return }
        let config = eventInvokeConfig(event.functionName, qualifier: event.qualifier)
        if state.withLock({ $0.functions[event.functionName]?.reservedConcurrency }) == 0 {
            // Reserved concurrency 0: straight to the destination, no retries
            // (chapters/aws-facts.md#asynchronous-invocation).
            return end(requestID, .failed(condition: "ZeroReservedConcurrency", result: nil, status: 429), config: config)
        }
        invoke(event.functionName, qualifier: event.qualifier, payload: event.payload) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let answer) where answer.functionError == nil:
                state.withLock { state in
                    state.queuedEvents[requestID]?.invocations += 1
                    state.queuedEvents[requestID]?.invocationRequestIDs.append(answer.requestID)
                }
                end(requestID, .succeeded(answer), config: config)
            case .success(let answer):
                let invocations = state.withLock { state -> Int in
                    state.queuedEvents[requestID]?.invocations += 1
                    state.queuedEvents[requestID]?.invocationRequestIDs.append(answer.requestID)
                    return state.queuedEvents[requestID]?.invocations ?? 0
                }
                if invocations > config.maximumRetryAttempts {
                    return end(requestID, .failed(condition: "RetriesExhausted", result: answer, status: 200), config: config)
                }
                // About 1 minute after the first failure, about 2 after the second.
                retry(requestID, after: .seconds(60 * invocations), config: config, answer: answer, throttled: false)
            case .failure(let error) where error.status == 404:
                // The function (or its alias) is gone: nothing can run the event any more.
                end(requestID, .failed(condition: "ResourceNotFound", result: nil, status: 404), config: config)
            case .failure(let error):
                // A throttle or the lab's own error: back to the queue, waiting longer each time.
                let throttles = state.withLock { state -> Int in
                    state.queuedEvents[requestID]?.throttles += 1
                    return state.queuedEvents[requestID]?.throttles ?? 1
                }
                let wait = min(300.0, pow(2, Double(throttles - 1)))
                retry(requestID, after: .milliseconds(wait * 1000), config: config, answer: nil, throttled: true, status: error.status)
            }
        }
    }

    /// Waits (scaled) and tries again, unless the event would be too old by then.
    private func retry(_ requestID: String, after wait: Duration, config: EventInvokeConfig, answer: InvocationResult?,
                       throttled: Bool, status: Int = 200) {
        let scale = configuration.asyncTimeScale
        guard let event = state.withLock({ $0.queuedEvents[requestID] }) else { return }
        let ageSeconds = (Clock.now - event.acceptedAt).milliseconds / 1000 / scale
        if ageSeconds + wait.milliseconds / 1000 > Double(config.maximumEventAgeSeconds) {
            return end(requestID, .failed(condition: "EventAgeExceeded", result: answer, status: status), config: config)
        }
        state.withLock { state in
            if throttled { state.eventCounts[event.functionName, default: EventCounts()].retriedAfterThrottle += 1 }
            else { state.eventCounts[event.functionName, default: EventCounts()].retriedAfterError += 1 }
        }
        deadlines.after(.milliseconds(wait.milliseconds * scale)) { [weak self] in self?.attempt(requestID) }
    }

    /// The event's one ending: counted, its record sent to a destination, or dropped with a reason.
    private func end(_ requestID: String, _ ending: Ending, config: EventInvokeConfig) {
        guard let event = state.withLock({ $0.queuedEvents.removeValue(forKey: requestID) }) else { return }
        let destination: String?
        let condition: String
        let result: InvocationResult?
        let status: Int
        switch ending {
        case .succeeded(let answer): (destination, condition, result, status) = (config.onSuccess, "Success", answer, 200)
        case .failed(let why, let answer, let code): (destination, condition, result, status) = (config.onFailure, why, answer, code)
        }
        let target = destination.flatMap(FunctionReference.init(parsing:))
        var sent = false
        if let target {
            let record = invocationRecord(event, condition: condition, result: result, status: status)
            sent = (try? enqueue(target.name, qualifier: target.qualifier, payload: record)) != nil
        }
        let ended = EventEnding(requestID: requestID, functionName: event.functionName, acceptedAtMs: offset(event.acceptedAt).milliseconds,
                                endedAtMs: offset(Clock.now).milliseconds, invocations: event.invocations, throttles: event.throttles,
                                condition: condition, destination: sent ? destination : nil, invocationRequestIDs: event.invocationRequestIDs)
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if case .succeeded = ending { state.eventCounts[event.functionName, default: EventCounts()].succeeded += 1 }
            else if sent { state.eventCounts[event.functionName, default: EventCounts()].sentToDestination += 1 }
            else { state.eventCounts[event.functionName, default: EventCounts()].dropped += 1 }
            state.eventEndings.append(ended)
            if state.eventEndings.count > 2 * configuration.recordLimit { state.eventEndings.removeFirst(configuration.recordLimit) }
            return settledWaiters(&state)
        }
        if case .failed = ending, !sent {
            let why = destination == nil ? "no on-failure destination" : "the destination \(destination!) could not be invoked"
            queueLog(event.functionName, "Event \(requestID) dropped after \(event.invocations) invocation(s): \(condition); \(why)")
        }
        // Last: a waiter that wakes finds the event's log line written too.
        for waiter in waiters { waiter.resume() }
    }

    /// AWS's invocation record for a destination (chapters/aws-facts.md#asynchronous-invocation).
    func invocationRecord(_ event: QueuedEvent, condition: String, result: InvocationResult?, status: Int) -> [UInt8] {
        let version = result?.executedVersion ?? "$LATEST"
        var response: [String: Any] = ["statusCode": status, "executedVersion": version]
        if let functionError = result?.functionError { response["functionError"] = functionError }
        var record: [String: Any] = [
            "version": "1.0",
            "timestamp": ControlPlaneJSON.timestamp(Date()),
            "requestContext": ["requestId": event.requestID, "functionArn": arn(event.functionName, qualifier: event.qualifier ?? "$LATEST"),
                               "condition": condition, "approximateInvokeCount": event.invocations],
            "requestPayload": (try? JSONSerialization.jsonObject(with: Data(event.payload), options: [.fragmentsAllowed])) ?? NSNull(),
            "responseContext": response,
        ]
        if let payload = result?.payload, !payload.isEmpty {
            record["responsePayload"] = (try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])) ?? String(decoding: payload, as: UTF8.self)
        }
        return Array((try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// A line of the asynchronous queue, in the function's log.
    func queueLog(_ functionName: String, _ text: String) {
        configuration.log?(LogLine(functionName: functionName, environmentID: "async", text: text, isPlatform: true))
    }

    /// At shutdown: the events still queued are reported, not silently discarded.
    func abandonQueuedEvents() -> [String: Int] {
        let (abandoned, waiters) = state.withLock { state -> ([QueuedEvent], [CheckedContinuation<Void, Never>]) in
            defer { state.queuedEvents.removeAll() }
            for event in state.queuedEvents.values { state.eventCounts[event.functionName, default: EventCounts()].dropped += 1 }
            return (Array(state.queuedEvents.values), settledWaiters(&state))
        }
        defer { for waiter in waiters { waiter.resume() } }   // after the log lines below
        var byFunction: [String: Int] = [:]
        for event in abandoned { byFunction[event.functionName, default: 0] += 1 }
        for (function, count) in byFunction.sorted(by: { $0.key < $1.key }) {
            queueLog(function, "\(count) queued event(s) dropped: the lab stopped before they could run")
        }
        return byFunction
    }

    // MARK: Control plane

    public func putEventInvokeConfig(_ functionName: String, qualifier: String?, _ config: EventInvokeConfig) throws -> EventInvokeConfig {
        _ = try functionConfiguration(functionName, qualifier: qualifier)
        guard (0...2).contains(config.maximumRetryAttempts) else {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(config.maximumRetryAttempts)' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2")
        }
        guard (60...21_600).contains(config.maximumEventAgeSeconds) else {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(config.maximumEventAgeSeconds)' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600")
        }
        for destination in [config.onSuccess, config.onFailure].compactMap({ $0 }) {
            guard destination.contains(":function:"), let target = FunctionReference(parsing: destination),
                  (try? self.functionConfiguration(target.name, qualifier: target.qualifier)) != nil else {
                throw LabError.invalidParameter("The destination ARN \(destination) is invalid. The lab supports Lambda function destinations only.")
            }
            guard target.name != functionName else {
                throw LabError.invalidParameter("The destination ARN \(destination) is the function itself; a function cannot be its own destination.")
            }
        }
        var stored = config
        stored.lastModified = Date()
        state.withLock { $0.eventConfigs[Lab.eventConfigKey(functionName, qualifier)] = stored }
        return stored
    }

    public func eventInvokeConfig(_ functionName: String, qualifier: String?) -> EventInvokeConfig {
        state.withLock { $0.eventConfigs[Lab.eventConfigKey(functionName, qualifier)] } ?? EventInvokeConfig()
    }

    func storedEventInvokeConfig(_ functionName: String, qualifier: String?) throws -> EventInvokeConfig {
        _ = try functionConfiguration(functionName, qualifier: qualifier)
        guard let config = state.withLock({ $0.eventConfigs[Lab.eventConfigKey(functionName, qualifier)] }) else {
            throw LabError("ResourceNotFoundException", status: 404, "The function \(arn(functionName, qualifier: qualifier)) doesn't have an EventInvokeConfig")
        }
        return config
    }

    public func deleteEventInvokeConfig(_ functionName: String, qualifier: String?) throws {
        _ = try storedEventInvokeConfig(functionName, qualifier: qualifier)
        state.withLock { _ = $0.eventConfigs.removeValue(forKey: Lab.eventConfigKey(functionName, qualifier)) }
    }

    static func eventConfigKey(_ functionName: String, _ qualifier: String?) -> String {
        "\(functionName):\(qualifier ?? "$LATEST")"
    }
}

import EventLoop
import Foundation
import HTTP
import Timing

/// Asynchronous invocation (`InvocationType: Event`), as AWS has it
/// (chapters/aws-facts.md#asynchronous-invocation): the event is accepted into a queue (202), sent
/// to the function through the same router and concurrency as a synchronous call — each attempt
/// an invocation with the event's own request ID — retried after throttles (with a backoff from 1 s
/// doubling to 5 min, jittered, for up to the maximum event age; and at once when a slot of the
/// function frees up, oldest event first) and after function errors (twice, ~1 then ~2 min later);
/// what finally fails goes to the on-failure destination — another function, invoked with AWS's
/// invocation record — or is dropped with a log line saying why. Waits are scaled by
/// `LabConfiguration.asyncTimeScale`.
extension Lab {
    /// Accepts an event; the caller gets 202 at once. Returns the request ID.
    @discardableResult
    public func invokeAsync(_ functionName: String, qualifier: String? = nil, payload: [UInt8]) throws -> String {
        _ = try functionConfiguration(functionName, qualifier: qualifier)
        let event = QueuedEvent(requestID: .make(), functionName: functionName, qualifier: qualifier,
                                payload: payload.isEmpty ? Array("{}".utf8) : payload, acceptedAt: Clock.now)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.queue.accept(event)
            return true
        }
        guard accepted else { throw LabError.service("The lab is stopped.") }
        // Its first attempt in the loop's next turn: never on the stack of whoever accepted it (a
        // destination's record is accepted as an event ends, and chains must not grow a stack).
        loop.execute { [self] in attempt(event.requestID) }
        return event.requestID.value
    }

    /// What became of each function's accepted events so far.
    public func eventCounts(_ functionName: String) -> EventCounts {
        state.withLock { $0.queue.counts[functionName] ?? EventCounts() }
    }

    /// How the function's most recent events ended, oldest first.
    public func eventEndings(_ functionName: String) -> [EventEnding] {
        state.withLock { $0.queue.endings.filter { $0.functionName == functionName } }
    }

    /// Waits until none of the function's accepted events is still queued — each has ended (or
    /// the lab stopped). Resumed by the ending itself, not by polling.
    public func waitForQueuedEvents(_ functionName: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = state.withLock { $0.queue.addSettleWaiter(functionName, continuation) }
            if !waiting { continuation.resume() }
        }
    }

    private enum Ending {
        case succeeded(InvocationResult)
        case failed(condition: String, result: InvocationResult?, status: Int)
    }

    /// One attempt to run a queued event (on the loop).
    func attempt(_ id: RequestID) {
        guard let (event, reserved) = state.withLock({ state in
            state.queue[id].map { ($0, state.registry[$0.functionName]?.reservedConcurrency) }
        }) else { return }
        let config = eventInvokeConfig(event.functionName, qualifier: event.qualifier)
        if reserved == 0 {
            // Reserved concurrency 0: straight to the destination, no retries
            // (chapters/aws-facts.md#asynchronous-invocation).
            return end(id, .failed(condition: "ZeroReservedConcurrency", result: nil, status: 429), config: config)
        }
        arrive(event.functionName, qualifier: event.qualifier, payload: event.payload, requestID: id) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let answer) where answer.functionError == nil:
                state.withLock { $0.queue.update(id) { $0.invocations += 1 } }
                end(id, .succeeded(answer), config: config)
            case .success(let answer):
                let invocations = state.withLock { $0.queue.update(id) { event -> Int in event.invocations += 1; return event.invocations } } ?? 0
                if invocations > config.maximumRetryAttempts {
                    return end(id, .failed(condition: "RetriesExhausted", result: answer, status: 200), config: config)
                }
                // About 1 minute after the first failure, about 2 after the second.
                retry(id, after: .seconds(60 * invocations), config: config, answer: answer, throttled: false)
            case .failure(let error) where error.status == 404:
                // The function (or its alias) is gone: nothing can run the event any more.
                end(id, .failed(condition: "ResourceNotFound", result: nil, status: 404), config: config)
            case .failure(let error):
                // A throttle or the lab's own error: back to the queue, to wait for a free slot.
                let throttles = state.withLock { $0.queue.update(id) { event -> Int in event.throttles += 1; return event.throttles } } ?? 1
                // 1 s doubling to 5 min, with equal jitter: half the backoff, plus up to half again at random.
                let backoff = min(300.0, pow(2, Double(throttles - 1)))
                let wait = backoff / 2 + Double.random(in: 0...(backoff / 2))
                retry(id, after: .milliseconds(wait * 1000), config: config, answer: nil, throttled: true, status: error.status)
            }
        }
    }

    /// Waits (scaled) and tries again, unless the event would be too old by then. A throttled
    /// event also waits in its function's line, where a freed slot takes it before its timer.
    private func retry(_ id: RequestID, after wait: Duration, config: EventInvokeConfig, answer: InvocationResult?,
                       throttled: Bool, status: Int = 200) {
        let scale = configuration.asyncTimeScale
        guard let event = state.withLock({ $0.queue[id] }) else { return }
        let ageSeconds = (Clock.now - event.acceptedAt).milliseconds / 1000 / scale
        if ageSeconds + wait.milliseconds / 1000 > Double(config.maximumEventAgeSeconds) {
            return end(id, .failed(condition: "EventAgeExceeded", result: answer, status: status), config: config)
        }
        let timer = loop.reserveTimer()
        state.withLock { state in
            state.queue.count(event.functionName) { counts in
                if throttled { counts.retriedAfterThrottle += 1 } else { counts.retriedAfterError += 1 }
            }
            if throttled { state.queue.wait(id, timer: timer) }
        }
        loop.schedule(timer, after: .milliseconds(wait.milliseconds * scale)) { [weak self] in
            guard let self else { return }
            // A freed slot may have taken it already.
            if throttled, !state.withLock({ $0.queue.stopWaiting(id, function: event.functionName) }) { return }
            attempt(id)
        }
    }

    /// The event's one ending: counted, its record sent to a destination, or dropped with a reason.
    private func end(_ id: RequestID, _ ending: Ending, config: EventInvokeConfig) {
        guard let event = state.withLock({ $0.queue[id] }) else { return }
        let destination: String?
        let condition: String
        let result: InvocationResult?
        let status: Int
        switch ending {
        case .succeeded(let answer): (destination, condition, result, status) = (config.onSuccess, "Success", answer, 200)
        case .failed(let why, let answer, let code): (destination, condition, result, status) = (config.onFailure, why, answer, code)
        }
        var sent = false
        if let target = destination.flatMap(FunctionReference.init(parsing:)) {
            let record = invocationRecord(event, condition: condition, result: result, status: status)
            sent = (try? invokeAsync(target.name, qualifier: target.qualifier, payload: record)) != nil
        }
        let ended = EventEnding(requestID: id.value, functionName: event.functionName, acceptedAtMs: offset(event.acceptedAt).milliseconds,
                                endedAtMs: offset(Clock.now).milliseconds, invocations: event.invocations, throttles: event.throttles,
                                condition: condition, destination: sent ? destination : nil)
        let outcome: WritableKeyPath<EventCounts, Int> = if case .succeeded = ending { \.succeeded } else if sent { \.sentToDestination } else { \.dropped }
        let waiters = state.withLock { $0.queue.end(id, ended, outcome: outcome) }
        if case .failed = ending, !sent {
            let why = destination.map { "the destination \($0) could not be invoked" } ?? "no on-failure destination"
            queueLog(event.functionName, "Event \(id) dropped after \(event.invocations) invocation(s): \(condition); \(why)")
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
            "requestContext": ["requestId": event.requestID.value, "functionArn": arn(event.functionName, qualifier: event.qualifier ?? "$LATEST"),
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

    /// At shutdown (on the loop): the events still queued are reported, not silently discarded.
    @discardableResult
    func abandonQueuedEvents() -> [String: Int] {
        let (abandoned, timers, waiters) = state.withLock { $0.queue.abandonAll() }
        for timer in timers { loop.cancel(timer) }
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
        state.withLock { $0.registry.eventConfigs[functionName, default: [:]][qualifier ?? "$LATEST"] = stored }
        return stored
    }

    public func eventInvokeConfig(_ functionName: String, qualifier: String?) -> EventInvokeConfig {
        state.withLock { $0.registry.eventConfig(functionName, qualifier: qualifier) } ?? EventInvokeConfig()
    }

    func storedEventInvokeConfig(_ functionName: String, qualifier: String?) throws -> EventInvokeConfig {
        _ = try functionConfiguration(functionName, qualifier: qualifier)
        guard let config = state.withLock({ $0.registry.eventConfig(functionName, qualifier: qualifier) }) else {
            throw LabError("ResourceNotFoundException", status: 404, "The function \(arn(functionName, qualifier: qualifier)) doesn't have an EventInvokeConfig")
        }
        return config
    }

    public func deleteEventInvokeConfig(_ functionName: String, qualifier: String?) throws {
        _ = try storedEventInvokeConfig(functionName, qualifier: qualifier)
        state.withLock { _ = $0.registry.eventConfigs[functionName]?.removeValue(forKey: qualifier ?? "$LATEST") }
    }
}

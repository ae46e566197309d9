import EventLoop
import Timing

/// Asynchronous invocations (`InvocationType: Event`) between their acceptance and their end
/// (chapters/aws-facts.md#asynchronous-invocation): the events, the ones waiting for capacity
/// after a throttle (per function, oldest first), what became of them, and who waits for them.
///
/// Why a wait list and not only timers: AWS retries a throttled event with a backoff of its own,
/// but its queue keeps the function's concurrency busy meanwhile. With a timer per event alone,
/// events throttled together retry together and one wins each wave; so here a slot that frees
/// up takes the oldest waiting event at once, and the backoff timers (with jitter) are only for
/// when nothing frees a slot.
struct AsyncQueue {
    private(set) var events: [RequestID: QueuedEvent] = [:]
    /// Per function: throttled events waiting for a free slot, oldest accepted first, each with
    /// its backoff timer.
    private var waiting: [String: [(event: RequestID, timer: LoopTimer)]] = [:]
    private(set) var counts: [String: EventCounts] = [:]
    /// How the most recent events ended (a window, as `Lab.records`).
    private(set) var endings: [EventEnding] = []
    let endingsLimit: Int
    /// Callers waiting for a function's queue to settle (`Lab.waitForQueuedEvents`).
    private var settleWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(endingsLimit: Int) {
        self.endingsLimit = endingsLimit
    }

    subscript(id: RequestID) -> QueuedEvent? { events[id] }

    mutating func accept(_ event: QueuedEvent) {
        events[event.requestID] = event
        counts[event.functionName, default: EventCounts()].accepted += 1
    }

    @discardableResult
    mutating func update<T>(_ id: RequestID, _ body: (inout QueuedEvent) -> T) -> T? {
        guard var event = events[id] else { return nil }
        defer { events[id] = event }
        return body(&event)
    }

    mutating func count(_ function: String, _ body: (inout EventCounts) -> Void) {
        body(&counts[function, default: EventCounts()])
    }

    // MARK: Waiting for capacity

    /// A throttled event waits, in order of acceptance, with its backoff `timer` as a fallback.
    mutating func wait(_ id: RequestID, timer: LoopTimer) {
        guard let event = events[id] else { return }
        var list = waiting[event.functionName] ?? []
        let position = list.firstIndex { (events[$0.event]?.acceptedAt ?? event.acceptedAt) > event.acceptedAt } ?? list.count
        list.insert((id, timer), at: position)
        waiting[event.functionName] = list
    }

    /// A slot of `function` is free: its oldest waiting event, and the timer to cancel.
    mutating func takeOldestWaiting(_ function: String) -> (event: RequestID, timer: LoopTimer)? {
        // Nothing waits, almost always: this runs each time an invocation ends.
        guard !waiting.isEmpty, var list = waiting[function], !list.isEmpty else { return nil }
        let oldest = list.removeFirst()
        waiting[function] = list.isEmpty ? nil : list
        return oldest
    }

    /// The event's backoff timer fired: it stops waiting (false if a free slot took it already).
    mutating func stopWaiting(_ id: RequestID, function: String) -> Bool {
        guard let index = waiting[function]?.firstIndex(where: { $0.event == id }) else { return false }
        waiting[function]?.remove(at: index)
        if waiting[function]?.isEmpty == true { waiting[function] = nil }
        return true
    }

    func waitingCount(_ function: String) -> Int { waiting[function]?.count ?? 0 }

    // MARK: Ends

    /// The event's one ending: out of the queue, into the window of endings. Returns the callers
    /// whose function has nothing queued any more.
    mutating func end(_ id: RequestID, _ ending: EventEnding, outcome: WritableKeyPath<EventCounts, Int>) -> [CheckedContinuation<Void, Never>] {
        guard let event = events.removeValue(forKey: id) else { return [] }
        counts[event.functionName, default: EventCounts()][keyPath: outcome] += 1
        endings.append(ending)
        if endings.count > 2 * endingsLimit { endings.removeFirst(endingsLimit) }
        return settled()
    }

    /// Registers a caller waiting for `function`'s queue to settle; false if it already has.
    mutating func addSettleWaiter(_ function: String, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
        if (counts[function]?.queued ?? 0) == 0 { return false }
        settleWaiters[function, default: []].append(continuation)
        return true
    }

    /// The lab stops: every event still queued is dropped and counted so.
    mutating func abandonAll() -> (abandoned: [QueuedEvent], timers: [LoopTimer], waiters: [CheckedContinuation<Void, Never>]) {
        let abandoned = Array(events.values)
        for event in abandoned { counts[event.functionName, default: EventCounts()].dropped += 1 }
        events = [:]
        let timers = waiting.values.flatMap { $0.map(\.timer) }
        waiting = [:]
        return (abandoned, timers, settled())
    }

    private mutating func settled() -> [CheckedContinuation<Void, Never>] {
        let done = settleWaiters.keys.filter { (counts[$0]?.queued ?? 0) == 0 }
        return done.flatMap { settleWaiters.removeValue(forKey: $0) ?? [] }
    }
}

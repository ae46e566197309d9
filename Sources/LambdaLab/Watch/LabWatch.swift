import EventLoop
import Foundation
import HTTP
import Timing

/// The lab's state changes as a stream of server-sent events (`GET /lab/events`), for the watch
/// page (`GET /`) and any other tool: one JSON object per change, named as the Outcome JSON and the
/// REPORT lines name things. A viewer gets a `snapshot` first, then `environment`, `invocation`,
/// `throttle`, `queue` and `totals` events, and `end` when the lab stops.
///
/// Why it looks rather than listens: while anyone watches, every 50 ms the loop compares the lab's
/// state with what it last sent and sends the differences. Nothing on the invoke path knows about
/// viewers, so watching costs the invoke path nothing when nobody watches (no timer runs then), and
/// a change that comes and goes within 50 ms (a whole warm invocation) still arrives, from the
/// records, as a `finished` invocation.
final class LabWatch: @unchecked Sendable {
    static let interval = Duration.milliseconds(50)

    // Loop-only: set at the first viewer, read on the loop.
    private weak var lab: Lab?
    private var viewers: [HTTPStream] = []
    private var ticking = false
    private var sent = View()

    /// What was last sent, to compare the next look with: plain values, read under the lab's lock.
    struct View {
        var environments: [String: EnvironmentView] = [:]
        var invocations: [String: InvocationView] = [:]
        var recordsSeen = 0
        var throttlesSeen = 0
        var queues: [String: EventCounts] = [:]
        var totals = Totals()
    }

    struct EnvironmentView: Equatable, Sendable {
        var id: String, function: String, version: String, phase: String, initializationType: String, provisionedFor: String?
        var capacity: Int, inFlight: Int, pid: Int32?, spawnedAtMs: Double?, initDurationMs: Double?

        func json(phase: String? = nil) -> [String: Any] {
            ["environmentID": id, "functionName": function, "version": version, "phase": phase ?? self.phase,
             "initializationType": initializationType, "provisionedFor": provisionedFor ?? NSNull(), "capacity": capacity,
             "inFlight": phase == "removed" ? 0 : inFlight, "pid": pid.map { Int($0) } ?? NSNull(),
             "spawnedAtMs": spawnedAtMs ?? NSNull(), "initDurationMs": initDurationMs ?? NSNull()]
        }
    }

    struct InvocationView: Equatable, Sendable {
        var id: String, function: String, version: String, environment: String, running: Bool, coldStart: Bool, spillover: Bool
        var receivedAtMs: Double, handlerStartedAtMs: Double?

        var json: [String: Any] {
            ["requestID": id, "functionName": function, "version": version, "environmentID": environment,
             "state": running ? "running" : "routed", "coldStart": coldStart, "spillover": spillover, "receivedAtMs": receivedAtMs,
             "handlerStartedAtMs": handlerStartedAtMs ?? NSNull(), "durationMs": NSNull(), "initDurationMs": NSNull(),
             "billedDurationMs": NSNull(), "functionError": NSNull(), "errorType": NSNull()]
        }
    }

    struct Totals: Equatable, Sendable {
        var environmentsStarted = 0, coldStarts = 0, invocations = 0, throttles = 0, inFlight = 0

        var json: [String: Any] {
            ["environmentsStarted": environmentsStarted, "coldStarts": coldStarts, "invocations": invocations,
             "throttles": throttles, "inFlight": inFlight]
        }
    }

    /// One look at the lab.
    struct Look: Sendable {
        var view: View
        /// Finished since the last look (or, for a snapshot, the latest 200), and throttled since.
        var finished: [InvocationRecord]
        var recent: [InvocationRecord]
        var throttles: [ThrottleLog.Entry]
        var recentThrottles: [ThrottleLog.Entry]
        var at: Double
    }

    /// Viewers connected now (on the loop).
    var viewerCount: Int { viewers.filter(\.isOpen).count }

    /// Who waits for a number of viewers (on the loop): resumed with true as that many have
    /// subscribed, or with false at their deadline.
    private var viewerWaiters: [(id: Int, count: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0

    /// Resumes `continuation` once `count` viewers are connected, or after `limit` (on the loop).
    func whenViewers(_ count: Int, within limit: Duration, on loop: EventLoop, _ continuation: CheckedContinuation<Bool, Never>) {
        if viewerCount >= count { return continuation.resume(returning: true) }
        nextWaiter += 1
        let id = nextWaiter
        viewerWaiters.append((id, count, continuation))
        loop.schedule(after: limit) { [weak self] in
            guard let self, let index = viewerWaiters.firstIndex(where: { $0.id == id }) else { return }
            viewerWaiters.remove(at: index).continuation.resume(returning: false)
        }
    }

    /// `GET /lab/events`, on the loop: the stream's head, a snapshot, then every change.
    func subscribe(_ responder: HTTPResponder, lab: Lab) {
        self.lab = lab
        guard let stream = responder.stream(headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                                      "Access-Control-Allow-Origin": "*"]) else { return }
        let now = look(lab)
        if viewers.isEmpty { sent = now.view }
        // A late viewer starts from the whole picture: what runs, what ran lately, what was refused.
        let snapshot: [String: Any] = [
            "at": now.at, "environments": now.view.environments.values.map { $0.json() }, "invocations": now.view.invocations.values.map(\.json),
            "recent": now.recent.map(Self.finished), "throttles": now.recentThrottles.map(Self.throttle),
            "queues": now.view.queues.map { Self.queue($0.key, $0.value) }, "totals": now.view.totals.json,
        ]
        stream.send(Self.event("snapshot", snapshot))
        viewers.append(stream)
        let connected = viewerCount
        let ready = viewerWaiters.filter { $0.count <= connected }
        viewerWaiters.removeAll { $0.count <= connected }
        for waiter in ready { waiter.continuation.resume(returning: true) }
        if !ticking {
            ticking = true
            lab.loop.schedule(after: Self.interval) { [weak self] in self?.tick() }
        }
    }

    /// The lab is stopping: every viewer gets `end`, and the stream closes. On the loop.
    func end() {
        guard let lab else { return }
        // What changed since the last look goes out first: the last invocations of a run end
        // within the 50 ms before the lab stops.
        if !viewers.isEmpty { send(changes(look(lab))) }
        let at = lab.offset(Clock.now).milliseconds
        for viewer in viewers {
            viewer.send(Self.event("end", ["at": at]))
            viewer.finish()
        }
        viewers = []
    }

    private func tick() {
        viewers.removeAll { !$0.isOpen }
        guard !viewers.isEmpty, let lab else { ticking = false; return }
        send(changes(look(lab)))
        lab.loop.schedule(after: Self.interval) { [weak self] in self?.tick() }
    }

    private func send(_ events: [[UInt8]]) {
        guard !events.isEmpty else { return }
        let bytes = Array(events.joined())
        for viewer in viewers { viewer.send(bytes) }
    }

    /// The events that take a viewer from what was last sent to `now`; `now` is then what was sent.
    private func changes(_ now: Look) -> [[UInt8]] {
        var events: [[UInt8]] = []
        func add(_ name: String, _ object: [String: Any]) { events.append(Self.event(name, object.merging(["at": now.at]) { _, new in new })) }
        for (id, environment) in now.view.environments where sent.environments[id] != environment { add("environment", environment.json()) }
        // What finished before what started: a warm invocation that took a freed environment
        // comes after the one it followed.
        for record in now.finished { add("invocation", Self.finished(record)) }
        for (id, invocation) in now.view.invocations where sent.invocations[id] != invocation { add("invocation", invocation.json) }
        // Removals last: what an environment did before it went comes first.
        for (id, environment) in sent.environments where now.view.environments[id] == nil { add("environment", environment.json(phase: "removed")) }
        for throttle in now.throttles { events.append(Self.event("throttle", Self.throttle(throttle))) }
        for (function, counts) in now.view.queues where sent.queues[function] != counts { add("queue", Self.queue(function, counts)) }
        if sent.totals != now.view.totals { add("totals", now.view.totals.json) }
        sent = now.view
        return events
    }

    /// One look at the lab, under its lock once: plain values, turned into JSON outside it.
    private func look(_ lab: Lab) -> Look {
        let at = lab.offset(Clock.now).milliseconds
        let seen = sent
        return lab.state.withLock { state in
            var view = View()
            for environment in state.pool.environments.values {
                view.environments[environment.id.description] = EnvironmentView(
                    id: environment.id.description, function: environment.function, version: environment.version,
                    phase: environment.phase.rawValue, initializationType: environment.initializationType.rawValue,
                    provisionedFor: environment.provisionedFor, capacity: environment.capacity, inFlight: environment.invocations.count,
                    pid: environment.pid, spawnedAtMs: environment.spawnedAt.map { lab.offset($0).milliseconds },
                    initDurationMs: environment.initDuration?.milliseconds)
            }
            for invocation in state.invocations.all {
                view.invocations[invocation.id.value] = InvocationView(
                    id: invocation.id.value, function: invocation.function, version: invocation.version,
                    environment: invocation.environment.description, running: invocation.isHandedOut, coldStart: invocation.coldStart,
                    spillover: invocation.spillover, receivedAtMs: lab.offset(invocation.receivedAt).milliseconds,
                    handlerStartedAtMs: invocation.handOut.map { lab.offset($0.at).milliseconds })
            }
            let records = state.records.records
            view.recordsSeen = state.records.appended
            view.throttlesSeen = state.throttles.total
            for (function, counts) in state.queue.counts where counts.accepted > 0 { view.queues[function] = counts }
            view.totals = Totals(environmentsStarted: state.pool.started, coldStarts: state.records.coldStarts, invocations: state.records.appended,
                                 throttles: state.throttles.total, inFlight: state.invocations.count)
            let newRecords = max(0, min(records.count, view.recordsSeen - seen.recordsSeen))
            let newThrottles = max(0, min(state.throttles.recent.count, view.throttlesSeen - seen.throttlesSeen))
            return Look(view: view, finished: Array(records.suffix(newRecords)), recent: Array(records.suffix(200)),
                        throttles: Array(state.throttles.recent.suffix(newThrottles)), recentThrottles: Array(state.throttles.recent.suffix(100)), at: at)
        }
    }

    // MARK: The events' JSON, in the Outcome's names

    private static func finished(_ record: InvocationRecord) -> [String: Any] {
        [
            "requestID": record.requestID, "functionName": record.functionName, "version": record.executedVersion,
            "environmentID": record.environmentID, "state": "finished", "coldStart": record.coldStart, "spillover": record.spillover,
            "receivedAtMs": record.receivedAt.milliseconds, "handlerStartedAtMs": record.handlerStartedAt.milliseconds,
            "durationMs": record.duration.milliseconds, "initDurationMs": record.initDuration?.milliseconds ?? NSNull(),
            "billedDurationMs": record.billedDurationMs, "functionError": record.functionError ?? NSNull(),
            "errorType": record.errorType ?? NSNull(),
        ]
    }

    private static func queue(_ function: String, _ counts: EventCounts) -> [String: Any] {
        ["functionName": function, "accepted": counts.accepted, "queued": counts.queued, "succeeded": counts.succeeded,
         "sentToDestination": counts.sentToDestination, "dropped": counts.dropped]
    }

    private static func throttle(_ throttle: ThrottleLog.Entry) -> [String: Any] {
        ["functionName": throttle.function, "reason": throttle.reason, "status": 429, "at": throttle.at.milliseconds]
    }

    /// `event: name\ndata: {json}\n\n`, keys sorted so two equal states serialize alike.
    static func event(_ name: String, _ object: [String: Any]) -> [UInt8] {
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array("event: \(name)\ndata: ".utf8) + Array(json) + Array("\n\n".utf8)
    }

}

/// The throttles (429) the lab answered: how many in all, and the latest, for the watch.
struct ThrottleLog {
    struct Entry: Sendable {
        let function: String
        let reason: String
        let at: Duration
    }

    private(set) var total = 0
    private(set) var recent: [Entry] = []

    mutating func append(_ entry: Entry) {
        total += 1
        recent.append(entry)
        if recent.count > 200 { recent.removeFirst(100) }
    }
}

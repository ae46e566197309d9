import EventLoop
import Timing

/// One invocation between its arrival and its answer, and the times it really has.
///
///     routed(to env) ──a GET /next takes it──▶ handedOut(at, on connection, timer) ──▶ (closed: answered,
///        │    ▲                                      │                                  failed, timed out)
///        │    └──moved: its environment died ────────┘
///        └──────────────────────────────────────────────────────────────────────────▶ (closed: Init failed)
///
/// Closing takes it out of `InvocationTable`; what it was becomes an `InvocationRecord`.
///
/// A class, like `Environment` and for the same reason: read a field at a time on every step of
/// its path, behind the lab's lock, and changed only on the lab's loop.
final class Invocation: @unchecked Sendable {
    enum State {
        /// Assigned to an environment's slot; waiting for one of its runtime's `GET /next`.
        case routed(EnvironmentID)
        /// Written to the runtime in answer to a `GET /next` on `connection`, at `at`; its timeout
        /// armed as `timer`.
        case handedOut(EnvironmentID, at: Instant, connection: Int, timer: LoopTimer)
    }

    let id: RequestID
    let function: String
    let version: String
    /// The ARN the caller used (function, version or alias), as the runtime sees it.
    let invokedARN: String
    let payload: [UInt8]
    let timeout: Duration
    let receivedAt: Instant
    let completion: @Sendable (Result<InvocationResult, LabError>) -> Void
    private(set) var state: State
    /// It started its environment (its REPORT carries Init Duration, unless its Init was re-run).
    private(set) var coldStart: Bool
    /// The qualifier has provisioned concurrency, but this one runs on an on-demand environment.
    let spillover: Bool
    /// Times it was moved to a new environment after its own died before running it.
    private(set) var moves = 0
    /// When its Duration starts: the hand-out, or — for an Init re-run inside it — the spawn.
    private(set) var durationStart: Instant?
    /// Its part of the log: function output and the lab's lines, capped (`LabConfiguration`).
    var log: [String] = []
    var logBytes = 0
    /// START was written (at hand-out); an invocation that ends before prints it with END.
    private(set) var startLogged = false

    init(id: RequestID, function: String, version: String, invokedARN: String, payload: [UInt8], timeout: Duration,
         receivedAt: Instant, environment: EnvironmentID, coldStart: Bool, spillover: Bool,
         completion: @escaping @Sendable (Result<InvocationResult, LabError>) -> Void) {
        self.id = id
        self.function = function
        self.version = version
        self.invokedARN = invokedARN
        self.payload = payload
        self.timeout = timeout
        self.receivedAt = receivedAt
        self.completion = completion
        self.coldStart = coldStart
        self.spillover = spillover
        state = .routed(environment)
    }

    var environment: EnvironmentID {
        switch state {
        case .routed(let id), .handedOut(let id, _, _, _): id
        }
    }

    var isHandedOut: Bool {
        if case .handedOut = state { return true }
        return false
    }

    /// The connection it was written on and its timeout, once handed out.
    var handOut: (at: Instant, connection: Int, timer: LoopTimer)? {
        if case .handedOut(_, let at, let connection, let timer) = state { return (at, connection, timer) }
        return nil
    }

    // MARK: Transitions

    /// routed → handedOut. `durationStart` is the hand-out, unless an Init re-run inside the
    /// invocation already started it at the spawn.
    func handOut(at now: Instant, connection: Int, timer: LoopTimer) -> Bool {
        guard case .routed(let environment) = state else { return false }
        state = .handedOut(environment, at: now, connection: connection, timer: timer)
        if durationStart == nil { durationStart = now }
        startLogged = true
        return true
    }

    /// Moved to a new environment: whatever was begun in the old one starts again there, as a
    /// cold start. `initInside`: the new environment re-runs an Init that ran out of time, and
    /// that Init is part of this invocation (its Duration starts at the spawn, set later).
    func move(to environment: EnvironmentID, initInside: Bool) {
        state = .routed(environment)
        coldStart = true
        startLogged = false
        durationStart = nil
        if !initInside { moves += 1 }
    }

    /// Its Duration starts at `instant` (an Init re-run inside it starts at the spawn).
    func startDuration(at instant: Instant) {
        durationStart = instant
    }

    /// Its Duration so far: zero if it never reached a runtime (an Init error, a crash first).
    func duration(at now: Instant) -> Duration {
        durationStart.map { now - $0 } ?? .zero
    }

    /// Appends a line to its log, within `limit` bytes; past the limit one line says so.
    func appendLog(_ line: String, limit: Int) {
        if logBytes + line.utf8.count <= limit {
            log.append(line)
            logBytes += line.utf8.count + 1
        } else if logBytes <= limit {
            log.append("[lab] the rest of this invocation's log was not kept (over \(limit / 1024) KB; it was printed)")
            logBytes = limit + 1
        }
    }
}

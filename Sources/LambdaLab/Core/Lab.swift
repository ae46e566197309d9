import Dispatch
import EventLoop
import Foundation
import Glibc
import HTTP
import LabIAM
import Synchronization
import Timing

/// The lab: a local, faithful imitation of the Lambda service. Every execution environment is a
/// real child process speaking the Runtime API to its own endpoint on 127.0.0.1.
///
/// How it is put together (chapters/how-the-lab-is-built.md has the picture):
/// - what it knows is `LabState` — the function registry, the environment pool, the invocations
///   in flight, the asynchronous queue, the records — behind one lock, `state`;
/// - what it does with sockets, pipes, processes and timers happens on one event loop, `loop`: the
///   Invoke API, every environment's Runtime API, every environment's output and exit. An
///   invocation's whole warm path runs on that one thread, in two critical sections: one to route
///   it and hand it out, one to close it;
/// - starting a process (`posix_spawn` blocks until the child has exec'd) is done by `starters`,
///   and control-plane work that can be slow (a 50 MB zip, the state file) by `controlPlane`, so
///   neither ever holds up the loop.
public final class Lab: Sendable {
    public let configuration: LabConfiguration
    /// Time zero for every offset in `InvocationRecord`.
    public let origin: Instant
    let state: Mutex<LabState>
    let loop: EventLoop
    /// Each environment's process, output pipe and Runtime API endpoint; touched on the loop only.
    let io = LoopOnly<[EnvironmentID: EnvironmentIO]>([:])
    /// Invocations that arrived in this turn of the loop, routed together at its end.
    let arrivals = LoopOnly(Arrivals())
    let starters: Starters
    let controlPlane = DispatchQueue(label: "lab control plane")
    let watchdog: Watchdog
    /// IAM's roles and policies, for deployments that come with them (a Terraform stack).
    public let iam = IAMService()
    /// Parent of every environment's scratch directory (its stand-in for /tmp); removed at shutdown.
    let scratchBase: String
    /// The lab's own environment variables that environments inherit, read once.
    let inheritedEnvironment: [String: String]
    /// One writer of the state directory's file at a time (`saveState`).
    let stateFileLock = Mutex(())
    let invokeAPI = Mutex<InvokeEndpoint?>(nil)
    /// The watch page's event stream (`GET /lab/events`); on the loop.
    let watch = LabWatch()
    private let allGone = DispatchSemaphore(value: 0)

    public init(configuration: LabConfiguration = LabConfiguration()) throws {
        // A runtime that vanished must not kill the lab when it writes to its socket.
        signal(SIGPIPE, SIG_IGN)
        DescriptorHeadroom.setLimit(RaisedDescriptorLimit.raise())
        self.configuration = configuration
        self.origin = Clock.now
        state = Mutex(LabState(configuration: configuration))
        scratchBase = URL(fileURLWithPath: configuration.scratchRoot)
            .appendingPathComponent("lambda-lab-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        watchdog = try Watchdog()
        try FileManager.default.createDirectory(atPath: scratchBase, withIntermediateDirectories: true)
        let inherited = ProcessInfo.processInfo.environment
        // What a local program needs to be found and to run (python3 through pyenv, for instance).
        inheritedEnvironment = inherited.filter { ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "LD_LIBRARY_PATH"].contains($0.key) }
        loop = try EventLoop(name: "lab loop")
        starters = Starters()
        loop.start()
    }

    /// Runs `body` with a lab and always shuts it down, so no test or chapter can leave a child.
    public static func with<R: Sendable>(_ configuration: LabConfiguration = LabConfiguration(),
                                         _ body: (Lab) async throws -> R) async throws -> R {
        let lab = try Lab(configuration: configuration)
        do {
            let result = try await body(lab)
            lab.shutdown()
            return result
        } catch {
            lab.shutdown()
            throw error
        }
    }

    public func arn(_ function: String, qualifier: String? = nil) -> String {
        "arn:aws:lambda:\(configuration.region):\(configuration.accountID):function:\(function)" + (qualifier.map { ":\($0)" } ?? "")
    }

    func offset(_ instant: Instant) -> Duration { instant - origin }

    /// A line for `LabConfiguration.log`, built only when there is a log to write it to.
    func emit(function: String, environment: EnvironmentID, _ text: @autoclosure () -> String, platform: Bool) {
        guard let log = configuration.log else { return }
        log(LogLine(functionName: function, environmentID: environment.description, text: text(), isPlatform: platform))
    }

    // MARK: Observation

    public var functionNames: [String] { state.withLock { $0.registry.names } }

    /// Every finished invocation kept so far (a window), in completion order.
    public var records: [InvocationRecord] { state.withLock { $0.records.records } }

    public func records(requestIDs: [String]) -> [InvocationRecord] {
        let byID = state.withLock { Dictionary($0.records.records.map { ($0.requestID, $0) }, uniquingKeysWith: { first, _ in first }) }
        return requestIDs.compactMap { byID[$0] }
    }

    /// A snapshot of the live execution environments, in start order.
    public var environments: [EnvironmentInfo] {
        state.withLock { state in
            state.pool.environments.values.sorted { $0.id < $1.id }.map(EnvironmentInfo.init)
        }
    }

    /// Viewers of the watch page's event stream connected now.
    public var watchers: Int { onLoop { self.watch.viewerCount } }

    /// Returns true once `count` viewers are connected to the event stream (at once if they are),
    /// false if they are not within `limit`.
    public func waitForWatchers(_ count: Int = 1, within limit: Duration = .seconds(60)) async -> Bool {
        await withCheckedContinuation { continuation in
            loop.execute { self.watch.whenViewers(count, within: limit, on: self.loop, continuation) }
        }
    }

    /// How many environments the lab has started since it began.
    public var environmentsStarted: Int { state.withLock { $0.pool.started } }

    /// Per function: environments started and invocations finished, since the lab began.
    public var activity: [(function: String, environments: Int, invocations: Int)] {
        state.withLock { state in
            state.registry.names.map { ($0, state.pool.startedByFunction[$0] ?? 0, state.records.finishedByFunction[$0] ?? 0) }
        }
    }

    /// Timers armed on the loop and not yet fired (idle checks, timeouts, …), read on the loop.
    public var pendingTimers: Int { onLoop { self.loop.pendingTimers } }

    /// Runs `body` on the loop and returns its result, waiting for it (never from the loop itself).
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        if loop.inEventLoop { return body() }
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            result.withLock { $0 = body() }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }

    // MARK: The Invoke API front door

    /// Serves the Invoke API on 127.0.0.1:`port` (0 = any free port) and returns the bound port.
    /// Environments started afterwards find it in `AWS_ENDPOINT_URL_LAMBDA`.
    @discardableResult
    public func startInvokeAPI(port: UInt16 = 0) throws -> UInt16 {
        let listener = try Socket.listen(port: port)
        let endpoint = InvokeEndpoint(lab: self, listener: listener)
        let started = onLoop { Result { try endpoint.start() } }
        try started.get()
        invokeAPI.withLock { $0 = endpoint }
        if let hook = Self.invokeAPIStarted.withLock({ $0 }) { hook(endpoint.port) }
        return endpoint.port
    }

    /// Told the port of every Invoke API a lab of this process starts — where its watch page is —
    /// before that lab runs anything (a chapter's `--watch` waits there for the reader).
    public static let invokeAPIStarted = Mutex<(@Sendable (UInt16) -> Void)?>(nil)

    /// `http://127.0.0.1:port` of the Invoke API, once started.
    public var invokeEndpointURL: String? {
        invokeAPI.withLock { $0.map { "http://127.0.0.1:\($0.port)" } }
    }

    // MARK: Shutdown

    /// Shuts every environment down (SIGTERM, then SIGKILL after the grace period), waits until each
    /// process has been reaped, and stops the loop and the watchdog. Idempotent. Never call it from
    /// the loop (a completion handler): it waits for the loop.
    public func shutdown() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        let endpoint = invokeAPI.withLock { $0 }
        let busy = onLoop { () -> Bool in
            // Callers still waiting get an answer, not a closed connection.
            let waiting = self.state.withLock { $0.invocations.closeAll() }
            for invocation in waiting { invocation.completion(.failure(.service("The lab is shutting down; the invocation was stopped."))) }
            self.watch.end()
            endpoint?.stop()
            self.abandonQueuedEvents()
            let ids = self.state.withLock { Array($0.pool.environments.keys) }
            for id in ids { self.shutDown(id, reason: "lab stopped") }
            return !ids.isEmpty
        }
        // Wait for every process to be reaped; one still there after SIGKILL and 2 s more is left
        // to the watchdog's group kill below, which is the last word.
        if busy { _ = allGone.wait(timeout: .now() + .milliseconds(Int(configuration.shutdownGrace.milliseconds) + 2_000)) }
        onLoop {
            for io in self.io.value.values { io.close(loop: self.loop) }
            self.io.value = [:]
        }
        loop.stop()
        watchdog.stop()
        starters.stop()
        try? FileManager.default.removeItem(atPath: scratchBase)
    }

    /// An environment's process was reaped: when the lab is stopping and it was the last, the
    /// shutdown may go on.
    func environmentGone() {
        if state.withLock({ $0.stopped && $0.pool.isEmpty }) { allGone.signal() }
    }
}

/// A read-only view of one execution environment.
public struct EnvironmentInfo: Sendable, Equatable {
    public let id: String
    public let functionName: String
    public let version: String
    public let phase: String
    public let pid: pid_t?
    public let initializationType: InitializationType
    public let invocationsServed: Int
    public let scratchDirectory: String
    /// The port of its Runtime API endpoint (`AWS_LAMBDA_RUNTIME_API`), once started.
    public let runtimeAPIPort: UInt16?
    /// Spawn → first `GET /next`, once Init is done.
    public let initDuration: Duration?
    /// The alias or version whose provisioned concurrency allocated it.
    public let provisionedFor: String?
    /// Invocations it runs at once, and how many it runs now.
    public let capacity: Int
    public let inFlight: Int
    /// `GET /next` requests its runtime has waiting now (on Managed Instances, up to one per worker).
    public let parkedNexts: Int

    init(_ environment: Environment) {
        id = environment.id.description
        functionName = environment.function
        version = environment.version
        phase = environment.phase.rawValue
        pid = environment.pid
        initializationType = environment.initializationType
        invocationsServed = environment.invocationsServed
        scratchDirectory = environment.scratchDirectory
        runtimeAPIPort = environment.runtimeAPIPort
        initDuration = environment.initDuration
        provisionedFor = environment.provisionedFor
        capacity = environment.capacity
        inFlight = environment.invocations.count
        parkedNexts = environment.parked.count
    }
}

extension String {
    /// 3 for "env-3", so environments sort in start order.
    public var environmentNumber: Int { EnvironmentID(self)?.number ?? 0 }
}

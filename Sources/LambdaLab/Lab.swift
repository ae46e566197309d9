import Foundation
import LabIAM
import Glibc
import RuntimeAPI
import Synchronization
import Timing

/// The lab: a local, faithful imitation of the Lambda service. Every execution environment is a real
/// child process speaking the Runtime API to its own endpoint on 127.0.0.1.
///
/// Why a class with one `Mutex` and not an actor: the callers that wait on the lab are HTTP
/// connection threads (a parked `GET /next`, a synchronous Invoke) that must block, and an actor
/// hop per transition would put the cooperative pool — two threads here — on the hot path. State
/// changes are short critical sections; waiting happens outside them.
public final class Lab: Sendable {
    public let configuration: LabConfiguration
    /// Time zero for every offset in `InvocationRecord`.
    public let origin: Instant
    let state = Mutex(LabState())
    let watchdog: Watchdog
    private let invokeServer = Mutex<InvokeEndpoint?>(nil)
    private let allGone = DispatchSemaphore(value: 0)
    /// Invocation timeouts, idle timeouts and Shutdown grace periods.
    let deadlines = Deadlines()
    /// The threads that start environments.
    let starters = Starters()
    /// IAM's roles and policies, for deployments that come with them (a Terraform stack).
    public let iam = IAMService()
    /// Parent of every environment's scratch directory (its stand-in for /tmp); removed at shutdown.
    let scratchBase: String
    /// The lab's own environment variables that environments inherit, read once.
    let inheritedEnvironment: [String: String]
    /// One writer of the state directory's file at a time (`saveState`).
    let stateFileLock = Mutex(())
    /// The thread routing a burst (`routingBurst`) and the hand-outs and starts it deferred.
    let burst = Mutex<(owner: pthread_t?, actions: [@Sendable () -> Void])>((nil, []))

    public init(configuration: LabConfiguration = LabConfiguration()) throws {
        // A runtime that vanished must not kill the lab when we write to its socket (DESIGN §9).
        signal(SIGPIPE, SIG_IGN)
        DescriptorHeadroom.setLimit(RaisedDescriptorLimit.raise())
        self.configuration = configuration
        self.origin = Clock.now
        self.scratchBase = URL(fileURLWithPath: configuration.scratchRoot)
            .appendingPathComponent("lambda-lab-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        self.watchdog = try Watchdog()
        try FileManager.default.createDirectory(atPath: scratchBase, withIntermediateDirectories: true)
        let inherited = ProcessInfo.processInfo.environment
        // What a local program needs to be found and to run (python3 through pyenv, for instance).
        self.inheritedEnvironment = inherited.filter { ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "LD_LIBRARY_PATH"].contains($0.key) }
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

    // MARK: Functions

    /// Deploys (or redeploys) a function's `$LATEST`. Environments running older code of `$LATEST`
    /// are shut down, as an update does on AWS.
    public func deploy(_ function: FunctionConfiguration) throws {
        guard FunctionReference.isValidName(function.name) else {
            throw LabError.invalidParameter("invalid function name \(function.name)")
        }
        let stale = state.withLock { state -> [String] in
            if state.functions[function.name] == nil {
                state.functions[function.name] = FunctionState(latest: function)
            } else {
                state.functions[function.name]!.latest = function
                state.functions[function.name]!.lastModified = Date()
            }
            return state.environments.values.filter { $0.functionName == function.name && $0.version == "$LATEST" }.map(\.id)
        }
        for id in stale { shutDown(environmentID: id, reason: "function updated") }
    }

    public var functionNames: [String] { state.withLock { $0.functions.keys.sorted() } }

    public func arn(_ function: String, qualifier: String? = nil) -> String {
        "arn:aws:lambda:\(configuration.region):\(configuration.accountID):function:\(function)" + (qualifier.map { ":\($0)" } ?? "")
    }

    // MARK: Observation

    /// Every finished invocation so far, in completion order.
    public var records: [InvocationRecord] { state.withLock { $0.records } }

    public func records(requestIDs: [String]) -> [InvocationRecord] {
        let byID = state.withLock { Dictionary($0.records.map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a }) }
        return requestIDs.compactMap { byID[$0] }
    }

    /// A snapshot of the live execution environments.
    public var environments: [EnvironmentInfo] {
        state.withLock { state in
            state.environments.values.sorted { $0.id.environmentNumber < $1.id.environmentNumber }.map {
                EnvironmentInfo(id: $0.id, functionName: $0.functionName, version: $0.version, phase: $0.phase.rawValue,
                                pid: $0.process?.pid, initializationType: $0.initializationType,
                                invocationsServed: $0.invocationsServed, scratchDirectory: $0.scratchDirectory,
                                runtimeAPIPort: $0.endpoint?.port, initDuration: $0.initDuration, provisionedFor: $0.provisionedFor)
            }
        }
    }

    /// How many environments the lab has started since it began.
    public var environmentsStarted: Int { state.withLock { $0.environmentsStarted } }

    /// Per function: environments started and invocations finished, since the lab began.
    public var activity: [(function: String, environments: Int, invocations: Int)] {
        state.withLock { state in
            state.functions.keys.sorted().map { name in
                (name, state.startedByFunction[name] ?? 0, state.invocationsByFunction[name] ?? 0)
            }
        }
    }

    func offset(_ instant: Instant) -> Duration { instant - origin }

    func emit(_ environment: EnvironmentState, _ text: String, platform: Bool) {
        configuration.log?(LogLine(functionName: environment.functionName, environmentID: environment.id, text: text, isPlatform: platform))
    }

    // MARK: The Invoke API front door

    /// Serves the Invoke API on 127.0.0.1:`port` (0 = any free port) and returns the bound port.
    /// Environments started afterwards find it in `AWS_ENDPOINT_URL_LAMBDA`.
    @discardableResult
    public func startInvokeAPI(port: UInt16 = 0) throws -> UInt16 {
        let endpoint = try InvokeEndpoint(lab: self, port: port)
        invokeServer.withLock { $0 = endpoint }
        return endpoint.port
    }

    /// `http://127.0.0.1:port` of the Invoke API, once started.
    public var invokeEndpointURL: String? {
        invokeServer.withLock { $0.map { "http://127.0.0.1:\($0.port)" } }
    }

    // MARK: Shutdown

    /// Shuts every environment down (SIGTERM, then SIGKILL after the grace period), waits until each
    /// process has been reaped, and stops the watchdog. Idempotent.
    public func shutdown() {
        let ids = state.withLock { state -> [String]? in
            if state.stopped { return nil }
            state.stopped = true
            return Array(state.environments.keys)
        }
        guard let ids else { return }
        // Callers still waiting get an answer, not a closed connection.
        let waiting = state.withLock { state -> [InFlightInvocation] in
            state.inFlight.keys.compactMap { state.removeInFlight($0) }
        }
        for invocation in waiting { invocation.complete(.failure(.service("The lab is shutting down; the invocation was stopped."))) }
        invokeServer.withLock { $0?.stop() }
        _ = abandonQueuedEvents()
        for id in ids { shutDown(environmentID: id, reason: "lab stopped") }
        // Wait for every process to be reaped; one still there after SIGKILL and 2 s more is left
        // to the watchdog's group kill below, which is the last word.
        if !ids.isEmpty { _ = allGone.wait(timeout: .now() + .milliseconds(Int(configuration.shutdownGrace.milliseconds) + 2_000)) }
        watchdog.stop()
        deadlines.stop()
        starters.stop()
        try? FileManager.default.removeItem(atPath: scratchBase)
    }

    /// Called when an environment's process was reaped.
    func environmentGone() {
        let empty = state.withLock { $0.stopped && $0.environments.isEmpty }
        if empty { allGone.signal() }
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
}

extension String {
    /// 3 for "env-3", so environments sort in start order.
    public var environmentNumber: Int { Int(split(separator: "-").last ?? "") ?? 0 }
}

import Contracts
import Foundation
import LabRuntime
import StandInDatabase
import Synchronization

/// The worker function: what the chapters invoke. Its configuration (environment variables):
/// - `WORKER_DB_ADDRESS`: host:port of the stand-in database; unset → the worker uses no database.
/// - `WORKER_CONNECT`: `init` (default: connect once, in the Init phase, and keep the connection)
///   or `handler` (connect inside the handler, on every invocation).
/// - `WORKER_INIT_SLEEP_MS`: sleep this long in Init (a slow Init, to test Init's limits).
/// - `AWS_LAMBDA_MAX_CONCURRENCY` (set by Lambda Managed Instances): invocations at once.
/// Its event and answer (`WorkerEvent`, `WorkerAnswer`) are in Contracts, shared with the chapters.
///
/// State kept between invocations of one environment. Swift 6 makes us say how it is shared, and
/// on Managed Instances it really is shared: up to `AWS_LAMBDA_MAX_CONCURRENCY` invocations run
/// at once in this process. So the counters sit behind a `Mutex`, and in init mode the database
/// connections are a small pool — a connection carries one query at a time, and one kept
/// connection would make concurrent invocations wait for each other.
final class WorkerState: Sendable {
    let address: String?
    let connectInInit: Bool
    /// Read once, in init: the environment does not change during an environment's life.
    let scratchFile: String
    let initializationType: String
    /// This environment's log stream: a name no other environment has.
    let logStream: String?
    /// Invocations this environment may run at once (1 on Lambda's default).
    let maxConcurrency: Int
    /// Connections opened in init and not in use now. A query takes one and gives it back; if none
    /// is free it opens another, which joins the pool after.
    private let pool = Mutex<[DatabaseConnection]>([])
    private let counters = Mutex((invocations: 0, connections: 0, inFlight: 0))

    init(environment: [String: String]) throws {
        address = environment["WORKER_DB_ADDRESS"]
        connectInInit = (environment["WORKER_CONNECT"] ?? "init") != "handler"
        scratchFile = (environment["TMPDIR"] ?? "/tmp") + "/worker-was-here"
        initializationType = environment["AWS_LAMBDA_INITIALIZATION_TYPE"] ?? "unknown"
        logStream = environment["AWS_LAMBDA_LOG_STREAM_NAME"]
        maxConcurrency = max(1, environment["AWS_LAMBDA_MAX_CONCURRENCY"].flatMap { Int($0) } ?? 1)
        if let sleep = environment["WORKER_INIT_SLEEP_MS"].flatMap(UInt32.init) { usleep(sleep * 1000) }
        // Run the handler's own machinery once now, in Init (JSON coding, the scratch file, first use
        // of the runtime's code paths), so the first invocation is as fast as every later one. This
        // is what AWS advises for provisioned concurrency: do in init whatever you can.
        let sample = WorkerAnswer(invocationCount: 0, connectedIn: "", row: nil, connectionsOpened: 0, reconnected: false,
                                  foundScratchFile: false, initializationType: initializationType, pid: 0)
        _ = try JSONDecoder().decode(WorkerEvent.self, from: JSONEncoder().encode(["key": "warm-up"]))
        _ = try JSONEncoder().encode(sample)
        if connectInInit, let address {
            // Init phase: paid once per environment, and shows in Init Duration. One connection,
            // or a small pool for concurrent invocations (a quarter of them, at most 4): the
            // handshakes are paid once here for every invocation the environment will serve.
            let size = maxConcurrency == 1 ? 1 : min(4, max(2, maxConcurrency / 4))
            let opened = try (0..<size).map { _ in try DatabaseConnection(address: address) }
            pool.withLock { $0 = opened }
            counters.withLock { $0.connections += size }
            print(size == 1 ? "connected to the database in init (\(address))"
                            : "opened a pool of \(size) database connections in init (\(address)) for up to \(maxConcurrency) invocations at once")
        }
    }

    /// Counts an invocation in: its number in this environment, and how many run now (itself included).
    func beginInvocation() -> (count: Int, inFlight: Int) {
        counters.withLock { counters in
            counters.invocations += 1
            counters.inFlight += 1
            return (counters.invocations, counters.inFlight)
        }
    }

    func endInvocation() {
        counters.withLock { $0.inFlight -= 1 }
    }

    /// Runs one query. In-handler mode opens (and closes) a connection every time; in-init mode
    /// reuses the kept one and reconnects once if the database dropped it while we were frozen.
    func query(_ key: String, slowMs: Int? = nil) throws -> (row: String, reconnected: Bool) {
        let key = slowMs.map { "\(key) \($0)" } ?? key
        guard let address else { throw DatabaseError.notConfigured }
        if !connectInInit {
            let fresh = try DatabaseConnection(address: address)
            counters.withLock { $0.connections += 1 }
            return (try fresh.query(key), false)
        }
        // Borrowed for this query only; the lock is never held across the network.
        var borrowed = pool.withLock { $0.popLast() }
        var reconnected = false
        if borrowed == nil {
            borrowed = try DatabaseConnection(address: address)
            counters.withLock { $0.connections += 1 }
        }
        guard var connection = borrowed else { throw DatabaseError.notConfigured }
        let row: String
        if let answer = try? connection.query(key) {
            row = answer
        } else {
            print("database connection is stale; reconnecting")
            connection = try DatabaseConnection(address: address)
            counters.withLock { $0.connections += 1 }
            reconnected = true
            row = try connection.query(key)
        }
        pool.withLock { $0.append(connection) }
        return (row, reconnected)
    }

    var connectionsOpened: Int { counters.withLock { $0.connections } }
}

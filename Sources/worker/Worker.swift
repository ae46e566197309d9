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
/// Its event and answer (`WorkerEvent`, `WorkerAnswer`) are in Contracts, shared with the chapters.
///
/// State kept between invocations of one environment. Swift 6 makes us say how it is shared:
/// a `Mutex`, although one environment only ever runs one invocation at a time.
final class WorkerState: Sendable {
    let address: String?
    let connectInInit: Bool
    /// Read once, in init: the environment does not change during an environment's life.
    let scratchFile: String
    let initializationType: String
    /// This environment's log stream: a name no other environment has.
    let logStream: String?
    private let connection = Mutex<DatabaseConnection?>(nil)
    private let counters = Mutex((invocations: 0, connections: 0))

    init(environment: [String: String]) throws {
        address = environment["WORKER_DB_ADDRESS"]
        connectInInit = (environment["WORKER_CONNECT"] ?? "init") != "handler"
        scratchFile = (environment["TMPDIR"] ?? "/tmp") + "/worker-was-here"
        initializationType = environment["AWS_LAMBDA_INITIALIZATION_TYPE"] ?? "unknown"
        logStream = environment["AWS_LAMBDA_LOG_STREAM_NAME"]
        if let sleep = environment["WORKER_INIT_SLEEP_MS"].flatMap(UInt32.init) { usleep(sleep * 1000) }
        // Run the handler's own machinery once now, in Init (JSON coding, the scratch file, first use
        // of the runtime's code paths), so the first invocation is as fast as every later one. This
        // is what AWS advises for provisioned concurrency: do in init whatever you can.
        let sample = WorkerAnswer(invocationCount: 0, connectedIn: "", row: nil, connectionsOpened: 0, reconnected: false,
                                  foundScratchFile: false, initializationType: initializationType, pid: 0)
        _ = try JSONDecoder().decode(WorkerEvent.self, from: JSONEncoder().encode(["key": "warm-up"]))
        _ = try JSONEncoder().encode(sample)
        if connectInInit, let address {
            // Init phase: paid once per environment, and shows in Init Duration.
            let opened = try DatabaseConnection(address: address)
            connection.withLock { $0 = opened }
            counters.withLock { $0.connections += 1 }
            print("connected to the database in init (\(address))")
        }
    }

    func nextInvocation() -> (count: Int, connections: Int) {
        counters.withLock { counters in
            counters.invocations += 1
            return (counters.invocations, counters.connections)
        }
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
        return try connection.withLock { kept in
            if let current = kept, let row = try? current.query(key) { return (row, false) }
            print("database connection is stale; reconnecting")
            let fresh = try DatabaseConnection(address: address)
            counters.withLock { $0.connections += 1 }
            kept = fresh
            return (try fresh.query(key), true)
        }
    }

    var connectionsOpened: Int { counters.withLock { $0.connections } }
}

import Dispatch
import Foundation
import RuntimeAPI
import Synchronization
import Timing

/// The orchestrator's event: invoke `function` `count` times at once.
struct FanOutEvent: Decodable {
    var function: String
    var qualifier: String?
    var count: Int
    /// One call after another on one connection, instead of all at once.
    var sequential: Bool?
    /// Sent to every call; `{"key": "<function>-<index>"}` when absent.
    var payload: [String: String]?
}

/// One call as the orchestrator measured it.
struct Call: Codable {
    var index: Int
    /// From the Invoke API's `x-amzn-RequestId`, so the lab's records can be joined to this call.
    var requestId: String
    var status: Int
    var functionError: String?
    /// Send of the request → last byte of the response, on a connection opened beforehand.
    var latencyMs: Double
    var response: String
}

struct FanOutOutput: Encodable {
    var calls: [Call]
    /// First send → last response.
    var wallMs: Double
}

/// Fans out N concurrent Invoke API calls, one thread and one kept-alive connection each.
///
/// Why threads, not a task group: each call blocks on a socket until the worker answers, and a task
/// group would run at most two of them at once on this machine's two-thread cooperative pool. Why
/// connect first and then start together: like an SDK with a warm connection pool firing all calls
/// at once, so the calls reach the lab as one burst and the latencies measure the invocation, not
/// our own connection set-up.
final class FanOut: Sendable {
    private let host: String
    private let port: UInt16
    /// Kept-alive connections, reused across warm invocations of the orchestrator.
    private let pool = Mutex<[HTTPClient]>([])

    init(endpoint: String) throws {
        // AWS_ENDPOINT_URL_LAMBDA, e.g. http://127.0.0.1:9001 (plain HTTP: the lab on loopback).
        guard let url = URL(string: endpoint), url.scheme == "http", let host = url.host, let port = url.port else {
            throw FanOutError.badEndpoint(endpoint)
        }
        self.host = host
        self.port = UInt16(port)
    }

    func run(_ event: FanOutEvent) throws -> FanOutOutput {
        guard (1...1000).contains(event.count) else { throw FanOutError.badCount(event.count) }
        if event.sequential == true { return try runSequentially(event) }
        let clients = pool.withLock { pool -> [HTTPClient] in
            let reused = Array(pool.prefix(event.count))
            pool.removeFirst(reused.count)
            return reused + (reused.count..<event.count).map { _ in HTTPClient(host: host, port: port) }
        }
        let results = Mutex<[Call?]>(Array(repeating: nil, count: event.count))
        let connected = DispatchGroup()
        let finished = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let path = path(event)
        for (index, client) in clients.enumerated() {
            connected.enter()
            finished.enter()
            let body = try JSONSerialization.data(withJSONObject: event.payload ?? ["key": "\(event.function)-\(index)"], options: [.sortedKeys])
            let thread = Thread {
                defer { finished.leave() }
                let ready = (try? client.connect()) != nil
                connected.leave()
                go.wait()
                let call = Self.invoke(client, path: path, body: Array(body), index: index, ready: ready)
                results.withLock { $0[index] = call }
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        connected.wait()
        let start = ContinuousClock.now
        for _ in clients { go.signal() }
        finished.wait()
        let wall = ContinuousClock.now - start
        pool.withLock { $0.append(contentsOf: clients) }
        return FanOutOutput(calls: results.withLock { $0.compactMap { $0 } }, wallMs: wall.milliseconds)
    }

    /// The same calls, one after another: each waits for the previous answer.
    private func runSequentially(_ event: FanOutEvent) throws -> FanOutOutput {
        let client = pool.withLock { $0.popLast() } ?? HTTPClient(host: host, port: port)
        defer { pool.withLock { $0.append(client) } }
        try client.connect()
        let start = ContinuousClock.now
        let calls = try (0..<event.count).map { index in
            let body = try JSONSerialization.data(withJSONObject: event.payload ?? ["key": "\(event.function)-\(index)"], options: [.sortedKeys])
            return Self.invoke(client, path: path(event), body: Array(body), index: index, ready: true)
        }
        return FanOutOutput(calls: calls, wallMs: (ContinuousClock.now - start).milliseconds)
    }

    private func path(_ event: FanOutEvent) -> String {
        InvokeAPIPath.invocations(event.function) + (event.qualifier.map { "?Qualifier=\($0)" } ?? "")
    }

    private static func invoke(_ client: HTTPClient, path: String, body: [UInt8], index: Int, ready: Bool) -> Call {
        let start = ContinuousClock.now
        do {
            guard ready else { throw FanOutError.cannotConnect }
            let response = try client.send(HTTPRequest(method: "POST", target: path, headers: ["Content-Type": "application/json"], body: body))
            let latency = ContinuousClock.now - start
            return Call(index: index, requestId: response.headers[AmazonHeaders.amznRequestID] ?? "", status: response.status,
                        functionError: response.headers[AmazonHeaders.functionError], latencyMs: latency.milliseconds,
                        response: response.bodyText)
        } catch {
            client.close()
            return Call(index: index, requestId: "", status: 0, functionError: "Orchestrator.CallFailed",
                        latencyMs: (ContinuousClock.now - start).milliseconds, response: "\(error)")
        }
    }
}

enum FanOutError: Error, CustomStringConvertible {
    case badEndpoint(String)
    case badCount(Int)
    case cannotConnect
    case noEndpoint

    var description: String {
        switch self {
        case .badEndpoint(let endpoint): "AWS_ENDPOINT_URL_LAMBDA must be http://host:port, got \(endpoint)"
        case .badCount(let count): "count must be 1…1000, got \(count)"
        case .cannotConnect: "cannot connect to the Invoke API"
        case .noEndpoint: "AWS_ENDPOINT_URL_LAMBDA is not set"
        }
    }
}

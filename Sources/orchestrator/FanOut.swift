import Foundation
import Glibc
import RuntimeAPI
import Synchronization

/// The orchestrator's event: invoke `function` `count` times at once (or one after another).
struct FanOutEvent: Decodable {
    var function: String
    var qualifier: String?
    var count: Int
    /// One call after another on one connection, instead of all at once.
    var sequential: Bool?
    /// Sent to every call as it is; `{"key": "<function>-<index>"}` when absent.
    var payload: JSONValue?
}

/// One call as the orchestrator measured it.
struct Call: Codable {
    var index: Int
    /// From the Invoke API's `x-amzn-RequestId`, so the lab's records can be joined to this call.
    var requestId: String
    var status: Int
    var functionError: String?
    /// This call's request sent → its response read.
    var latencyMs: Double
    /// When this call's request was written, from the first write.
    var sentAtMs: Double = 0
    var response: String
}

struct FanOutOutput: Encodable {
    var calls: [Call]
    /// First send → last response.
    var wallMs: Double
}

/// Fans out N Invoke API calls, each on its own kept-alive connection.
///
/// How "at once" is done: the connections are opened first (like an SDK's warm pool), then one
/// thread writes all N requests back to back — microseconds apart — and collects the answers with
/// `poll` as they come. Threads woken one by one would spread the burst over milliseconds, long
/// enough for a fast warm call to finish and be reused inside the same burst.
final class FanOut: Sendable {
    private let host: String
    private let port: UInt16
    /// Kept-alive connections, reused across warm invocations of the orchestrator.
    private let pool = Mutex<[HTTPClient]>([])
    private let encoder = JSONEncoder()

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
        let clients = pool.withLock { pool -> [HTTPClient] in
            let reused = Array(pool.suffix(event.count))
            pool.removeLast(reused.count)
            return reused + (reused.count..<event.count).map { _ in HTTPClient(host: host, port: port) }
        }
        defer { pool.withLock { $0.append(contentsOf: clients) } }
        for client in clients { try client.connect() }
        let requests = try (0..<event.count).map { try request(event, index: $0) }
        return event.sequential == true ? runSequentially(clients[0], requests) : runAtOnce(clients, requests)
    }

    private func runAtOnce(_ clients: [HTTPClient], _ requests: [HTTPRequest]) -> FanOutOutput {
        var calls = [Call?](repeating: nil, count: requests.count)
        var sentAt = [ContinuousClock.Instant](repeating: .now, count: requests.count)
        let start = ContinuousClock.now
        for (index, client) in clients.enumerated() {
            sentAt[index] = .now
            do { try client.write(requests[index]) } catch { calls[index] = failed(index, since: sentAt[index], error, client) }
        }
        var waiting = Set(clients.indices.filter { calls[$0] == nil })
        while !waiting.isEmpty {
            let order = Array(waiting)
            var fds = order.map { pollfd(fd: clients[$0].fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }
            for (slot, index) in order.enumerated() where fds[slot].revents != 0 {
                do {
                    calls[index] = Self.call(index, try clients[index].readResponse(), latency: ContinuousClock.now - sentAt[index])
                } catch {
                    calls[index] = failed(index, since: sentAt[index], error, clients[index])
                }
                waiting.remove(index)
            }
        }
        for index in calls.indices { calls[index]?.sentAtMs = (sentAt[index] - start).milliseconds }
        return FanOutOutput(calls: calls.compactMap { $0 }, wallMs: (ContinuousClock.now - start).milliseconds)
    }

    /// The same calls, one after another: each waits for the previous answer.
    private func runSequentially(_ client: HTTPClient, _ requests: [HTTPRequest]) -> FanOutOutput {
        let start = ContinuousClock.now
        let calls = requests.indices.map { index in
            let sent = ContinuousClock.now
            do { return Self.call(index, try client.send(requests[index]), latency: ContinuousClock.now - sent) }
            catch { return failed(index, since: sent, error, client) }
        }
        return FanOutOutput(calls: calls, wallMs: (ContinuousClock.now - start).milliseconds)
    }

    private func request(_ event: FanOutEvent, index: Int) throws -> HTTPRequest {
        let target = InvokeAPIPath.invocations(event.function) + (event.qualifier.map { "?Qualifier=\($0)" } ?? "")
        let payload = event.payload ?? .object(["key": .string("\(event.function)-\(index)")])
        return HTTPRequest(method: "POST", target: target, headers: ["Content-Type": "application/json"], body: Array(try encoder.encode(payload)))
    }

    private static func call(_ index: Int, _ response: HTTPResponse, latency: Duration) -> Call {
        Call(index: index, requestId: response.headers[AmazonHeaders.amznRequestID] ?? "", status: response.status,
             functionError: response.headers[AmazonHeaders.functionError], latencyMs: latency.milliseconds, response: response.bodyText)
    }

    private func failed(_ index: Int, since: ContinuousClock.Instant, _ error: Error, _ client: HTTPClient) -> Call {
        client.close()
        return Call(index: index, requestId: "", status: 0, functionError: "Orchestrator.CallFailed",
                    latencyMs: (ContinuousClock.now - since).milliseconds, response: "\(error)")
    }
}

enum FanOutError: Error, CustomStringConvertible {
    case badEndpoint(String)
    case badCount(Int)
    case noEndpoint

    var description: String {
        switch self {
        case .badEndpoint(let endpoint): "AWS_ENDPOINT_URL_LAMBDA must be http://host:port, got \(endpoint)"
        case .badCount(let count): "count must be 1…1000, got \(count)"
        case .noEndpoint: "AWS_ENDPOINT_URL_LAMBDA is not set"
        }
    }
}

extension Duration {
    /// Here rather than from `Timing`, whose formatting would pull legacy Foundation (and ICU's
    /// data) into this statically linked function and slow every cold start.
    var milliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15 }
}

import Foundation
import Glibc
import HTTP
import LambdaAPI
import Contracts
import SigV4
import Synchronization
import TLS

extension RetryPolicy {
    func backoffMs(retry: Int, using random: inout some RandomNumberGenerator) -> Double {
        Double.random(in: 0..<1, using: &random) * min(baseMs * pow(2, Double(retry - 1)), 20_000)
    }
}

/// SplitMix64: a small, well-known generator whose stream is fixed by its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fans out N Invoke API calls, each on its own kept-alive connection.
///
/// How "at once" is done: the connections are opened first (like an SDK's warm pool), then one
/// thread writes all N requests back to back — microseconds apart — and collects the answers with
/// `poll` as they come. Threads woken one by one would spread the burst over milliseconds, long
/// enough for a fast warm call to finish and be reused inside the same burst. That is the lab's
/// plain-HTTP path; over HTTPS (AWS) each call has a thread of its own (FanOut+HTTPS.swift).
final class FanOut: Sendable {
    let host: String
    let port: UInt16
    /// https (AWS's Invoke API): the calls go over TLS, see FanOut+HTTPS.swift.
    private let secure: Bool
    /// Kept-alive connections, reused across warm invocations of the orchestrator.
    private let pool = Mutex<[HTTPClient]>([])
    let tlsPool = Mutex<[HTTPClient]>([])
    private let encoder = JSONEncoder()
    /// Signs each call (SigV4) with the credentials Lambda gives the environment; nil without them.
    private let signer: SigV4Signer?

    init(endpoint: String) throws {
        // AWS_ENDPOINT_URL_LAMBDA, e.g. http://127.0.0.1:9001 (plain HTTP: the lab on loopback) or
        // https://lambda.eu-west-1.amazonaws.com (AWS: HTTPS only, port 443 unless given).
        guard let url = URL(string: endpoint), let host = url.host, !host.isEmpty,
              url.scheme == "http" && url.port != nil || url.scheme == "https",
              let port = UInt16(exactly: url.port ?? 443), port > 0 else {
            throw FanOutError.badEndpoint(endpoint)
        }
        self.host = host
        self.port = port
        secure = url.scheme == "https"
        signer = SigV4Signer.credentials(from: ProcessInfo.processInfo.environment)
    }

    func run(_ given: FanOutEvent) throws -> FanOutAnswer {
        // What the event leaves out, the function's configuration gives (the Terraform stack's).
        var event = given
        let environment = ProcessInfo.processInfo.environment
        event.function = event.function ?? environment["FAN_OUT_FUNCTION"]
        event.count = event.count ?? environment["FAN_OUT_WIDTH"].flatMap { Int($0) }
        guard event.function != nil else { throw FanOutError.noTarget }
        let count = event.count ?? 0
        guard (1...1000).contains(count) else { throw FanOutError.badCount(count) }
        if secure { return try runOverTLS(event, requests: try (0..<count).map { try request(event, index: $0) }) }
        let clients = pool.withLock { pool -> [HTTPClient] in
            let reused = Array(pool.suffix(count))
            pool.removeLast(reused.count)
            return reused + (reused.count..<count).map { _ in HTTPClient(host: host, port: port) }
        }
        defer { pool.withLock { $0.append(contentsOf: clients) } }
        for client in clients { try client.connect() }
        let requests = try (0..<count).map { try request(event, index: $0) }
        return event.sequential == true ? runSequentially(clients[0], requests)
            : runAtOnce(clients, requests, retry: event.retry, interval: event.intervalMs.map { .milliseconds(max(0, $0)) } ?? .zero)
    }

    /// A throttled call tries again on its own connection after its own jittered wait, as an SDK
    /// client would — starting as soon as its 429 arrives, whatever the other calls are doing. The
    /// waits are real (nothing runs during them), and they spread the retries out.
    func retried(_ first: FanOutCall, client: HTTPClient, request: HTTPRequest, policy: RetryPolicy,
                 firstSent: ContinuousClock.Instant) -> FanOutCall {
        var current = first
        current.throttleReasons = [first.throttleReason]
        // Each call its own stream, mixed from the seed and the call's index (seed + index would
        // make seed s's call i + 1 draw what seed s + 1's call i draws).
        var seeded = policy.seed.map { SeededGenerator(seed: $0 ^ (UInt64(first.index) &* 0xD1B5_4A32_D192_ED03)) }
        var system = SystemRandomNumberGenerator()
        // Each attempt as timed here, so a picture can draw every attempt and the wait between.
        var log = [FanOutAttempt(offsetMs: 0, latencyMs: first.latencyMs, status: first.status)]
        while current.status == 429, current.attempts < policy.maxAttempts {
            let wait = seeded != nil ? policy.backoffMs(retry: current.attempts, using: &seeded!)
                                     : policy.backoffMs(retry: current.attempts, using: &system)
            usleep(useconds_t(wait * 1_000))
            let sent = ContinuousClock.now
            var next: FanOutCall
            do { next = Self.call(first.index, try client.send(request), latency: .zero) }
            catch { next = failed(first.index, since: sent, error, client) }
            log.append(FanOutAttempt(offsetMs: (sent - firstSent).milliseconds, latencyMs: (ContinuousClock.now - sent).milliseconds,
                                     status: next.status))
            next.attempts = current.attempts + 1
            next.backoffMs = current.backoffMs + wait
            next.throttleReasons = current.throttleReasons + (next.status == 429 ? [next.throttleReason] : [])
            current = next
        }
        current.attemptLog = log
        // As the caller sees it: from the first attempt's send to the last answer.
        current.latencyMs = (ContinuousClock.now - firstSent).milliseconds
        return current
    }

    /// With a zero interval, a burst; otherwise a steady rate, each write at its scheduled time
    /// while the answers of earlier calls are read in between.
    private func runAtOnce(_ clients: [HTTPClient], _ requests: [HTTPRequest], retry: RetryPolicy?, interval: Duration) -> FanOutAnswer {
        var calls = [FanOutCall?](repeating: nil, count: requests.count)
        let retriedCalls = Mutex<[Int: FanOutCall]>([:])
        let retries = DispatchGroup()
        var sentAt = [ContinuousClock.Instant](repeating: .now, count: requests.count)
        let start = ContinuousClock.now
        var unsent = 0
        var waiting = Set<Int>()
        func sendDue() {
            while unsent < requests.count, ContinuousClock.now >= start + interval * unsent {
                let index = unsent
                unsent += 1
                sentAt[index] = .now
                do {
                    try clients[index].write(requests[index])
                    waiting.insert(index)
                } catch {
                    calls[index] = failed(index, since: sentAt[index], error, clients[index])
                }
            }
        }
        sendDue()
        while !waiting.isEmpty || unsent < requests.count {
            let order = Array(waiting)
            var fds = order.map { pollfd(fd: clients[$0].fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0) }
            // Until the next scheduled write at the latest (rounded up: never early).
            let timeout = unsent < requests.count
                ? Int32(max(0, ((start + interval * unsent) - ContinuousClock.now).milliseconds.rounded(.up))) : -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            sendDue()
            if ready <= 0 { continue }
            for (slot, index) in order.enumerated() where fds[slot].revents != 0 {
                do {
                    calls[index] = Self.call(index, try clients[index].readResponse(), latency: ContinuousClock.now - sentAt[index])
                } catch {
                    calls[index] = failed(index, since: sentAt[index], error, clients[index])
                }
                waiting.remove(index)
                if let policy = retry, let call = calls[index], call.status == 429 {
                    let (client, request, firstSent) = (clients[index], requests[index], sentAt[index])
                    retries.enter()
                    // A thread of its own: its wait blocks, and waits on Dispatch's few pool threads
                    // would queue behind each other instead of running side by side.
                    Thread.detachNewThread { [self] in
                        let final = retried(call, client: client, request: request, policy: policy, firstSent: firstSent)
                        retriedCalls.withLock { $0[index] = final }
                        retries.leave()
                    }
                }
            }
        }
        retries.wait()
        for (index, call) in retriedCalls.withLock({ $0 }) { calls[index] = call }
        for index in calls.indices { calls[index]?.sentAtMs = (sentAt[index] - start).milliseconds }
        return FanOutAnswer(calls: calls.compactMap { $0 }, wallMs: (ContinuousClock.now - start).milliseconds)
    }

    /// The same calls, one after another: each waits for the previous answer.
    func runSequentially(_ client: HTTPClient, _ requests: [HTTPRequest]) -> FanOutAnswer {
        let start = ContinuousClock.now
        let calls = requests.indices.map { index in
            let sent = ContinuousClock.now
            do { return Self.call(index, try client.send(requests[index]), latency: ContinuousClock.now - sent) }
            catch { return failed(index, since: sent, error, client) }
        }
        return FanOutAnswer(calls: calls, wallMs: (ContinuousClock.now - start).milliseconds)
    }

    /// The Host header's value, which the signature covers: as the connection sends it.
    private var authority: String { secure ? TLSClient.authority(host: host, port: port) : "\(host):\(port)" }

    private func request(_ event: FanOutEvent, index: Int) throws -> HTTPRequest {
        let function = event.function ?? ""
        // The name (or ARN) encoded once in the path, as the SDKs send it and sign it.
        let path = InvokeAPIPath.functionsPrefix + SigV4Signer.uriEncode(function) + "/invocations"
        let target = path + (event.qualifier.map { "?Qualifier=\(SigV4Signer.uriEncode($0))" } ?? "")
        let payload = event.payloads.flatMap { $0.isEmpty ? nil : $0[index % $0.count] }
            ?? event.payload ?? .object(["key": .string("\(function)-\(index)")])
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let type = event.invocationType { headers.set(AmazonHeaders.invocationType, type) }
        // The last 4 KB of each call's log come back with its answer: its REPORT line is how the
        // orchestrator knows a call's Duration and Init Duration, on AWS as in the lab.
        if event.invocationType != "Event" { headers.set(AmazonHeaders.logType, "Tail") }
        let body = Array(try encoder.encode(payload))
        if let signer {
            let signed = signer.sign(method: "POST", path: path, query: event.qualifier.map { [("Qualifier", $0)] } ?? [],
                                     headers: [("Host", authority)] + headers.map { ($0.name, $0.value) }, body: body, date: Date())
            for (name, value) in signed { headers.set(name, value) }
        }
        return HTTPRequest(method: "POST", target: target, headers: headers, body: body)
    }

    static func call(_ index: Int, _ response: HTTPResponse, latency: Duration) -> FanOutCall {
        var call = FanOutCall(index: index, requestID: response.headers[AmazonHeaders.amznRequestID] ?? "", status: response.status,
                              functionError: response.headers[AmazonHeaders.functionError], latencyMs: latency.milliseconds,
                              response: JSONValue(body: response.body))
        if let tail = response.headers[AmazonHeaders.logResult], let log = Data(base64Encoded: tail) {
            call.report = CallReport(logTail: String(decoding: log, as: UTF8.self))
        }
        return call
    }

    func failed(_ index: Int, since: ContinuousClock.Instant, _ error: Error, _ client: HTTPClient) -> FanOutCall {
        client.close()
        return FanOutCall(index: index, requestID: "", status: 0, functionError: "Orchestrator.CallFailed",
                          latencyMs: (ContinuousClock.now - since).milliseconds, response: .string("\(error)"))
    }
}

enum FanOutError: Error, CustomStringConvertible {
    case badEndpoint(String)
    case badCount(Int)
    case noEndpoint
    case noTarget

    var description: String {
        switch self {
        case .badEndpoint(let endpoint): "AWS_ENDPOINT_URL_LAMBDA must be http://host:port or https://host[:port], got \(endpoint)"
        case .badCount(let count): "count must be 1…1000, got \(count)"
        case .noEndpoint: "neither AWS_ENDPOINT_URL_LAMBDA nor AWS_REGION is set"
        case .noTarget: "the event names no function and FAN_OUT_FUNCTION is not set"
        }
    }
}

extension Duration {
    /// Here rather than from `Timing`, whose formatting would pull legacy Foundation (and ICU's
    /// data) into this statically linked function and slow every cold start.
    var milliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15 }
}

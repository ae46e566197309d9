import Contracts
import Foundation
import Glibc
import HTTP
import Synchronization
import TLS

extension FanOut {
    /// The calls over HTTPS, as on AWS. OpenSSL's connections block, so the poll-driven burst of
    /// the HTTP path cannot drive them; instead each call has a thread and a kept-alive TLS
    /// connection of its own. As on the HTTP path the connections are opened first (handshakes
    /// are not part of a call's latency, and a connection that cannot be opened fails the whole
    /// fan-out with its reason), then every thread is released at once and writes its request —
    /// at `start + i × interval` for a steady rate. A 429 retries on the same thread and
    /// connection with the same backoff as the HTTP path. Sends spread a little more than the
    /// HTTP path's single-thread writes: each thread must be woken.
    func runOverTLS(_ event: FanOutEvent, requests: [HTTPRequest]) throws -> FanOutAnswer {
        let count = requests.count
        let clients = tlsPool.withLock { pool -> [HTTPClient] in
            let reused = Array(pool.suffix(count))
            pool.removeLast(reused.count)
            return reused + (reused.count..<count).map { _ in TLSClient.make(host: host, port: port) }
        }
        defer { tlsPool.withLock { $0.append(contentsOf: clients) } }
        if event.sequential == true {
            try clients[0].connect()
            return runSequentially(clients[0], requests)
        }
        let interval = event.intervalMs.map { Duration.milliseconds(max(0, $0)) } ?? .zero
        let connectErrors = Mutex<[Int: any Error]>([:])
        let calls = Mutex<[FanOutCall?]>(Array(repeating: nil, count: count))
        // Released once, by this thread, when every connection is open: the burst's start line.
        let gate = DispatchGroup()
        let connected = DispatchGroup(), done = DispatchGroup()
        let start = Mutex<(ContinuousClock.Instant, go: Bool)>((.now, false))
        gate.enter()
        for index in 0..<count {
            connected.enter()
            done.enter()
            let (client, request) = (clients[index], requests[index])
            // A thread of its own, not Dispatch's pool: each blocks for its whole call.
            Thread.detachNewThread { [self] in
                defer { done.leave() }
                do { try client.connect() } catch { connectErrors.withLock { $0[index] = error } }
                connected.leave()
                gate.wait()
                let (origin, go) = start.withLock { $0 }
                guard go else { return }
                let due = origin + interval * index
                if due > .now { usleep(useconds_t((due - .now).milliseconds * 1_000)) }
                let sent = ContinuousClock.now
                var call: FanOutCall
                do { call = Self.call(index, try client.send(request), latency: ContinuousClock.now - sent) }
                catch { call = failed(index, since: sent, error, client) }
                if let policy = event.retry, call.status == 429 {
                    call = retried(call, client: client, request: request, policy: policy, firstSent: sent)
                }
                call.sentAtMs = (sent - origin).milliseconds
                calls.withLock { [call] in $0[index] = call }
            }
        }
        connected.wait()
        let failure = connectErrors.withLock { $0.min { $0.key < $1.key }?.value }
        start.withLock { $0 = (.now, failure == nil) }
        let origin = start.withLock { $0.0 }
        gate.leave()
        done.wait()
        if let failure { throw failure }
        return FanOutAnswer(calls: calls.withLock { $0 }.compactMap { $0 }, wallMs: (ContinuousClock.now - origin).milliseconds)
    }
}

import Foundation
import Glibc
import HTTP
import Synchronization
import Timing

/// The warm-invoke floor: the lab's warm path with nothing but the protocol, as three processes —
/// client → emulator → the runtime's parked `GET /next` answered → its `POST …/response` → client —
/// blocking sockets, kept-alive connections. The benchmark runs this binary in the two server roles.
enum FloorChain {
    static let event = Array(#"{"key":"bench"}"#.utf8)
    /// About the size of the worker's answer.
    static let answer = Array(#"{"invocationCount":1,"connectedIn":"init","connectionsOpened":0,"reconnected":false,"foundScratchFile":true,"initializationType":"on-demand","pid":12345}"#.utf8)

    /// `bench floor-emulator`: prints `PORTS <invoke> <runtime>`, then serves one client and one runtime.
    static func emulator() throws -> Never {
        let invokeListener = try Socket.listen(), runtimeListener = try Socket.listen()
        print("PORTS \(invokeListener.localPort) \(runtimeListener.localPort)")
        var runtime = Wire(try runtimeListener.accept())
        var client = Wire(try invokeListener.accept())
        var number = 0
        while let _ = runtime.read(), let request = client.read() {   // the runtime's `next`, then an invoke
            number += 1
            runtime.write("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: \(number)\r\nLambda-Runtime-Deadline-Ms: 0\r\nContent-Type: application/json\r\nContent-Length: \(request.body.count)\r\n\r\n", body: request.body)
            guard let response = runtime.read() else { break }
            client.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(response.body.count)\r\n\r\n", body: response.body)
            runtime.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        }
        exit(0)
    }

    /// `bench floor-runtime PORT`: a runtime loop that answers every event at once.
    static func runtime(port: UInt16) throws -> Never {
        var api = Wire(try Socket.connect(port: port))
        while true {
            api.write("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            guard let event = api.read() else { break }
            let head = String(decoding: event.head, as: UTF8.self)
            let id = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("lambda-runtime-aws-request-id:") }?
                .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "0"
            api.write("POST /2018-06-01/runtime/invocation/\(id)/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(answer.count)\r\n\r\n", body: answer)
            guard api.read() != nil else { break }
        }
        exit(0)
    }
}

/// `bench client PORT FUNCTION COUNT CALLERS`: invokes over the Invoke API from a process of its own,
/// as the orchestrator does, and prints one JSON line: per-call latencies (one caller) or throughput.
enum BenchClient {
    struct Result: Codable {
        var p50Micros: Double
        var p99Micros: Double
        var invokesPerSecond: Double
    }

    static func run(port: UInt16, function: String, count: Int, callers: Int) throws -> Never {
        let request = "POST /2015-03-31/functions/\(function)/invocations HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(FloorChain.event.count)\r\n\r\n"
        let latencies = Mutex<[Double]>([])
        let warmed = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for _ in 0..<callers {
            warmed.enter()
            done.enter()
            Thread {
                defer { done.leave() }
                guard let socket = try? Socket.connect(port: port) else { warmed.leave(); return }
                var wire = Wire(socket)
                for _ in 0..<200 { wire.write(request, body: FloorChain.event); _ = wire.read() }   // warm: no cold start below
                warmed.leave()
                go.wait()
                var mine: [Double] = []
                mine.reserveCapacity(count)
                for _ in 0..<count {
                    let sent = ContinuousClock.now
                    wire.write(request, body: FloorChain.event)
                    guard wire.read() != nil else { break }
                    mine.append((ContinuousClock.now - sent).microseconds)
                }
                latencies.withLock { $0 += mine }
            }.start()
        }
        warmed.wait()
        // All callers start together; throughput is calls answered over the time they took.
        let start = ContinuousClock.now
        for _ in 0..<callers { go.signal() }
        done.wait()
        let elapsed = (ContinuousClock.now - start).microseconds / 1_000_000
        let sorted = latencies.withLock { $0 }.sorted()
        let result = Result(p50Micros: Summary.percentile(50, of: sorted), p99Micros: Summary.percentile(99, of: sorted),
                            invokesPerSecond: Double(sorted.count) / elapsed)
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
        exit(0)
    }
}

/// `bench interleaved COUNT BATCH PORT:FUNCTION…`: the warm invokes of several targets in
/// alternating batches, one kept-alive connection each; prints one JSON array of results, in order.
enum InterleavedClient {
    static func run(count: Int, batch: Int, targets: [String]) throws -> Never {
        var wires: [(Wire, String)] = []
        for target in targets {
            let parts = target.split(separator: ":")
            let (port, function) = (UInt16(parts[0])!, String(parts[1]))
            let request = "POST /2015-03-31/functions/\(function)/invocations HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(FloorChain.event.count)\r\n\r\n"
            var wire = Wire(try Socket.connect(port: port))
            for _ in 0..<200 { wire.write(request, body: FloorChain.event); _ = wire.read() }   // warm: no cold start below
            wires.append((wire, request))
        }
        var latencies = [[Double]](repeating: [], count: wires.count)
        var elapsed = [Double](repeating: 0, count: wires.count)
        var done = 0
        while done < count {
            let size = min(batch, count - done)
            for index in wires.indices {
                let started = ContinuousClock.now
                for _ in 0..<size {
                    let sent = ContinuousClock.now
                    wires[index].0.write(wires[index].1, body: FloorChain.event)
                    guard wires[index].0.read() != nil else { break }
                    latencies[index].append((ContinuousClock.now - sent).microseconds)
                }
                elapsed[index] += (ContinuousClock.now - started).microseconds / 1_000_000
            }
            done += size
        }
        let results = latencies.indices.map { index -> BenchClient.Result in
            let sorted = latencies[index].sorted()
            return BenchClient.Result(p50Micros: Summary.percentile(50, of: sorted), p99Micros: Summary.percentile(99, of: sorted),
                                      invokesPerSecond: Double(sorted.count) / max(elapsed[index], 1e-9))
        }
        print(String(decoding: try JSONEncoder().encode(results), as: UTF8.self))
        exit(0)
    }
}

extension Duration {
    var microseconds: Double { Double(components.seconds) * 1_000_000 + Double(components.attoseconds) / 1e12 }
}

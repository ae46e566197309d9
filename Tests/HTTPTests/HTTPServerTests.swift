import Dispatch
import EventLoop
import Foundation
import Synchronization
import Testing
@testable import HTTP

/// Sends raw bytes on a fresh connection and returns everything the server answers until it closes
/// (or the first complete response, when it keeps the connection open).
func rawExchange(port: UInt16, _ raw: String, closeWrite: Bool = true) throws -> String {
    let socket = try Socket.connect(port: port)
    try socket.send(Array(raw.utf8))
    if closeWrite { _ = shutdown(socket.fd, Int32(SHUT_WR)) }
    let reader = HTTPReader(socket)
    guard let response = try? reader.readResponse() else { return "" }
    return "\(response.status) \(response.bodyText)"
}

/// A server on a loop of its own, for one test: started, and stopped with its loop at the end.
final class TestServer: @unchecked Sendable {
    let loop: EventLoop
    private(set) var server: HTTPServer!
    let ended = Mutex<[(Int, HTTPServer.Ending)]>([])
    let endedSignal = DispatchSemaphore(value: 0)

    init(limits: HTTPLimits = HTTPLimits(maxHeadBytes: 4096, maxBodyBytes: 1024), handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) throws {
        loop = try EventLoop(name: "test loop")
        loop.start()
        let listener = try Socket.listen(port: 0)
        let made = DispatchSemaphore(value: 0)
        loop.execute { [self] in
            server = HTTPServer(loop: loop, listener: listener, name: "test", limits: limits, connectionEnded: { [self] id, ending in
                ended.withLock { $0.append((id, ending)) }
                endedSignal.signal()
            }, handler: handler)
            try? server.start()
            made.signal()
        }
        made.wait()
    }

    var port: UInt16 { server.port }

    func stop() {
        let done = DispatchSemaphore(value: 0)
        loop.execute { [self] in server.stop(); done.signal() }
        done.wait()
        loop.stop()
    }

    /// Echoes the body, 200, answered at once on the loop.
    static func echo() throws -> TestServer {
        try TestServer { request, responder in responder.respond(HTTPResponse(status: 200, body: Array("echo:".utf8) + request.body)) }
    }

    /// Echoes the body, answered later from another thread (as a function's answer comes).
    static func deferredEcho() throws -> TestServer {
        try TestServer { request, responder in
            DispatchQueue.global().async { responder.respondFromAnyThread(HTTPResponse(status: 200, body: Array("echo:".utf8) + request.body)) }
        }
    }
}

enum Answering: CaseIterable, Sendable, CustomTestStringConvertible {
    case atOnce, later
    var testDescription: String { self == .atOnce ? "answered at once" : "answered later, from another thread" }
    func server() throws -> TestServer { self == .atOnce ? try .echo() : try .deferredEcho() }
}

@Suite("HTTP server on an event loop, under good and hostile input")
struct HTTPServerTests {
    @Test("keep-alive: many requests on one connection", arguments: Answering.allCases)
    func keepAlive(answering: Answering) throws {
        let server = try answering.server()
        defer { server.stop() }
        let client = HTTPClient(port: server.port)
        for index in 0..<20 {
            let response = try client.send(HTTPRequest(method: "POST", target: "/x", body: Array("\(index)".utf8)))
            #expect(response.bodyText == "echo:\(index)")
        }
    }

    @Test("malformed requests get a 4xx and the server keeps serving", arguments: Answering.allCases)
    func hostileInput(answering: Answering) throws {
        let server = try answering.server()
        defer { server.stop() }
        let hostile = [
            "GARBAGE\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /x HTTP/1.1\r\nX: " + String(repeating: "y", count: 10_000) + "\r\n\r\n",
            "\u{0}\u{1}\u{2}\r\n\r\n",
        ]
        for raw in hostile {
            let answer = try rawExchange(port: server.port, raw)
            #expect(answer.hasPrefix("4"), "\(raw.prefix(40).debugDescription) → \(answer)")
        }
        // Early close in the middle of a body: nothing to answer, nothing broken.
        _ = try rawExchange(port: server.port, "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        let client = HTTPClient(port: server.port)
        #expect(try client.send(HTTPRequest(method: "POST", target: "/x", body: Array("ok".utf8))).bodyText == "echo:ok")
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() throws {
        let server = try TestServer.echo()
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        try socket.send(Array("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        #expect(String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue"))
        try socket.send(Array("body".utf8))
        let response = try HTTPReader(socket).readResponse()
        #expect(response.bodyText == "echo:body")
    }

    @Test("a request arriving in small pieces is put together", arguments: Answering.allCases)
    func fragmented(answering: Answering) throws {
        let server = try answering.server()
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        for piece in ["POST /x HT", "TP/1.1\r\nContent-Le", "ngth: 5\r\n", "\r\nhe", "llo"] {
            try socket.send(Array(piece.utf8))
        }
        #expect(try HTTPReader(socket).readResponse().bodyText == "echo:hello")
    }

    @Test("many connections at once, each answered later")
    func manyConnections() throws {
        let server = try TestServer.deferredEcho()
        defer { server.stop() }
        let clients = (0..<50).map { _ in HTTPClient(port: server.port) }
        for (index, client) in clients.enumerated() { try client.write(HTTPRequest(method: "POST", target: "/x", body: Array("\(index)".utf8))) }
        for (index, client) in clients.enumerated() { #expect(try client.readResponse().bodyText == "echo:\(index)") }
    }

    @Test("many pipelined requests answered at once do not grow the stack (no recursion per request)")
    func pipelining() throws {
        let server = try TestServer { _, responder in responder.respond(HTTPResponse(status: 204)) }
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        let count = 30_000
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // Written from another thread while this one reads, so neither side's buffer stalls the other.
        DispatchQueue.global().async { for _ in 0..<count { try? socket.send(request) } }
        let reader = HTTPReader(socket)
        for _ in 0..<count { #expect(try reader.readResponse().status == 204) }
    }

    @Test("a client that pipelines and never reads is not read any further, and others are served meanwhile")
    func backpressure() throws {
        // Each answer is 256 KB: a few fill the client's socket buffer and this server's own.
        let big = [UInt8](repeating: 0x61, count: 256 * 1024)
        let server = try TestServer { _, responder in responder.respond(HTTPResponse(status: 200, body: big)) }
        defer { server.stop() }
        let stalled = try Socket.connect(port: server.port)
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // Requests keep going in until the server stops reading them: then the socket is full.
        var sent = 0
        var full = false
        for _ in 0..<200_000 {
            let written = try request.withUnsafeBytes { try stalled.sendNow($0) }
            if written < request.count { full = true; break }
            sent += 1
        }
        #expect(full, "the server read \(sent) requests and never stopped")
        // Meanwhile another client is served, every time.
        let other = HTTPClient(port: server.port)
        for _ in 0..<20 { #expect(try other.send(HTTPRequest(method: "GET", target: "/")).body.count == big.count) }
    }

    @Test("a connection's end is reported: a clean close, or a reset when what was written to it was never read")
    func endings() throws {
        let parked = Mutex<[HTTPResponder]>([])
        let arrived = DispatchSemaphore(value: 0)
        let server = try TestServer { _, responder in
            parked.withLock { $0.append(responder) }
            arrived.signal()
        }
        defer { server.stop() }
        // A peer that closes while its request is parked (a runtime killed while waiting for `next`).
        let first = try Socket.connect(port: server.port)
        try first.send(Array("GET /next HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(arrived.wait(timeout: .now() + 5) == .success)
        first.close()
        #expect(server.endedSignal.wait(timeout: .now() + 5) == .success)
        #expect(server.ended.withLock { $0.last?.1 } == .closed)
        // A peer that is sent an answer and closes without reading it (killed with the event unread).
        // Its descriptor is closed outright, as the kernel closes a killed process's: `Socket.close`
        // only shuts the connection down, which sends a FIN whatever is unread.
        let second = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: server.port.bigEndian,
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(second, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let next = Array("GET /next HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(next.withUnsafeBytes { Glibc.send(second, $0.baseAddress, $0.count, 0) } == next.count)
        #expect(arrived.wait(timeout: .now() + 5) == .success)
        let responder = parked.withLock { $0.last }
        let answered = DispatchSemaphore(value: 0)
        server.loop.execute {
            responder?.respond(HTTPResponse(status: 200, body: Array("event".utf8)))
            answered.signal()
        }
        answered.wait()
        // The answer has reached this socket unread when it is closed: the kernel resets.
        var readable = pollfd(fd: second, events: Int16(POLLIN), revents: 0)
        #expect(poll(&readable, 1, 5_000) == 1)
        Glibc.close(second)
        #expect(server.endedSignal.wait(timeout: .now() + 5) == .success)
        #expect(server.ended.withLock { $0.last?.1 } == .reset)
    }
}

@Suite("The event loop")
struct EventLoopTests {
    @Test("tasks from other threads run on the loop's own thread, in order; timers fire in deadline order; stop ends the thread")
    func tasksTimersAndStop() throws {
        let loop = try EventLoop(name: "loopcheck")
        loop.start()
        let seen = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            #expect(loop.inEventLoop)
            loop.schedule(after: .milliseconds(60)) { seen.withLock { $0.append("late") }; done.signal() }
            loop.schedule(after: .milliseconds(20)) { seen.withLock { $0.append("early") } }
            let cancelled = loop.schedule(after: .milliseconds(10)) { seen.withLock { $0.append("cancelled") } }
            loop.cancel(cancelled)
            seen.withLock { $0.append("task") }
        }
        #expect(!loop.inEventLoop)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(seen.withLock { $0 } == ["task", "early", "late"])
        #expect(loopThreads("loopcheck") == 1)
        loop.stop()
        #expect(loop.waitUntilStopped(milliseconds: 5_000), "the loop thread still runs after stop()")
    }
}

/// Threads of this process whose name is `name` (Linux keeps the first 15 bytes).
func loopThreads(_ name: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.hasPrefix(String(name.prefix(15))) == true }.count
}

import Foundation
import Synchronization
import Testing
@testable import RuntimeAPI

/// Sends raw bytes on a fresh connection and returns everything the server answers until it closes
/// (or the first complete response, when it keeps the connection open).
func rawExchange(port: UInt16, _ raw: String, closeWrite: Bool = true) throws -> String {
    let socket = try Socket.connect(port: port)
    try socket.send(Array(raw.utf8))
    if closeWrite { _ = shutdown(socket.fd, Int32(SHUT_WR)) }
    let reader = HTTPReader(socket: socket)
    guard let response = try? reader.readResponse() else { return "" }
    return "\(response.status) \(response.bodyText)"
}

/// Both servers, driven the same way: echo the body back, 200.
enum ServerKind: CaseIterable, Sendable, CustomTestStringConvertible {
    case threadPerConnection, eventLoop

    var testDescription: String { self == .threadPerConnection ? "thread-per-connection server" : "event-loop server" }

    func start() throws -> (port: UInt16, stop: @Sendable () -> Void) {
        let limits = HTTPLimits(maxHeadBytes: 4096, maxBodyBytes: 1024)
        switch self {
        case .threadPerConnection:
            let server = try HTTPServer(name: "test", limits: limits) { request in
                HTTPResponse(status: 200, body: Array("echo:".utf8) + request.body)
            }
            server.start()
            return (server.port, server.stop)
        case .eventLoop:
            let server = try HTTPEventServer(name: "test", limits: limits) { request, respond in
                DispatchQueue.global().async { respond(HTTPResponse(status: 200, body: Array("echo:".utf8) + request.body)) }
            }
            server.start()
            return (server.port, server.stop)
        }
    }
}

@Suite("HTTP servers under good and hostile input")
struct HTTPServerTests {
    @Test("keep-alive: many requests on one connection", arguments: ServerKind.allCases)
    func keepAlive(kind: ServerKind) throws {
        let server = try kind.start()
        defer { server.stop() }
        let client = HTTPClient(port: server.port)
        for index in 0..<20 {
            let response = try client.send(HTTPRequest(method: "POST", target: "/x", body: Array("\(index)".utf8)))
            #expect(response.bodyText == "echo:\(index)")
        }
    }

    @Test("malformed requests get a 4xx and the server keeps serving", arguments: ServerKind.allCases)
    func hostileInput(kind: ServerKind) throws {
        let server = try kind.start()
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

    @Test("Expect: 100-continue gets an interim 100 before the body is sent", arguments: ServerKind.allCases)
    func expectContinue(kind: ServerKind) throws {
        let server = try kind.start()
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        try socket.send(Array("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        #expect(String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue"))
        try socket.send(Array("body".utf8))
        let response = try HTTPReader(socket: socket).readResponse()
        #expect(response.bodyText == "echo:body")
    }

    @Test("a request arriving in small pieces is put together", arguments: ServerKind.allCases)
    func fragmented(kind: ServerKind) throws {
        let server = try kind.start()
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        for piece in ["POST /x HT", "TP/1.1\r\nContent-Le", "ngth: 5\r\n", "\r\nhe", "llo"] {
            try socket.send(Array(piece.utf8))
        }
        #expect(try HTTPReader(socket: socket).readResponse().bodyText == "echo:hello")
    }

    @Test("the event-loop server answers many connections at once")
    func manyConnections() throws {
        let server = try ServerKind.eventLoop.start()
        defer { server.stop() }
        let clients = (0..<50).map { _ in HTTPClient(port: server.port) }
        for (index, client) in clients.enumerated() { try client.write(HTTPRequest(method: "POST", target: "/x", body: Array("\(index)".utf8))) }
        for (index, client) in clients.enumerated() { #expect(try client.readResponse().bodyText == "echo:\(index)") }
    }

    @Test("a stopped event-loop server ends its loop thread, with clients still connected")
    func stopEndsTheLoop() throws {
        let server = try HTTPEventServer(name: "stopcheck") { request, respond in respond(HTTPResponse(status: 200)) }
        server.start()
        let client = HTTPClient(port: server.port)
        // Answered, so the loop runs.
        #expect(try client.send(HTTPRequest(method: "GET", target: "/")).status == 200)
        #expect(loopThreads("stopcheck loop") == 1)
        server.stop()
        // A stopped listener stays readable (hung up); the loop must not spin on it, but end.
        #expect(server.waitUntilStopped(milliseconds: 5_000), "the loop thread still runs after stop()")
    }

    @Test("a deferred answer to a peer that has gone is held back, and the server says so; an immediate one is sent")
    func heldBackAnswer() throws {
        let parked = Mutex<(@Sendable (HTTPResponse) -> Void)?>(nil)
        let arrived = DispatchSemaphore(value: 0)
        let server = try HTTPServer(name: "heldback") { request, respond in
            if request.target == "/park" {
                parked.withLock { $0 = respond }
                arrived.signal()
            } else {
                respond(HTTPResponse(status: 204))
            }
        }
        server.start()
        defer { server.stop() }
        let first = HTTPClient(port: server.port)
        #expect(try first.send(HTTPRequest(method: "GET", target: "/now")).status == 204)
        first.close()
        #expect(!server.heldBackAnswer)
        let socket = try Socket.connect(port: server.port)
        try socket.send(Array("GET /park HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(arrived.wait(timeout: .now() + 5) == .success)
        socket.close()   // the peer goes away while its request is parked, as a killed runtime does
        // Both connections have ended on the server's side: the peer is gone before the answer.
        #expect(server.waitUntilNoConnections(milliseconds: 5_000))
        parked.withLock { $0 }?(HTTPResponse(status: 200))
        #expect(server.heldBackAnswer)
    }

    @Test("data written to a peer that has closed brings a reset after its FIN; data it read does not")
    func resetAfterClose() throws {
        let listener = try Socket.listen(port: 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        // The peer closes first; what is written to it afterwards is never read.
        let gone = try Socket.connect(port: listener.localPort)
        let toGone = try listener.accept()
        gone.close()
        #expect(awaitPeerClose(toGone, milliseconds: 5_000))
        try toGone.send(Array("event".utf8))
        // The FIN is read first (0), unless the reset overtook it (then the read reports it).
        do {
            #expect(try buffer.withUnsafeMutableBytes { try toGone.receive(into: $0) } == 0)
            #expect(toGone.resetFollows(withinMilliseconds: 2_000))
        } catch let error as SocketError {
            #expect(error.code == ECONNRESET)
        }
        // The peer reads what was written, then closes: no reset.
        let reader = try Socket.connect(port: listener.localPort)
        let toReader = try listener.accept()
        try toReader.send(Array("event".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try reader.receive(into: $0) } == 5)
        reader.close()
        #expect(try buffer.withUnsafeMutableBytes { try toReader.receive(into: $0) } == 0)
        #expect(!toReader.resetFollows(withinMilliseconds: 50))
    }

    @Test("many pipelined requests answered at once do not grow the stack (no recursion per request)")
    func pipelining() throws {
        let server = try HTTPEventServer(name: "pipeline") { request, respond in respond(HTTPResponse(status: 204)) }
        server.start()
        defer { server.stop() }
        let socket = try Socket.connect(port: server.port)
        let count = 30_000
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // Written from another thread while this one reads, so neither side's buffer stalls the other.
        DispatchQueue.global().async { for _ in 0..<count { try? socket.send(request) } }
        let reader = HTTPReader(socket: socket)
        for _ in 0..<count { #expect(try reader.readResponse().status == 204) }
    }
}

/// Threads of this process whose name is `name` (Linux keeps the first 15 bytes).
func loopThreads(_ name: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.hasPrefix(String(name.prefix(15))) == true }.count
}

/// Waits for the peer's end of stream to reach `socket` — a kernel event (POLLRDHUP), not a sleep.
func awaitPeerClose(_ socket: Socket, milliseconds: Int32) -> Bool {
    var descriptor = pollfd(fd: socket.fd, events: 0x2000, revents: 0)   // POLLRDHUP
    return poll(&descriptor, 1, milliseconds) == 1
}

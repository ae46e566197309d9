import Dispatch
import EventLoop
import Glibc
import Testing
@testable import HTTP

/// SplitMix64: a small generator with a fixed seed, so every run tries the same inputs and a
/// failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func parseBytes(_ bytes: [UInt8]) throws -> HTTPRequest? {
    var fds: [Int32] = [0, 0]
    precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
    let writer = Socket(fd: fds[0])
    let reader = HTTPReader(Socket(fd: fds[1]), limits: HTTPLimits(maxHeadBytes: 8 * 1024, maxBodyBytes: 64 * 1024))
    // Written from another thread: a message larger than the socket buffer must not block us.
    // The writer's end is an event (a semaphore), not a poll with a sleep.
    let written = DispatchSemaphore(value: 0)
    Threads.start(name: "fuzz writer") { try? writer.send(bytes); writer.shutdown(); written.signal() }
    defer { written.wait() }
    return try reader.readRequest()
}

/// Randomized messages with a fixed seed: valid ones are read exactly, broken ones are refused
/// with an `HTTPError`, and nothing crashes or hangs the reader.
@Suite("HTTP/1.1 parsing, randomized (fixed seed)")
struct HTTPParserFuzzTests {
    static let tokenCharacters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
    static let pathCharacters = Array("abcdefghijklmnopqrstuvwxyz0123456789-_./~")

    static func token(_ generator: inout SeededGenerator, _ length: ClosedRange<Int> = 1...12) -> String {
        String((0..<Int.random(in: length, using: &generator)).map { _ in tokenCharacters.randomElement(using: &generator)! })
    }

    static func valid(_ generator: inout SeededGenerator, withBody: Bool = true) -> (text: String, method: String, path: String, headers: [(String, String)], body: [UInt8]) {
        let method = ["GET", "POST", "PUT", "DELETE"].randomElement(using: &generator)!
        let path = "/" + String((0..<Int.random(in: 0...30, using: &generator)).map { _ in pathCharacters.randomElement(using: &generator)! })
        var headers: [(String, String)] = [("Host", "127.0.0.1")]
        for _ in 0..<Int.random(in: 0...6, using: &generator) { headers.append(("X-" + token(&generator), token(&generator, 0...20))) }
        let body = (0..<(withBody ? Int.random(in: 0...300, using: &generator) : 0)).map { _ in UInt8.random(in: 32...126, using: &generator) }
        if withBody && (!body.isEmpty || method == "POST") { headers.append(("Content-Length", String(body.count))) }
        let head = "\(method) \(path) HTTP/1.1\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        return (head + String(decoding: body, as: UTF8.self), method, path, headers, body)
    }

    @Test("300 random valid requests are read exactly")
    func validRequests() throws {
        var generator = SeededGenerator(state: 20261127)
        for _ in 0..<300 {
            let message = Self.valid(&generator)
            let request = try #require(try parseBytes(Array(message.text.utf8)), "\(message.text.debugDescription)")
            #expect(request.method == message.method)
            #expect(request.path == message.path)
            #expect(request.body == message.body)
            for (name, value) in message.headers { #expect(request.headers[name] == value) }
        }
    }

    /// Breakages that make a request invalid under RFC 9112; each must be refused.
    static let breakages: [(String, @Sendable (String) -> String)] = [
        ("request line with two parts", { $0.replacingFirst(" HTTP/1.1\r\n", with: "\r\n") }),
        ("unknown HTTP version", { $0.replacingFirst("HTTP/1.1", with: "HTTP/7.3") }),
        ("header line without a colon", { $0.replacingFirst("Host: 127.0.0.1", with: "Host 127.0.0.1") }),
        ("space between header name and colon", { $0.replacingFirst("Host:", with: "Host :") }),
        ("control character in a header name", { $0.replacingFirst("Host:", with: "Ho\u{1}st:") }),
        ("Content-Length that is not a number", { $0.replacingFirst("Host: 127.0.0.1\r\n", with: "Host: 127.0.0.1\r\nContent-Length: 1x\r\n") }),
        ("negative Content-Length", { $0.replacingFirst("Host: 127.0.0.1\r\n", with: "Host: 127.0.0.1\r\nContent-Length: -1\r\n") }),
        ("Content-Length and Transfer-Encoding together", { $0.replacingFirst("Host: 127.0.0.1\r\n", with: "Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n") }),
        ("a body shorter than its Content-Length", { $0.replacingFirst("Host: 127.0.0.1\r\n", with: "Host: 127.0.0.1\r\nContent-Length: 99999\r\n") }),
    ]

    @Test("300 random requests, each broken in one known way, are all refused")
    func brokenRequests() throws {
        var generator = SeededGenerator(state: 42)
        for index in 0..<300 {
            // No body and no Content-Length of its own, so a breakage can add one.
            let message = Self.valid(&generator, withBody: false).text
            let (name, breakage) = Self.breakages[index % Self.breakages.count]
            let broken = breakage(message)
            #expect(throws: HTTPError.self, "\(name): \(broken.debugDescription)") { _ = try parseBytes(Array(broken.utf8)) }
        }
    }

    @Test("2,000 random byte strings never crash or hang the reader")
    func garbage() {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<2_000 {
            var bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes = Array("POST / HTTP/1.1\r\n".utf8) + bytes }
            _ = try? parseBytes(bytes)
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

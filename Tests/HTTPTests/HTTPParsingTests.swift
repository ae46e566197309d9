import Glibc
import Testing
@testable import HTTP

/// Feeds raw bytes to a reader through a real socket pair, as a peer would send them.
func parse(_ raw: String, limits: HTTPLimits = HTTPLimits()) throws -> HTTPRequest? {
    var fds: [Int32] = [0, 0]
    precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
    let writer = Socket(fd: fds[0])
    let reader = HTTPReader(Socket(fd: fds[1]), limits: limits)
    try writer.send(Array(raw.utf8))
    writer.shutdown()
    return try reader.readRequest()
}

@Suite("HTTP/1.1 parsing")
struct HTTPParsingTests {
    @Test("a request with Content-Length is read whole")
    func contentLength() throws {
        let request = try #require(try parse("POST /2015-03-31/functions/worker/invocations?Qualifier=live HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"key\":\"a\"}"))
        #expect(request.method == "POST")
        #expect(request.path == "/2015-03-31/functions/worker/invocations")
        #expect(request.query["Qualifier"] == "live")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"key":"a"}"#)
        #expect(request.headers["host"] == "x")
    }

    @Test("a chunked body is decoded, trailers ignored")
    func chunked() throws {
        let request = try #require(try parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: y\r\n\r\n"))
        #expect(String(decoding: request.body, as: UTF8.self) == "hello world")
    }

    @Test("bare LF line ends are accepted")
    func bareLineFeeds() throws {
        let request = try #require(try parse("GET /2018-06-01/runtime/invocation/next HTTP/1.1\nHost: x\n\n"))
        #expect(request.path == "/2018-06-01/runtime/invocation/next")
        #expect(request.body.isEmpty)
    }

    @Test("a clean close between requests is not an error")
    func cleanClose() throws {
        #expect(try parse("") == nil)
    }

    @Test("malformed request lines are rejected with 400", arguments: [
        "GARBAGE\r\n\r\n", "GET /x\r\n\r\n", "GET /x HTTP/2.0\r\n\r\n", "GET x HTTP/1.1\r\n\r\n", "G(T /x HTTP/1.1\r\n\r\n",
    ])
    func malformedRequestLine(raw: String) {
        #expect(throws: HTTPError.self) { try parse(raw) }
    }

    @Test("bad Content-Length values are rejected", arguments: [
        "-1", "abc", "12, 13", "99999999999999999999", "",
    ])
    func badContentLength(value: String) {
        #expect { try parse("POST /x HTTP/1.1\r\nContent-Length: \(value)\r\n\r\n") } throws: { ($0 as? HTTPError)?.status == 400 }
    }

    @Test("Content-Length and Transfer-Encoding together are refused (request smuggling)")
    func bothFramings() {
        #expect(throws: HTTPError.malformed("both Transfer-Encoding and Content-Length")) {
            try parse("POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        }
    }

    @Test("a body over the cap is refused before it is read (413)")
    func bodyTooLarge() {
        #expect(throws: HTTPError.bodyTooLarge(limit: 10)) {
            try parse("POST /x HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: HTTPLimits(maxBodyBytes: 10))
        }
    }

    @Test("headers over the cap are refused (431)")
    func headersTooLarge() {
        let huge = "GET /x HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 2_000) + "\r\n\r\n"
        #expect(throws: HTTPError.headersTooLarge(limit: 1_024)) { try parse(huge, limits: HTTPLimits(maxHeadBytes: 1_024)) }
    }

    @Test("a peer that closes in the middle of a body is reported as truncated")
    func truncatedBody() {
        #expect(throws: HTTPError.truncated) { try parse("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc") }
    }

    @Test("header lines without a colon or with folding are rejected")
    func badHeaders() {
        #expect(throws: HTTPError.self) { try parse("GET /x HTTP/1.1\r\nNoColon\r\n\r\n") }
        #expect(throws: HTTPError.self) { try parse("GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") }
    }
}

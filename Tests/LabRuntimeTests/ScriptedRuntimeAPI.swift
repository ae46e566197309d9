import EventLoop
import Glibc
import HTTP
import Synchronization

/// A Runtime API that plays a script: each `GET /next` gets the script's next event (headers and
/// body as given), and every request is recorded with the connection that carried it, so a test
/// can assert exactly what a runtime sent and on which connection.
///
/// Written on `Socket` and `HTTPReader` rather than `HTTPServer` because `HTTPServer` does not say
/// which connection a request came on. A `/next` after the script's end is answered 500, as a
/// Runtime API that failed: what the runtime does then is under test too.
final class ScriptedRuntimeAPI: Sendable {
    struct Event: Sendable {
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// A request as it arrived; `connection` counts accepted connections from 1.
    struct Received: Sendable {
        var connection: Int
        var request: HTTPRequest

        /// `METHOD path`, the shape the assertions compare.
        var line: String { "\(request.method) \(request.path)" }
        var bodyText: String { String(decoding: request.body, as: UTF8.self) }
    }

    let port: UInt16
    var endpoint: String { "127.0.0.1:\(port)" }

    private let listener: Socket
    /// The status of the answer to `POST /{id}/response` (202 as AWS answers, or 413 to play a
    /// response that was too large).
    private let responseStatus: Int
    private let state: Mutex<State>

    private struct State {
        var script: [Event]
        var received: [Received] = []
        var connections: [Socket] = []
    }

    init(script: [Event], responseStatus: Int = 202) throws {
        listener = try Socket.listen(port: 0)
        port = listener.localPort
        self.responseStatus = responseStatus
        state = Mutex(State(script: script))
        Threads.start(name: "scripted accept") { [self] in acceptLoop() }
    }

    /// Everything received so far, in order. A runtime's call has returned only after the answer to
    /// its last request, and requests are recorded before they are answered: no waiting needed.
    var received: [Received] { state.withLock { $0.received } }

    func stop() {
        let connections = state.withLock { $0.connections }
        listener.shutdown()
        for connection in connections { connection.shutdown() }
    }

    private func acceptLoop() {
        while let connection = try? listener.accept() {
            let number = state.withLock { state in
                state.connections.append(connection)
                return state.connections.count
            }
            Threads.start(name: "scripted conn") { [self] in serve(connection, number: number) }
        }
    }

    private func serve(_ connection: Socket, number: Int) {
        let reader = HTTPReader(connection)
        while let request = try? reader.readRequest() {
            let response = state.withLock { state in
                state.received.append(Received(connection: number, request: request))
                return answer(request, script: &state.script)
            }
            guard (try? connection.send(response.serialized(keepAlive: true))) != nil else { return }
        }
    }

    private func answer(_ request: HTTPRequest, script: inout [Event]) -> HTTPResponse {
        let path = request.path
        if request.method == "GET", path == "/2018-06-01/runtime/invocation/next" {
            guard !script.isEmpty else {
                return .json(500, #"{"errorMessage":"the script has no more events","errorType":"ServiceException"}"#)
            }
            let event = script.removeFirst()
            return HTTPResponse(status: 200, headers: event.headers, body: event.body)
        }
        guard request.method == "POST" else { return .json(405, #"{"errorType":"MethodNotAllowed"}"#) }
        if path.hasSuffix("/response") {
            guard responseStatus == 413 else { return .json(responseStatus, #"{"status":"OK"}"#) }
            return .json(413, #"{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}"#)
        }
        if path.hasSuffix("/error") { return .json(202, #"{"status":"OK"}"#) }
        return .json(404, #"{"errorType":"NotFound"}"#)
    }
}

extension ScriptedRuntimeAPI.Event {
    /// An event with the headers a Runtime API sends, each only when it has a value (as AWS's
    /// emulator does).
    static func event(id: String, body: String = "", deadlineMs: Int64 = 1_900_000_000_000,
                      arn: String = "arn:aws:lambda:us-east-1:123456789012:function:test",
                      traceID: String? = nil, clientContext: String? = nil, cognitoIdentity: String? = nil) -> Self {
        var headers: HTTPHeaders = [
            "Lambda-Runtime-Aws-Request-Id": id,
            "Lambda-Runtime-Deadline-Ms": String(deadlineMs),
            "Lambda-Runtime-Invoked-Function-Arn": arn,
            "Content-Type": "application/json",
        ]
        if let traceID { headers.add("Lambda-Runtime-Trace-Id", traceID) }
        if let clientContext { headers.add("Lambda-Runtime-Client-Context", clientContext) }
        if let cognitoIdentity { headers.add("Lambda-Runtime-Cognito-Identity", cognitoIdentity) }
        return Self(headers: headers, body: Array(body.utf8))
    }
}

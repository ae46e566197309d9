import EventLoop
import HTTP
import LambdaAPI

/// One execution environment's Runtime API endpoint on 127.0.0.1 (what `AWS_LAMBDA_RUNTIME_API`
/// points at), served on the lab's loop. Each environment has its own, so a request can only ever
/// concern its own invocations. Status codes and error bodies follow AWS's reference emulator
/// (chapters/aws-facts.md#runtime-api-endpoints, #runtime-api-errors).
final class RuntimeEndpoint: @unchecked Sendable {
    private static let invocationPrefix = RuntimeAPIPath.prefix + "/runtime/invocation/"
    /// Responses up to 6 MB are accepted; up to 16 MB are read, so an invocation can fail with
    /// AWS's Function.ResponseSizeTooLarge instead of a dropped connection.
    static let readLimit = 16 * 1024 * 1024

    private let server: HTTPServer
    var port: UInt16 { server.port }

    /// `listener` is bound already (its port is in the environment's variables before the spawn).
    init(lab: Lab, environment: EnvironmentID, listener: Socket) {
        let errorResponder: HTTPServer.ErrorResponder = { [weak lab] error in
            if case .bodyTooLarge = error { lab?.runtimeSentTooMuch(environment) }
            return Self.errorResponse(error)
        }
        server = HTTPServer(loop: lab.loop, listener: listener, name: "runtime api \(environment)",
                            limits: HTTPLimits(maxBodyBytes: Self.readLimit), errorResponder: errorResponder,
                            // Out of descriptors, the runtime's connection waits in the backlog: a
                            // refusal would end the runtime (a `next` that is not 200 is fatal to it).
                            overloaded: nil,
                            connectionEnded: { [weak lab] connection, ending in
                                lab?.runtimeConnectionEnded(environment, connection: connection, ending)
                            }) { [weak lab] request, responder in
            guard let lab else { return responder.respond(Self.error(500, "Runtime.ShuttingDown", "The lab is gone.")) }
            Self.route(request, responder, lab: lab, environment: environment)
        }
    }

    func start() throws { try server.start() }
    func stop() { server.stop() }

    /// Accepting the runtime's connection once failed for lack of descriptors.
    var starved: Bool { server.starved }

    /// How a connection has ended, if it has, seen in its socket (see `Lab.processExited`).
    func ending(ofConnection id: Int) -> HTTPServer.Ending? { server.ending(ofConnection: id) }

    private static func route(_ request: HTTPRequest, _ responder: HTTPResponder, lab: Lab, environment: EnvironmentID) {
        let path = request.path
        if path == RuntimeAPIPath.next {
            guard request.method == "GET" else { return responder.respond(methodNotAllowed) }
            // A parked `next` is answered later, by whoever assigns this environment an invocation.
            return lab.runtimeNext(environment, responder)
        }
        if path == RuntimeAPIPath.initError {
            guard request.method == "POST" else { return responder.respond(methodNotAllowed) }
            return responder.respond(lab.runtimeInitError(environment, headers: request.headers, body: request.body))
        }
        if path.utf8.starts(with: invocationPrefix.utf8) {
            // On the bytes: Character-by-Character splitting showed in every invocation's cost.
            let rest = path.utf8.dropFirst(invocationPrefix.utf8.count)
            let parts = rest.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty {
                guard request.method == "POST" else { return responder.respond(methodNotAllowed) }
                let requestID = RequestID(String(decoding: parts[0], as: UTF8.self))
                switch String(decoding: parts[1], as: UTF8.self) {
                case "response":
                    return lab.runtimeResponse(environment, requestID, body: request.body, responder)
                case "error":
                    return lab.runtimeInvocationError(environment, requestID, headers: request.headers, body: request.body, responder)
                default: break
                }
            }
        }
        responder.respond(error(404, "NotFound", "No Runtime API route for \(request.method) \(path.prefix(200))"))
    }

    private static let methodNotAllowed = error(405, "MethodNotAllowed", "Method not allowed")

    static func error(_ status: Int, _ type: String, _ message: String) -> HTTPResponse {
        .json(status, AWSErrorBody.runtime(type: type, message: message))
    }

    static let accepted = HTTPResponse.json(202, #"{"status":"OK"}"#)

    /// RIE's names for requests it cannot read (chapters/aws-facts.md#runtime-api-errors).
    private static func errorResponse(_ error: HTTPError) -> HTTPResponse {
        switch error {
        case .bodyTooLarge(let limit): Self.error(413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (\(limit) bytes).")
        case .truncated: Self.error(400, "TruncatedHTTPRequest", error.description)
        default: Self.error(error.status, "InvalidRequest", error.description)
        }
    }
}

/// A parked `GET /next`: who to answer when an invocation is handed out, and on which connection.
struct NextWaiter: @unchecked Sendable {
    let responder: HTTPResponder
    var connection: Int { responder.connectionID }
}

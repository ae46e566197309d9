import Foundation
import HTTP
import LabIAM
import LambdaAPI
import SigV4

/// The lab's front door: the Invoke API on 127.0.0.1 (chapters/aws-facts.md#invoke-api), and the
/// control plane and IAM beside it, so the orchestrator, aws-cli, boto3 and Terraform call the lab
/// the way they call AWS. Invokes are served on the lab's loop; control-plane calls go to the
/// lab's control-plane queue (unzipping a 50 MB deployment must not hold up an invocation) and are
/// answered from there.
final class InvokeEndpoint: @unchecked Sendable {
    /// 6 MB for synchronous and 1 MB for asynchronous (Event) payloads
    /// (chapters/aws-facts.md#payload-limits).
    static let maxSyncPayload = 6 * 1024 * 1024
    static let maxEventPayload = 1024 * 1024
    /// The largest request the front door reads: a CreateFunction with its zip in base64 (AWS's
    /// limit for that request; chapters/aws-facts.md#payload-limits). Invokes are held to their
    /// own limits above.
    static let maxRequest = 70_167_211

    private let server: HTTPServer
    var port: UInt16 { server.port }

    init(lab: Lab, listener: Socket) {
        let overloaded = LabError.service("The lab is out of file descriptors: raise the open-file limit (ulimit -n) or send fewer concurrent invocations.").response
        server = HTTPServer(loop: lab.loop, listener: listener, name: "invoke api", limits: HTTPLimits(maxBodyBytes: Self.maxRequest),
                            errorResponder: Self.errorResponse, overloaded: overloaded) { [weak lab] request, responder in
            guard let lab else { return responder.respond(LabError.service("The lab is gone.").response) }
            Self.route(request, responder, lab: lab)
        }
    }

    func start() throws { try server.start() }
    func stop() { server.stop() }
    var connectionCount: Int { server.connectionCount }

    /// On the loop: must not block.
    private static func route(_ request: HTTPRequest, _ responder: HTTPResponder, lab: Lab) {
        let path = request.path
        // The watch page and its event stream (chapters/how-the-lab-is-built.md#watching-the-lab).
        if request.method == "GET", path == "/" || path == "/lab/watch" {
            return responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"],
                                                  body: Array(WatchPage.html.utf8)))
        }
        if request.method == "GET", path == "/lab/events" { return lab.watch.subscribe(responder, lab: lab) }
        let name = InvokeEndpoint.invokedName(path)
        let isInvoke = name != nil
        // Off by default; on, Lambda's own refusals (SigV4, SignatureCheck): every Invoke must be
        // signed, other calls only when they say they are.
        if let keys = lab.configuration.verifySignatures, isInvoke || request.headers["Authorization"] != nil,
           case .failure(let refusal) = SignatureCheck.verify(method: request.method, target: request.target, headers: request.headers.fields.map { ($0.name, $0.value) },
                                                              body: request.body, secretKeys: keys, now: Date()) {
            return responder.respond(LabError(refusal.type, status: refusal.status, refusal.message).response)
        }
        if let name {
            guard request.method == "POST" else { return responder.respond(LabError("MethodNotAllowedException", status: 405, "Use POST to invoke a function.").response) }
            return invoke(name, request, responder, lab: lab)
        }
        // The control plane and IAM (which shares the port: a Terraform stack's roles and policies
        // land here) off the loop.
        lab.controlPlane.async {
            let response = IAMService.accepts(request) ? lab.iam.handle(request) : ControlPlaneEndpoint.route(request, lab: lab)
            responder.respondFromAnyThread(response)
        }
    }

    /// The function name in `/2015-03-31/functions/{name}/invocations`, or nil for any other path.
    /// On the bytes: `String`'s Character-by-Character prefix and suffix work showed in every invoke.
    static func invokedName(_ path: String) -> String? {
        let bytes = path.utf8, prefix = InvokeAPIPath.functionsPrefix.utf8, suffix = "/invocations".utf8
        guard bytes.count > prefix.count + suffix.count, bytes.starts(with: prefix),
              bytes.reversed().starts(with: suffix.reversed()) else { return nil }
        let start = bytes.index(bytes.startIndex, offsetBy: prefix.count), end = bytes.index(bytes.endIndex, offsetBy: -suffix.count)
        return String(path[start..<end])
    }

    /// Invoke: RequestResponse (200, answered when the function finishes), Event (202, runs in the
    /// background), DryRun (204).
    private static func invoke(_ name: String, _ request: HTTPRequest, _ responder: HTTPResponder, lab: Lab) {
        guard let reference = FunctionReference(parsing: name) else {
            return responder.respond(LabError.invalidParameter("1 validation error detected: Value '\(name.prefix(140))' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?").response)
        }
        let queryQualifier = request.query["Qualifier"]
        if let inName = reference.qualifier, let queryQualifier, inName != queryQualifier {
            return responder.respond(LabError.invalidParameter("The derived qualifier from the function name does not match the specified qualifier.").response)
        }
        let qualifier = queryQualifier ?? reference.qualifier
        let type = request.headers[AmazonHeaders.invocationType] ?? "RequestResponse"
        if let refusal = refusal(request, type: type) { return responder.respond(refusal) }
        switch type {
        case "DryRun":
            if let error = lab.validate(reference.name, qualifier: qualifier) { return responder.respond(error.response) }
            responder.respond(HTTPResponse(status: 204, headers: [AmazonHeaders.amznRequestID: RequestID.make().value]))
        case "Event":
            // Queued: the caller does not wait; retries and destinations follow
            // (chapters/aws-facts.md#asynchronous-invocation).
            do {
                let requestID = try lab.invokeAsync(reference.name, qualifier: qualifier, payload: request.body)
                responder.respond(HTTPResponse(status: 202, headers: [AmazonHeaders.amznRequestID: requestID]))
            } catch {
                responder.respond((error as? LabError ?? .service("\(error)")).response)
            }
        default:
            let wantsTail = request.headers[AmazonHeaders.logType] == "Tail"
            lab.arrive(reference.name, qualifier: qualifier, payload: request.body, busyCallers: lab.invokeAPICallers) { outcome in
                switch outcome {
                case .failure(let error):
                    responder.respond(error.response)
                case .success(let result):
                    var headers: HTTPHeaders = [
                        "Content-Type": "application/json",
                        AmazonHeaders.amznRequestID: result.requestID,
                        AmazonHeaders.executedVersion: result.executedVersion,
                    ]
                    if let functionError = result.functionError { headers.add(AmazonHeaders.functionError, functionError) }
                    if wantsTail, let lines = result.record?.logLines { headers.add(AmazonHeaders.logResult, tail(lines)) }
                    responder.respond(HTTPResponse(status: 200, headers: headers, body: result.payload))
                }
            }
        }
    }

    /// What AWS refuses before looking at the function: the type, the size, the content type, a
    /// body that is not JSON.
    private static func refusal(_ request: HTTPRequest, type: String) -> HTTPResponse? {
        guard ["RequestResponse", "Event", "DryRun"].contains(type) else {
            return LabError.invalidParameter("1 validation error detected: Value '\(type.prefix(40))' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]").response
        }
        if request.body.count > maxSyncPayload {
            return LabError("RequestTooLargeException", status: 413, "Request must be smaller than \(maxSyncPayload) bytes for the InvokeFunction operation").response
        }
        if type == "Event" && request.body.count > maxEventPayload {
            return LabError("RequestTooLargeException", status: 413, "Request must be smaller than \(maxEventPayload) bytes for the InvokeAsync operation").response
        }
        // boto3 and aws-cli send no Content-Type at all; an explicit one must be JSON or raw bytes —
        // or curl's default for `-d` (form-urlencoded), which people use by hand; the body itself is
        // checked to be JSON below either way.
        if let type = request.headers["Content-Type"].map(mediaType),
           !(type == "application/json" || type.hasSuffix("+json") || type.hasPrefix("application/x-amz-json")
             || type == "application/octet-stream" || type == "binary/octet-stream" || type == "application/x-www-form-urlencoded") {
            return LabError("UnsupportedMediaTypeException", status: 415, "The content type of the Invoke request body is not JSON.").response
        }
        if !request.body.isEmpty, !JSONValidity.isValid(request.body) {
            return LabError("InvalidRequestContentException", status: 400, "Could not parse request body into json: Could not parse payload into json").response
        }
        return nil
    }

    /// A Content-Type's media type, lower case, without its parameters (`Application/JSON; charset=x`
    /// → `application/json`), byte by byte: Foundation's trimming would cost more than the check.
    private static func mediaType(_ value: String) -> String {
        var bytes: [UInt8] = []
        for byte in value.utf8 {
            if byte == UInt8(ascii: ";") { break }
            if byte == 0x20 || byte == 0x09 { continue }
            bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Base64 of the last 4 KB of the invocation's log (chapters/aws-facts.md#invoke-response).
    static func tail(_ lines: [String]) -> String {
        let log = Array((lines.joined(separator: "\n") + "\n").utf8)
        return Data(log.suffix(4096)).base64EncodedString()
    }

    private static let errorResponse: HTTPServer.ErrorResponder = { error in
        switch error {
        case .bodyTooLarge:
            LabError("RequestTooLargeException", status: 413, "Request must be smaller than \(maxRequest) bytes").response
        default:
            LabError("InvalidRequestContentException", status: error.status, "\(error)").response
        }
    }
}

extension Lab {
    /// Whether an invocation of this function and qualifier could be routed (for DryRun and Event).
    func validate(_ functionName: String, qualifier: String?) -> LabError? {
        do {
            _ = try functionConfiguration(functionName, qualifier: qualifier)
            return nil
        } catch {
            return error as? LabError ?? .service("\(error)")
        }
    }

    /// Connections to the Invoke API now (on the loop): more than one means other callers may be
    /// about to send the rest of a burst.
    var invokeAPICallers: Int { invokeAPI.withLock { $0 }?.connectionCount ?? 0 }
}

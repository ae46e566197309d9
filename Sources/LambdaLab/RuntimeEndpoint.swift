import RuntimeAPI

/// One execution environment's Runtime API endpoint on 127.0.0.1 (what `AWS_LAMBDA_RUNTIME_API`
/// points at). Each environment has its own, so a request can only ever concern its own invocation.
enum RuntimeEndpoint {
    private static let invocationPrefix = "/2018-06-01/runtime/invocation/"

    static func server(lab: Lab, environmentID: String) throws -> HTTPServer {
        // Responses up to 6 MB are accepted; up to 16 MB are read so the invocation can fail with
        // AWS's Function.ResponseSizeTooLarge instead of a dropped connection.
        let limits = HTTPLimits(maxBodyBytes: 16 * 1024 * 1024)
        let errorResponder: HTTPServer.ErrorResponder = { [weak lab] error in
            if case .bodyTooLarge = error { lab?.runtimeSentTooMuch(environmentID: environmentID) }
            return errorResponse(error)
        }
        return try HTTPServer(name: "runtime-api \(environmentID)", limits: limits, errorResponder: errorResponder) { [weak lab] request, respond in
            guard let lab else { return respond(Lab.runtimeError(500, "Runtime.ShuttingDown", "The lab is gone.")) }
            // A parked `next` is answered later, by whoever assigns this environment its invocation.
            if request.path == RuntimeAPIPath.next, request.method == "GET" {
                return lab.runtimeNext(environmentID: environmentID, respond: respond)
            }
            respond(route(request, lab: lab, environmentID: environmentID))
        }
    }

    static func route(_ request: HTTPRequest, lab: Lab, environmentID: String) -> HTTPResponse {
        let path = request.path
        if path == RuntimeAPIPath.next { return methodNotAllowed }   // GET is answered in `server`
        if path == RuntimeAPIPath.initError {
            guard request.method == "POST" else { return methodNotAllowed }
            return lab.runtimeInitError(environmentID: environmentID, headers: request.headers, body: request.body)
        }
        if path.hasPrefix(invocationPrefix) {
            let parts = path.dropFirst(invocationPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty {
                guard request.method == "POST" else { return methodNotAllowed }
                let requestID = String(parts[0])
                switch parts[1] {
                case "response": return lab.runtimeResponse(environmentID: environmentID, requestID: requestID, body: request.body)
                case "error": return lab.runtimeInvocationError(environmentID: environmentID, requestID: requestID, headers: request.headers, body: request.body)
                default: break
                }
            }
        }
        return Lab.runtimeError(404, "NotFound", "No Runtime API route for \(request.method) \(path.prefix(200))")
    }

    private static let methodNotAllowed = Lab.runtimeError(405, "MethodNotAllowed", "Method not allowed")

    /// RIE's names for requests it cannot read (chapters/aws-facts.md#runtime-api-errors).
    private static let errorResponse: HTTPServer.ErrorResponder = { error in
        switch error {
        case .bodyTooLarge(let limit): Lab.runtimeError(413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (\(limit) bytes).")
        case .truncated: Lab.runtimeError(400, "TruncatedHTTPRequest", error.description)
        default: Lab.runtimeError(error.status, "InvalidRequest", error.description)
        }
    }
}

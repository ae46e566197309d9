import Console
import Foundation
import HTTP
import LambdaAPI

/// One execution environment's side of the Runtime API (chapters/aws-facts.md#runtime-api-endpoints):
/// it fetches an event, runs a handler on it and posts the answer — one invocation per call, then
/// it returns. It never exits the process: deciding that a failure is fatal is `run()`'s job, so the
/// same code is driven against a scripted Runtime API in tests.
///
/// One kept-alive connection for every request, as one loop only ever has one request in flight
/// (on Managed Instances each of an environment's loops has its own client). Not `Sendable`: a
/// loop runs on one thread.
public final class LambdaRuntimeClient {
    private let http: HTTPClient
    /// The Lambda environment variables a `LambdaContext` reports; they do not change during an
    /// environment's life, so they are read once.
    private let environment: [String: String]
    /// Several invocations at once in this process (Managed Instances): the trace header then
    /// stays in the context only, as AWS's runtimes do — one process-wide variable cannot hold it.
    private let multiConcurrent: Bool

    /// `endpoint` is `host:port`, as in `AWS_LAMBDA_RUNTIME_API`. Nothing is connected yet.
    public init(endpoint: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        http = try HTTPClient(hostPort: endpoint)
        self.environment = environment
        multiConcurrent = (environment["AWS_LAMBDA_MAX_CONCURRENCY"].flatMap { Int($0) } ?? 1) > 1
    }

    /// `GET /next` → `handler` → `POST /{id}/response`, or `POST /{id}/error` if the handler threw.
    /// A handler's error, whatever its type, is the function's error: it is reported and this
    /// returns normally. Throws only when the Runtime API itself fails (unreachable, or a status
    /// other than 200 to `/next`), after which a runtime must exit.
    public func processNextInvocation(_ handler: LambdaRuntime.RawHandler) throws {
        let next = try http.send(HTTPRequest(method: "GET", target: RuntimeAPIPath.next))
        guard next.status == 200 else { throw LambdaRuntimeError.unexpectedStatus(path: RuntimeAPIPath.next, status: next.status) }
        let context = LambdaContext(headers: next.headers, environment: environment)
        // The X-Ray SDKs read the trace header from here (chapters/aws-facts.md#next-event-headers).
        if !multiConcurrent, let trace = context.traceID { setenv("_X_AMZN_TRACE_ID", trace, 1) }

        let output: [UInt8]
        do {
            output = try handler(next.body, context)
        } catch {
            _ = try report(error, to: RuntimeAPIPath.error(context.requestID), fallbackType: nil)
            return
        }
        let response = try http.send(HTTPRequest(
            method: "POST", target: RuntimeAPIPath.response(context.requestID),
            headers: ["Content-Type": "application/json"], body: output))
        // Too large for Lambda (6 MB): the caller gets the error from Lambda; we only leave a trace.
        if response.status == 413 { Console.error("response too large: \(response.bodyText)") }
    }

    /// Runs Init's work; if it throws, reports the error to `/runtime/init/error` and rethrows it.
    /// Reporting is best effort: the Runtime API may be the reason Init failed.
    public func initialize<State>(_ body: () throws -> State) throws -> State {
        do {
            return try body()
        } catch {
            _ = try? report(error, to: RuntimeAPIPath.initError, fallbackType: "Runtime.InitError")
            throw error
        }
    }

    /// Posts an error in the body AWS expects, `{"errorMessage":…,"errorType":…}`, with its type also
    /// in `Lambda-Runtime-Function-Error-Type` (chapters/aws-facts.md#error-reporting). The type is a
    /// `FunctionError`'s own, else `fallbackType`, else the Swift type's name, as 2.x reports it.
    private func report(_ error: any Error, to path: String, fallbackType: String?) throws -> HTTPResponse {
        let type = (error as? FunctionError)?.type ?? fallbackType ?? String(describing: Swift.type(of: error))
        let body = AWSErrorBody.json(["errorMessage": String(describing: error), "errorType": type])
        return try http.send(HTTPRequest(
            method: "POST", target: path,
            headers: [AmazonHeaders.functionErrorType: type, "Content-Type": "application/vnd.aws.lambda.error+json"],
            body: Array(body.utf8)))
    }
}

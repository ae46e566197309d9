import Foundation
import RuntimeAPI

/// The Runtime API client a function links, like a very small swift-aws-lambda-runtime.
///
/// It reads `AWS_LAMBDA_RUNTIME_API` exactly as real runtimes do, so the same binary runs in the lab
/// and as `bootstrap` on provided.al2023. Lifecycle (chapters/aws-facts.md#lifecycle): run
/// `initialize` once (the Init phase; an error goes to `/runtime/init/error`), then loop forever:
/// `GET /next` → handler → `POST /response` or `/error`. The handler is synchronous on purpose: an
/// environment serves one invocation at a time, so there is nothing to overlap, and no executor hop
/// on the hot path.
public enum LambdaRuntime {
    public typealias Handler<State> = (State, [UInt8], LambdaContext) throws -> [UInt8]

    public static func run<State>(initialize: () throws -> State, rawHandler handler: Handler<State>) -> Never {
        // Writing to a closed socket must fail with EPIPE, not kill the process (DESIGN §9).
        signal(SIGPIPE, SIG_IGN)
        // One line per write, so the lab (reading a pipe) sees log lines in order as they happen.
        Console.lineBufferStandardOutput()

        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["AWS_LAMBDA_RUNTIME_API"], let client = try? HTTPClient(hostPort: endpoint) else {
            Console.error("\(LambdaRuntimeError.missingRuntimeAPI)")
            exit(1)
        }

        let state: State
        do {
            state = try initialize()
        } catch {
            _ = try? post(client, RuntimeAPIPath.initError, error: error, fallbackType: "Runtime.InitError")
            Console.error("init failed: \(error)")
            exit(1)
        }

        while true {
            do {
                let next = try client.send(HTTPRequest(method: "GET", target: RuntimeAPIPath.next))
                guard next.status == 200 else { throw LambdaRuntimeError.unexpectedStatus(path: RuntimeAPIPath.next, status: next.status) }
                let context = LambdaContext(headers: next.headers, environment: environment)
                if let trace = context.traceID { setenv("_X_AMZN_TRACE_ID", trace, 1) }
                do {
                    let output = try handler(state, next.body, context)
                    let response = try client.send(HTTPRequest(
                        method: "POST", target: RuntimeAPIPath.response(context.requestID),
                        headers: ["Content-Type": "application/json"], body: output))
                    if response.status == 413 { Console.error("response too large: \(response.bodyText)") }
                } catch let error as HTTPError {
                    throw error
                } catch let error as SocketError {
                    throw error
                } catch {
                    _ = try post(client, RuntimeAPIPath.error(context.requestID), error: error, fallbackType: nil)
                }
            } catch {
                // The Runtime API is gone or refused us: a runtime should exit
                // (chapters/aws-facts.md#runtime-api-endpoints).
                Console.error("runtime loop ended: \(error)")
                exit(1)
            }
        }
    }

    /// Codable convenience: decode the event, encode the output as JSON.
    public static func run<State, Event: Decodable, Output: Encodable>(
        initialize: () throws -> State,
        handler: @escaping (State, Event, LambdaContext) throws -> Output
    ) -> Never {
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        run(initialize: initialize, rawHandler: { (state: State, bytes: [UInt8], context: LambdaContext) -> [UInt8] in
            let event = try decoder.decode(Event.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
            return Array(try encoder.encode(handler(state, event, context)))
        })
    }

    private static func post(_ client: HTTPClient, _ path: String, error: Error, fallbackType: String?) throws -> HTTPResponse {
        let type = (error as? FunctionError)?.type ?? fallbackType ?? String(describing: Swift.type(of: error))
        let body = AWSErrorBody.json(["errorMessage": String(describing: error), "errorType": type])
        return try client.send(HTTPRequest(
            method: "POST", target: path,
            headers: [AmazonHeaders.functionErrorType: type, "Content-Type": "application/vnd.aws.lambda.error+json"],
            body: Array(body.utf8)))
    }
}

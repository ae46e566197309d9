import Console
import Foundation

/// A runtime for Lambda Managed Instances, shaped like swift-aws-lambda-runtime's
/// `LambdaManagedRuntime` (2.6 and later): one execution environment runs up to
/// `AWS_LAMBDA_MAX_CONCURRENCY` invocations at once, so the runtime runs that many runtime
/// clients — each its own connection, its own `GET /next` loop, its own thread — around one
/// handler (chapters/aws-facts.md#lambda-managed-instances):
///
///     let runtime = LambdaManagedRuntime(lambdaHandler: MyHandler(state: state))
///     try await runtime.run()
///
/// The handler is shared by every concurrent invocation, so it must be `Sendable`, and the compiler
/// holds you to it: a handler type that is not answers
/// `type 'MyHandler' does not conform to the 'Sendable' protocol`, and a closure that captures
/// mutable state answers that the capture is not concurrency-safe. Without the variable (Lambda's
/// default), or with 1, it runs one client on the calling thread, exactly like `LambdaRuntime`.
public struct LambdaManagedRuntime: Sendable {
    /// Bytes in, bytes out, callable from several threads at once.
    public typealias RawHandler = @Sendable ([UInt8], LambdaContext) throws -> [UInt8]

    let handler: RawHandler

    public init(rawHandler: @escaping RawHandler) {
        handler = rawHandler
    }

    /// JSON in, JSON out (keys sorted). The coders are made per invocation: invocations run at
    /// once, and a coder is cheap next to a request.
    public init<Event: Decodable, Output: Encodable>(body: @escaping @Sendable (Event, LambdaContext) throws -> Output) {
        handler = { bytes, context in
            let event = try JSONDecoder().decode(Event.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return Array(try encoder.encode(body(event, context)))
        }
    }

    public init<Handler: LambdaHandler & Sendable>(lambdaHandler: Handler) where Handler.Event: Decodable, Handler.Output: Encodable {
        self.init(body: lambdaHandler.handle)
    }

    /// How many invocations the environment may run at once: `AWS_LAMBDA_MAX_CONCURRENCY`, else 1.
    public static var maxConcurrency: Int {
        max(1, ProcessInfo.processInfo.environment["AWS_LAMBDA_MAX_CONCURRENCY"].flatMap { Int($0) } ?? 1)
    }

    /// The Invoke phase, for the rest of the environment's life: `maxConcurrency` loops of
    /// `GET /next` → handler → `POST /response`, each on its own thread and connection. As in
    /// `LambdaRuntime`, a failure of the Runtime API ends the process with status 1.
    public nonisolated(nonsending) func run() async throws -> Never {
        LambdaRuntime.prepareProcess()
        let workers = Self.maxConcurrency
        for _ in 1..<workers {
            // Each loop makes its own client (a client belongs to one thread).
            let thread = Thread { [handler] in Self.loop(LambdaRuntime.clientFromEnvironment(), handler) }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        Self.loop(LambdaRuntime.clientFromEnvironment(), handler)
    }

    private static func loop(_ client: LambdaRuntimeClient, _ handler: @escaping RawHandler) -> Never {
        while true {
            do {
                try client.processNextInvocation(handler)
            } catch {
                Console.error("runtime loop ended: \(error)")
                exit(1)
            }
        }
    }
}

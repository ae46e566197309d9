import Console
import Foundation
import HTTP

/// A function's runtime, with the surface of swift-aws-lambda-runtime 2.x so that what a learner
/// writes here is what they will write for AWS. Init is whatever top-level code runs before `run()`;
/// the handler is a closure or a `LambdaHandler`; events and outputs are Codable (JSON):
///
///     let runtime = LambdaRuntime { (event: Request, context: LambdaContext) -> Response in ... }
///     try await runtime.run()
///
/// It reads `AWS_LAMBDA_RUNTIME_API` exactly as real runtimes do, so the same binary runs in the lab
/// and as `bootstrap` on provided.al2023 (chapters/aws-facts.md#lifecycle).
///
/// Unlike 2.x, handlers are synchronous, and so is the loop under `run()`. An execution environment
/// serves one invocation at a time, so there is nothing to overlap: a plain blocking loop on one
/// thread is the shortest path from `GET /next` to `POST /response`, with no executor hop in it.
/// (A synchronous handler still compiles where 2.x asks for an `async` one, so code moves over as is.)
public struct LambdaRuntime {
    /// The invocation's event as it came, and the response's bytes. Nothing is decoded or encoded.
    public typealias RawHandler = ([UInt8], LambdaContext) throws -> [UInt8]

    /// Every handler ends up as bytes in, bytes out; the Codable initializers adapt to it.
    let handler: RawHandler

    /// Bytes in, bytes out. (2.x's nearest is a `StreamingLambdaHandler` over `ByteBuffer`.)
    /// A distinct label, because `[UInt8]` is itself Codable: a closure over `[UInt8]` given to the
    /// Codable initializer means a JSON array of numbers, not the raw event.
    public init(rawHandler: @escaping RawHandler) {
        handler = rawHandler
    }

    /// Decodes the event from JSON and encodes the output as JSON (keys sorted, so a response is
    /// byte-for-byte repeatable). An empty event is decoded as `{}`: an Invoke without a payload
    /// still reaches a handler whose event has only optional fields.
    public init<Event: Decodable, Output: Encodable>(body: @escaping (Event, LambdaContext) throws -> Output) {
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        handler = { bytes, context in
            Array(try encoder.encode(body(try Self.decode(Event.self, bytes, decoder), context)))
        }
    }

    /// A handler with nothing to answer: the response is empty.
    public init<Event: Decodable>(body: @escaping (Event, LambdaContext) throws -> Void) {
        let decoder = JSONDecoder()
        handler = { bytes, context in
            try body(try Self.decode(Event.self, bytes, decoder), context)
            return []
        }
    }

    /// A handler type instead of a closure: its stored properties are the state Init built.
    public init<Handler: LambdaHandler>(lambdaHandler: Handler) where Handler.Event: Decodable, Handler.Output: Encodable {
        self.init(body: lambdaHandler.handle)
    }

    public init<Handler: LambdaHandler>(lambdaHandler: Handler) where Handler.Event: Decodable, Handler.Output == Void {
        self.init(body: lambdaHandler.handle)
    }

    private static func decode<Event: Decodable>(_ type: Event.Type, _ bytes: [UInt8], _ decoder: JSONDecoder) throws -> Event {
        try decoder.decode(type, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
    }

    /// The Invoke phase, for the rest of the environment's life: `GET /next` → handler →
    /// `POST /response` or `/error`, again and again. A handler's error is the function's error and
    /// the loop goes on; a failure of the Runtime API itself ends the process with status 1, as AWS
    /// expects of a runtime (chapters/aws-facts.md#runtime-api-endpoints). So it never returns.
    ///
    /// `async throws` only so that the call site is 2.x's `try await runtime.run()`; nothing is
    /// awaited and nothing is thrown. `nonisolated(nonsending)` keeps it on the caller's executor —
    /// top-level code's main thread — instead of hopping to the cooperative pool: the loop blocks
    /// this thread for good, and it should be one nothing else waits on.
    public nonisolated(nonsending) func run() async throws -> Never {
        Self.prepareProcess()
        let client = Self.clientFromEnvironment()
        while true {
            do {
                try processNextInvocation(with: client)
            } catch {
                Console.error("runtime loop ended: \(error)")
                exit(1)
            }
        }
    }

    /// One invocation with this runtime's handler, against any Runtime API: what `run()` repeats,
    /// and what a test drives. Throws only when the Runtime API fails (see `LambdaRuntimeClient`).
    public func processNextInvocation(with client: LambdaRuntimeClient) throws {
        try client.processNextInvocation(handler)
    }
}

// MARK: - Init

extension LambdaRuntime {
    /// Runs Init's work and returns what it built. If it throws, the error is reported to
    /// `/runtime/init/error` — so the invocation that caused the cold start fails with that error,
    /// not with a bare Runtime.ExitError — and the process exits with status 1:
    ///
    ///     let database = LambdaRuntime.initialize { try Database(url: ...) }
    ///     let runtime = LambdaRuntime { (event: Query, context: LambdaContext) in try database.run(event) }
    ///     try await runtime.run()
    ///
    /// Why a wrapper rather than an initializer that takes `initialize:` too: in 2.x, Init is plain
    /// top-level code before `run()`, and so it stays here; this only marks the part whose errors
    /// AWS should hear about, in one call that cannot forget to report, or to exit after reporting.
    /// (2.x reports no Init errors: a throw at top level crashes the process, which AWS shows as
    /// Runtime.ExitError.) Calling it first also prepares the process before Init writes any log.
    public static func initialize<State>(_ body: () throws -> State) -> State {
        prepareProcess()
        let client = clientFromEnvironment()
        do {
            return try client.initialize(body)
        } catch {
            Console.error("init failed: \(error)")
            exit(1)
        }
    }

    /// Once per process, before anything is written or sent.
    static func prepareProcess() {
        _ = processPrepared
    }

    /// A `static let` runs its initializer once, thread-safely: `setvbuf` must come before the
    /// stream's first write, so `run()` after `initialize` must not call it again.
    private static let processPrepared: Void = {
        // Writing to a closed socket must fail with EPIPE, not kill the process: the lab may close
        // a connection at any time (a timeout, a shutdown), and a runtime must survive it.
        signal(SIGPIPE, SIG_IGN)
        // One line per write, so the lab (reading a pipe) sees log lines in order as they happen.
        Console.lineBufferStandardOutput()
    }()

    /// The Runtime API this process was started against, or the end of the process: without
    /// `AWS_LAMBDA_RUNTIME_API` this program was not started by Lambda (nor by the lab).
    static func clientFromEnvironment() -> LambdaRuntimeClient {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["AWS_LAMBDA_RUNTIME_API"],
              let client = try? LambdaRuntimeClient(endpoint: endpoint, environment: environment) else {
            Console.error("\(LambdaRuntimeError.missingRuntimeAPI)")
            exit(1)
        }
        return client
    }
}

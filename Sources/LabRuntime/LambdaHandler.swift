/// A handler written as a type, as in swift-aws-lambda-runtime 2.x: the type's stored properties
/// hold what Init built (connections, clients, configuration), and `handle` serves one invocation.
/// Give it to `LambdaRuntime(lambdaHandler:)`; with a `Decodable` event and an `Encodable` (or
/// `Void`) output, events and outputs travel as JSON.
///
/// Synchronous here, `async` in 2.x: a synchronous `handle` satisfies 2.x's `async` requirement, so
/// a handler type written for the lab conforms there unchanged (see `LambdaRuntime` for why ours is
/// synchronous).
public protocol LambdaHandler {
    associatedtype Event
    associatedtype Output

    /// Throw to fail the invocation: a `FunctionError` chooses the `errorType` the caller sees,
    /// any other error is reported under its type's name. The environment then serves the next event.
    func handle(_ event: Event, context: LambdaContext) throws -> Output
}

/// Errors of the runtime's conversation with the Runtime API (not of the handler). After one of
/// these a runtime can only exit.
public enum LambdaRuntimeError: Error, Equatable, CustomStringConvertible {
    case missingRuntimeAPI
    case unexpectedStatus(path: String, status: Int)

    public var description: String {
        switch self {
        case .missingRuntimeAPI: "AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda function and must be started by Lambda or the lab"
        case .unexpectedStatus(let path, let status): "Runtime API answered \(status) to \(path)"
        }
    }
}

/// An error a handler (or Init) may throw to choose the `errorType` the caller sees.
public struct FunctionError: Error, CustomStringConvertible {
    public let type: String
    public let message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { message }
}

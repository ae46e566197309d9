import HTTP
import LambdaAPI

/// An invocation or control-plane call the lab refuses, shaped as the AWS error it imitates
/// (chapters/aws-facts.md#invocation-errors, #error-wire-format): HTTP status, `X-Amzn-ErrorType`,
/// body.
public struct LabError: Error, Sendable, CustomStringConvertible, Equatable {
    public let type: String
    public let status: Int
    public let message: String
    /// The throttle reason for a 429.
    public let reason: String?

    public init(_ type: String, status: Int, _ message: String, reason: String? = nil) {
        self.type = type
        self.status = status
        self.message = message
        self.reason = reason
    }

    public var description: String { "\(type): \(message)" }

    public static func functionNotFound(_ arn: String) -> LabError {
        LabError("ResourceNotFoundException", status: 404, "Function not found: \(arn)")
    }

    public static func invalidParameter(_ message: String) -> LabError {
        LabError("InvalidParameterValueException", status: 400, message)
    }

    public static func throttled(_ reason: String) -> LabError {
        LabError("TooManyRequestsException", status: 429, "Rate Exceeded.", reason: reason)
    }

    public static func service(_ message: String) -> LabError {
        LabError("ServiceException", status: 500, message)
    }

    public var response: HTTPResponse {
        var headers: HTTPHeaders = [AmazonHeaders.errorType: type]
        if status == 429 { headers.add(AmazonHeaders.retryAfter, "1") }
        return .json(status, AWSErrorBody.service(type, message: message, reason: reason), headers: headers)
    }
}

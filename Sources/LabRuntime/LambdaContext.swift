import Foundation
import HTTP
import LambdaAPI

/// What a handler knows about the invocation it serves, from the `GET /next` answer and the standard
/// Lambda environment variables (chapters/aws-facts.md#next-event-headers, #environment-variables).
/// Nothing in it is lab-specific.
public struct LambdaContext: Sendable {
    public let requestID: String
    /// Unix epoch milliseconds by which the invocation must finish.
    public let deadlineMs: Int64
    public let invokedFunctionARN: String
    public let traceID: String?
    public let clientContext: String?
    public let cognitoIdentity: String?

    public let functionName: String
    public let functionVersion: String
    public let memoryLimitMB: Int
    public let logGroupName: String
    public let logStreamName: String

    init(headers: HTTPHeaders, environment: [String: String]) {
        requestID = headers[AmazonHeaders.requestID] ?? ""
        deadlineMs = headers[AmazonHeaders.deadline].flatMap { Int64($0) } ?? 0
        invokedFunctionARN = headers[AmazonHeaders.invokedFunctionARN] ?? ""
        traceID = headers[AmazonHeaders.traceID]
        clientContext = headers[AmazonHeaders.clientContext]
        cognitoIdentity = headers[AmazonHeaders.cognitoIdentity]
        functionName = environment["AWS_LAMBDA_FUNCTION_NAME"] ?? ""
        functionVersion = environment["AWS_LAMBDA_FUNCTION_VERSION"] ?? "$LATEST"
        memoryLimitMB = environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"].flatMap { Int($0) } ?? 128
        logGroupName = environment["AWS_LAMBDA_LOG_GROUP_NAME"] ?? ""
        logStreamName = environment["AWS_LAMBDA_LOG_STREAM_NAME"] ?? ""
    }

    /// Time left before the deadline; 2.x's name (`context.getRemainingTimeInMillis()` in Node.js).
    public func getRemainingTime() -> Duration {
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        return .milliseconds(max(0, deadlineMs - nowMs))
    }
}

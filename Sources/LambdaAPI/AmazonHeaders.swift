/// Header names of the Runtime API (lab ↔ function) and the Invoke API (caller ↔ lab), written once.
public enum AmazonHeaders {
    // Runtime API, on the answer to GET /next (chapters/aws-facts.md#next-event-headers).
    public static let requestID = "Lambda-Runtime-Aws-Request-Id"
    public static let deadline = "Lambda-Runtime-Deadline-Ms"
    public static let invokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
    public static let traceID = "Lambda-Runtime-Trace-Id"
    public static let clientContext = "Lambda-Runtime-Client-Context"
    public static let cognitoIdentity = "Lambda-Runtime-Cognito-Identity"
    // Runtime API, sent by the runtime with /error (chapters/aws-facts.md#error-reporting).
    public static let functionErrorType = "Lambda-Runtime-Function-Error-Type"

    // Invoke API (chapters/aws-facts.md#invoke-request, #invoke-response).
    public static let invocationType = "X-Amz-Invocation-Type"
    public static let logType = "X-Amz-Log-Type"
    public static let logResult = "X-Amz-Log-Result"
    public static let functionError = "X-Amz-Function-Error"
    public static let executedVersion = "X-Amz-Executed-Version"
    public static let amznRequestID = "x-amzn-RequestId"
    public static let errorType = "X-Amzn-ErrorType"
    public static let retryAfter = "Retry-After"
}

/// Paths of the Runtime API, under the version prefix every runtime adds
/// (chapters/aws-facts.md#addressing, #runtime-api-endpoints).
public enum RuntimeAPIPath {
    public static let prefix = "/2018-06-01"
    public static let next = "/2018-06-01/runtime/invocation/next"
    public static let initError = "/2018-06-01/runtime/init/error"
    public static func response(_ requestID: String) -> String { "/2018-06-01/runtime/invocation/\(requestID)/response" }
    public static func error(_ requestID: String) -> String { "/2018-06-01/runtime/invocation/\(requestID)/error" }
}

/// Paths of the Invoke API (chapters/aws-facts.md#invoke-request).
public enum InvokeAPIPath {
    public static let functionsPrefix = "/2015-03-31/functions/"
    public static func invocations(_ functionName: String) -> String { "/2015-03-31/functions/\(functionName)/invocations" }
}

/// An IAM error as the Query protocol carries it: a code, the HTTP status botocore's model gives it,
/// and IAM's own message, so an SDK maps it to the same typed exception it gets from AWS.
struct IAMError: Error {
    let code: String
    let status: Int
    let message: String

    static func noSuchEntity(_ message: String) -> IAMError { IAMError(code: "NoSuchEntity", status: 404, message: message) }
    static func alreadyExists(_ message: String) -> IAMError { IAMError(code: "EntityAlreadyExists", status: 409, message: message) }
    static func deleteConflict(_ message: String) -> IAMError { IAMError(code: "DeleteConflict", status: 409, message: message) }
    static func validation(_ message: String) -> IAMError { IAMError(code: "ValidationError", status: 400, message: message) }
    static func invalidInput(_ message: String) -> IAMError { IAMError(code: "InvalidInput", status: 400, message: message) }
    static func limitExceeded(_ message: String) -> IAMError { IAMError(code: "LimitExceeded", status: 409, message: message) }
    /// IAM's words for a document that does not parse as JSON.
    static let malformedPolicy = IAMError(code: "MalformedPolicyDocument", status: 400, message: "This policy contains invalid Json")

    static func invalidAction(_ action: String) -> IAMError {
        IAMError(code: "InvalidAction", status: 400, message: "Could not find operation \(action) for version 2010-05-08")
    }

    /// A required parameter that was not sent, in the words of IAM's request validation
    /// (the member named in camelCase).
    static func missing(_ parameter: String) -> IAMError {
        .validation("1 validation error detected: Value null at '\(parameter.prefix(1).lowercased() + parameter.dropFirst())' failed to satisfy constraint: Member must not be null")
    }

    static func roleNotFound(_ name: String) -> IAMError { .noSuchEntity("The role with name \(name) cannot be found.") }
    static func policyNotFound(_ arn: String) -> IAMError { .noSuchEntity("Policy \(arn) was not found.") }
}

import Foundation

/// The JSON error bodies AWS sends, written once so every endpoint spells them the same way.
public enum AWSErrorBody {
    /// Runtime API errors (reference §2.5): `{"errorMessage":…,"errorType":…}`.
    public static func runtime(type: String, message: String) -> String {
        json(["errorMessage": message, "errorType": type])
    }

    /// A function error as the Invoke API returns it in the payload (reference §3.3).
    public static func function(type: String, message: String) -> String {
        json(["errorMessage": message, "errorType": type])
    }

    /// REST-JSON service errors (reference §3.5). The member is `message` or `Message` depending on
    /// the exception, exactly as botocore's model says; `Type` is "User" or "Service".
    public static func service(_ type: String, message: String, reason: String? = nil) -> String {
        var members = ["Type": type == "ServiceException" ? "Service" : "User"]
        members[capitalMessageTypes.contains(type) ? "Message" : "message"] = message
        if let reason { members["Reason"] = reason }
        members["__type"] = type
        return json(members)
    }

    private static let capitalMessageTypes: Set<String> = [
        "ResourceNotFoundException", "ServiceException", "EC2ThrottledException", "RecursiveInvocationException",
    ]

    public static func json(_ members: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

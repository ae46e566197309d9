
/// The JSON error bodies AWS sends, written once so every endpoint spells them the same way.
public enum AWSErrorBody {
    /// Runtime API errors (chapters/aws-facts.md#runtime-api-errors):
    /// `{"errorMessage":…,"errorType":…}`.
    public static func runtime(type: String, message: String) -> String {
        json(["errorMessage": message, "errorType": type])
    }

    /// A function error as the Invoke API returns it in the payload
    /// (chapters/aws-facts.md#function-errors).
    public static func function(type: String, message: String) -> String {
        json(["errorMessage": message, "errorType": type])
    }

    /// REST-JSON service errors (chapters/aws-facts.md#error-wire-format). The member is `message`
    /// or `Message` depending on the exception, exactly as botocore's model says; `Type` is "User"
    /// or "Service".
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

    /// A flat JSON object with sorted keys, written by hand: `JSONSerialization` would pull all of
    /// legacy Foundation (and ICU's 34 MB of data) into every statically linked function.
    /// Escapes as `JSONSerialization` does, `/` included.
    public static func json(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + quoted($0.value) }.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

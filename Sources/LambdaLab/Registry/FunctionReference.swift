/// A function as callers name it: `worker`, `worker:live`, `123456789012:function:worker`, or
/// `arn:aws:lambda:us-east-1:123456789012:function:worker:1`
/// (chapters/aws-facts.md#invoke-request).
public struct FunctionReference: Sendable, Equatable {
    public let name: String
    public let qualifier: String?

    public init(name: String, qualifier: String? = nil) {
        self.name = name
        self.qualifier = qualifier
    }

    /// Parses any accepted form; nil when it is not a function name at all.
    public init?(parsing text: String) {
        // Split on the bytes: Character-by-Character splitting cost more than routing the call.
        let parts = text.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var rest: ArraySlice<String>
        if parts.first == "arn" {
            // arn:aws:lambda:region:account:function:name[:qualifier]
            guard parts.count >= 7, parts[2] == "lambda", parts[5] == "function" else { return nil }
            rest = parts[6...]
        } else if parts.count >= 3, parts[1] == "function" {
            rest = parts[2...]
        } else {
            rest = parts[...]
        }
        guard let name = rest.first, rest.count <= 2, FunctionReference.isValidName(name) else { return nil }
        self.name = name
        self.qualifier = rest.count == 2 ? rest.last : nil
        if let qualifier, qualifier.isEmpty { return nil }
    }

    /// Letters, digits, hyphens and underscores, at most 64 (chapters/aws-facts.md#invoke-request).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}

import Foundation

/// The checks IAM makes on what it is sent before it stores anything, and the names it makes up.
enum IAMRules {
    static let account = "000000000000"

    static func roleARN(path: String, name: String) -> String { "arn:aws:iam::\(account):role\(path)\(name)" }
    static func policyARN(path: String, name: String) -> String { "arn:aws:iam::\(account):policy\(path)\(name)" }

    /// IAM's unique ids: a prefix naming the kind (`AROA` role, `ANPA` managed policy) and 17
    /// uppercase letters and digits.
    static func newID(_ prefix: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return prefix + String((0..<17).map { _ in alphabet.randomElement()! })
    }

    /// Role and policy names: `[\w+=,.@-]+`, with a length limit (64 for roles, 128 for policies).
    static func name(_ value: String, member: String, maxLength: Int) throws(IAMError) -> String {
        if value.isEmpty || value.count > maxLength {
            throw .validation("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have length less than or equal to \(maxLength)")
        }
        let allowed = value.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "_+=,.@-".unicodeScalars.contains(scalar))
        }
        guard allowed else {
            throw .validation("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        }
        return value
    }

    /// Paths begin and end with `/` (default `/`), as in `/service-role/`.
    static func path(_ value: String?) throws(IAMError) -> String {
        guard let value else { return "/" }
        let printable = value.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7E }
        guard value.hasPrefix("/"), value.hasSuffix("/"), value.count <= 512, printable else {
            throw .validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
        }
        return value
    }

    /// IAM parses every policy document it is given; anything that is not a JSON object is refused.
    /// The document is stored as sent, not re-serialized.
    static func document(_ value: String) throws(IAMError) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(value.utf8)), object is [String: Any] else {
            throw IAMError.malformedPolicy
        }
        return value
    }

    static func maxSessionDuration(_ value: Int?) throws(IAMError) -> Int {
        guard let value else { return 3600 }
        if value < 3600 {
            throw .validation("1 validation error detected: Value '\(value)' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
        }
        if value > 43200 {
            throw .validation("1 validation error detected: Value '\(value)' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
        }
        return value
    }

    /// At most 1000 characters. A role's description is limited to Latin-1 (IAM's pattern
    /// `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`); a policy's has no pattern, but no
    /// control character either, since XML 1.0 cannot carry one.
    static func description(_ value: String?, ofRole: Bool) throws(IAMError) -> String? {
        guard let value else { return nil }
        if value.count > 1000 {
            throw .validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
        }
        let allowed = value.unicodeScalars.allSatisfy { scalar in
            [0x09, 0x0A, 0x0D].contains(scalar.value) || (0x20...0x7E).contains(scalar.value)
                || (ofRole ? (0xA1...0xFF).contains(scalar.value) : scalar.value >= 0xA0)
        }
        guard allowed else {
            let rule = ofRole ? "satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*" : "not contain control characters"
            throw .validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must \(rule)")
        }
        return value
    }

    /// Tag keys (1–128) and values (0–256): letters, spaces, digits and `_.:/=+-@`, in any script.
    static func tags(_ tags: [Tag]) throws(IAMError) -> [Tag] {
        for (index, tag) in tags.enumerated() {
            for (member, text, maxLength) in [("key", tag.key, 128), ("value", tag.value, 256)] {
                let at = "Value '\(text)' at 'tags.\(index + 1).member.\(member)' failed to satisfy constraint: Member must"
                if text.count > maxLength { throw .validation("1 validation error detected: \(at) have length less than or equal to \(maxLength)") }
                let allowed = text.unicodeScalars.allSatisfy { scalar in
                    switch scalar.properties.generalCategory {
                    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                         .spaceSeparator, .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber: true
                    default: "_.:/=+-@".unicodeScalars.contains(scalar)
                    }
                }
                guard allowed, member == "value" || !text.isEmpty else {
                    throw .validation("1 validation error detected: \(at) satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]\(member == "key" ? "+" : "*")")
                }
            }
        }
        return tags
    }
}

/// A Query-protocol request's parameters: the `application/x-www-form-urlencoded` body the SDKs send
/// (`Action=CreateRole&RoleName=…&Tags.member.1.Key=…`), decoded once.
struct FormBody {
    private(set) var values: [String: String] = [:]

    init(_ bytes: [UInt8]) {
        for pair in bytes.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? FormBody.decode(parts[1]) : ""
            // Like IAM, the last of a repeated name wins.
            values[FormBody.decode(parts[0])] = value
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// A parameter the operation cannot do without; IAM answers its absence with a ValidationError
    /// naming the member in camelCase.
    func required(_ name: String) throws(IAMError) -> String {
        guard let value = values[name] else { throw .missing(name) }
        return value
    }

    func integer(_ name: String) throws(IAMError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw .validation("Invalid value '\(text)' for parameter \(name): expected an integer.") }
        return value
    }

    /// `Name.member.1`, `Name.member.2`, …: the Query protocol's lists, in their numbered order
    /// (which is not the body's order when there are ten or more).
    func list(_ name: String) -> [String] {
        members(name).compactMap { values["\(name).member.\($0)"] }
    }

    /// `Tags.member.N.Key` / `Tags.member.N.Value` pairs, in their numbered order.
    func tags(_ name: String = "Tags") throws(IAMError) -> [Tag] {
        var tags: [Tag] = []
        for index in members(name) {
            guard let key = values["\(name).member.\(index).Key"] else { throw .missing("\(name).member.\(index).Key") }
            tags.append(Tag(key: key, value: values["\(name).member.\(index).Value"] ?? ""))
        }
        return tags
    }

    private func members(_ name: String) -> [Int] {
        let prefix = "\(name).member."
        let indices = values.keys.compactMap { key -> Int? in
            guard key.hasPrefix(prefix) else { return nil }
            return Int(key.dropFirst(prefix.count).prefix { $0 != "." })
        }
        return Set(indices).sorted()
    }

    /// Percent-decoding with `+` as a space (the form encoding); a malformed escape is kept as sent.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
                continue
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

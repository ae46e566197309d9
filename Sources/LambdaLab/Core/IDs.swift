import Glibc

/// An execution environment's name: `env-1`, `env-2`, … in the order the lab started them.
public struct EnvironmentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let number: Int

    public init(_ number: Int) { self.number = number }

    /// `env-3` → 3; nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("env-"), let number = Int(text.dropFirst(4)) else { return nil }
        self.number = number
    }

    public var description: String { "env-\(number)" }

    public static func < (a: EnvironmentID, b: EnvironmentID) -> Bool { a.number < b.number }
}

/// An invocation's request ID, as AWS writes one: a random UUID in lower case.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { value }

    /// A new random (version 4) UUID, formatted by hand: Foundation's `UUID().uuidString` and a
    /// `lowercased()` cost more than the rest of routing an invocation.
    public static func make() -> RequestID {
        var random = FastRandom()
        var bytes = (random.next(), random.next())
        bytes.0 = (bytes.0 & ~0xF000) | 0x4000                       // version 4
        bytes.1 = (bytes.1 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000   // RFC 4122 variant
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var position = 0
        for (word, count) in [(bytes.0, 16), (bytes.1, 16)] {
            for shift in stride(from: count - 1, through: 0, by: -1) {
                if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
                text[position] = digits[Int((word >> UInt64(shift * 4)) & 0xF)]
                position += 1
            }
        }
        return RequestID(String(decoding: text, as: UTF8.self))
    }
}

import Foundation
import Glibc
import HTTP

/// The least HTTP/1.1 that a chain of blocking processes needs: read a head up to its blank line,
/// then `Content-Length` bytes of body. The benchmark's floors and its client speak it, so the lab
/// is compared with programs that do no more than the protocol requires.
struct Wire {
    let socket: Socket
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    init(_ socket: Socket) { self.socket = socket }

    /// One message (request or response): its head and its body; nil when the peer closed.
    mutating func read() -> (head: [UInt8], body: [UInt8])? {
        var end: Int?
        while true {
            if let found = Self.headEnd(buffer) { end = found; break }
            guard fill() else { return nil }
        }
        let head = Array(buffer[..<end!])
        let length = Self.contentLength(head)
        while buffer.count < end! + length { guard fill() else { return nil } }
        let body = Array(buffer[end!..<(end! + length)])
        buffer.removeFirst(end! + length)
        return (head, body)
    }

    func write(_ text: String, body: [UInt8] = []) {
        try? socket.send(Array(text.utf8) + body)
    }

    private mutating func fill() -> Bool {
        let count = chunk.withUnsafeMutableBytes { (try? socket.receive(into: $0)) ?? 0 }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    private static func contentLength(_ head: [UInt8]) -> Int {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard let range = text.range(of: "content-length:") else { return 0 }
        return Int(text[range.upperBound...].prefix { $0 != "\r" }.trimmingCharacters(in: .whitespaces)) ?? 0
    }
}

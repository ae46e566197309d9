import Glibc

/// Bytes received and not yet parsed: the parser reads from the front, the socket (or TLS) writes
/// at the back, straight into spare capacity, so a byte is copied once — into the message that
/// takes it.
public struct ReadBuffer: Sendable {
    private var storage: [UInt8]
    /// The first unread byte, and one past the last received byte.
    private(set) var start = 0
    private(set) var end = 0

    public init(capacity: Int = 16 * 1024) {
        storage = [UInt8](repeating: 0, count: capacity)
    }

    public var count: Int { end - start }
    public var isEmpty: Bool { start == end }

    subscript(offset: Int) -> UInt8 { storage[start + offset] }

    /// Bytes `range` (offsets from the first unread byte) without consuming them.
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(start + range.lowerBound)..<(start + range.upperBound)]
    }

    /// Bytes `range` (offsets from the first unread byte), borrowed for `body`.
    func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(start + range.lowerBound)..<(start + range.upperBound)]))
        }
    }

    /// The offset of the first `byte` at or after `offset`, if it has arrived.
    func firstIndex(of byte: UInt8, from offset: Int) -> Int? {
        guard start + offset < end else { return nil }
        return storage.withUnsafeBufferPointer { all in
            guard let found = memchr(all.baseAddress! + start + offset, Int32(byte), end - start - offset) else { return nil }
            return all.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self)) - start
        }
    }

    /// Takes `count` bytes off the front.
    mutating func take(_ count: Int) -> [UInt8] {
        let taken = Array(storage[start..<(start + count)])
        consume(count)
        return taken
    }

    mutating func consume(_ count: Int) {
        start += count
        if start == end { start = 0; end = 0 }
    }

    /// Lets `receive` write up to `maximum` bytes at the back (it returns how many it wrote), after
    /// moving unread bytes to the front or growing the storage as needed.
    public mutating func append(upTo maximum: Int = 16 * 1024, _ receive: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Int {
        if storage.count - end < maximum {
            if start > 0 {
                storage.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            }
            if storage.count - end < maximum {
                storage.append(contentsOf: repeatElement(0, count: max(maximum, storage.count)))
            }
        }
        let written = try storage.withUnsafeMutableBytes { raw in
            try receive(UnsafeMutableRawBufferPointer(rebasing: raw[end..<(end + maximum)]))
        }
        end += max(0, written)
        return written
    }

    /// Appends bytes that were received elsewhere (tests, a TLS record).
    public mutating func append(_ bytes: some Collection<UInt8>) {
        _ = append(upTo: bytes.count) { raw in
            raw.copyBytes(from: bytes)
            return bytes.count
        }
    }

    /// Lets the storage shrink back after one large message (a 70 MB CreateFunction), so an idle
    /// connection does not keep it.
    mutating func shrinkIfIdle(to capacity: Int = 16 * 1024) {
        guard start == end, storage.count > 4 * capacity else { return }
        storage = [UInt8](repeating: 0, count: capacity)
        start = 0
        end = 0
    }
}


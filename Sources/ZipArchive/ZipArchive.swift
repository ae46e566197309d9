// Reads a Lambda deployment package (APPNOTE.TXT, without ZIP64 or encryption) and unpacks it with
// the Unix modes it carries: Lambda runs `bootstrap` only if the zip says it is executable.
// The central directory is the truth (local headers may hold zeros when bit 3, a data descriptor, is
// set); local headers are read only to find where each entry's data starts.
import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ZipArchive: Sendable {
    public struct Entry: Sendable {
        public let path: String
        public let isDirectory: Bool
        /// `st_mode` (type and permission bits) when "version made by" is Unix (3) and it is not 0.
        public let unixMode: UInt16?
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// 0 stored, 8 deflate; others are listed but refused by `contents(of:)`.
        public let method: UInt16
        public let crc32: UInt32
        public let generalPurposeFlags: UInt16
        let localHeaderOffset: Int

        public var isEncrypted: Bool { generalPurposeFlags & 1 != 0 }
        public var hasDataDescriptor: Bool { generalPurposeFlags & 8 != 0 }
        public var isSymlink: Bool { unixMode.map { $0 & 0o170000 == 0o120000 } ?? false }
    }

    /// AWS's limit on a function's unzipped code: 250 MB (262,144,000 bytes).
    public static let defaultMaxUncompressedSize = 262_144_000

    public let entries: [Entry]
    public let maxUncompressedSize: Int
    private let bytes: [UInt8]

    public init(bytes: [UInt8], maxUncompressedSize: Int = ZipArchive.defaultMaxUncompressedSize) throws {
        self.bytes = bytes
        self.maxUncompressedSize = maxUncompressedSize
        let end = try Self.findEndOfCentralDirectory(bytes)
        if end >= 20, bytes.u32(end - 20) == 0x0706_4b50 { throw ZipError.zip64("ZIP64 end of central directory locator") }
        if bytes.u16(end + 4) != 0 || bytes.u16(end + 6) != 0 { throw ZipError.multiDisk }
        let count = Int(bytes.u16(end + 10)), size = Int(bytes.u32(end + 12)), offset = Int(bytes.u32(end + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF { throw ZipError.zip64("end of central directory fields are 0xFFFF…") }
        guard offset + size <= end else {
            throw ZipError.truncated("the central directory (\(size) bytes at offset \(offset)) lies outside the \(bytes.count) bytes")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var at = offset
        for index in 0..<count {
            guard at + 46 <= end, bytes.u32(at) == 0x0201_4b50 else {
                throw ZipError.truncated("central directory entry \(index + 1) of \(count) is missing")
            }
            let nameLength = Int(bytes.u16(at + 28)), extraLength = Int(bytes.u16(at + 30)), commentLength = Int(bytes.u16(at + 32))
            guard at + 46 + nameLength <= end else { throw ZipError.truncated("central directory entry \(index + 1) is cut off") }
            // Names are UTF-8 when bit 11 is set, else CP437; Lambda packages are ASCII in practice.
            let path = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            let madeBy = bytes.u16(at + 4), external = bytes.u32(at + 38)
            let mode = UInt16(truncatingIfNeeded: external >> 16)
            let unixMode: UInt16? = (madeBy >> 8 == 3 && mode != 0) ? mode : nil
            let compressed = bytes.u32(at + 20), uncompressed = bytes.u32(at + 24), local = bytes.u32(at + 42)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw ZipError.zip64("entry \(path) has 0xFFFFFFFF sizes or offset")
            }
            let isDirectory = path.hasSuffix("/") || (unixMode.map { $0 & 0o170000 == 0o040000 } ?? false) || external & 0x10 != 0
            entries.append(Entry(path: path, isDirectory: isDirectory, unixMode: unixMode,
                                 compressedSize: Int(compressed), uncompressedSize: Int(uncompressed),
                                 method: bytes.u16(at + 10), crc32: bytes.u32(at + 16),
                                 generalPurposeFlags: bytes.u16(at + 8), localHeaderOffset: Int(local)))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The record is 22 bytes plus a comment of up to 65,535 bytes, so search backwards from the end.
    private static func findEndOfCentralDirectory(_ bytes: [UInt8]) throws -> Int {
        if bytes.count >= 22 {
            var at = bytes.count - 22
            let lowest = max(0, at - 0xFFFF)
            while at >= lowest {
                // The comment length must reach exactly to the end, or "PK\5\6" inside data would match.
                if bytes.u32(at) == 0x0605_4b50, at + 22 + Int(bytes.u16(at + 20)) == bytes.count { return at }
                at -= 1
            }
        }
        if bytes.count >= 4, bytes.u32(0) == 0x0403_4b50 {
            throw ZipError.truncated("it starts with a zip entry but has no end of central directory record")
        }
        throw ZipError.notAZip
    }

    /// The entry's bytes, decompressed and checked against the central directory's size and CRC-32.
    public func contents(of entry: Entry) throws -> [UInt8] {
        if entry.isEncrypted || entry.method == 99 { throw ZipError.encrypted(entry: entry.path) }
        // Empty entries need no decompressing, whatever method they name (Python's mkdir says deflate).
        let isEmpty = entry.compressedSize == 0 && entry.uncompressedSize == 0
        guard entry.method == 0 || entry.method == 8 || isEmpty else { throw ZipError.unsupportedMethod(entry.method, entry: entry.path) }
        if entry.uncompressedSize > maxUncompressedSize {
            throw ZipError.tooLarge(total: entry.uncompressedSize, limit: maxUncompressedSize)
        }
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, bytes.u32(header) == 0x0403_4b50 else {
            throw ZipError.truncated("entry \(entry.path): no local header at offset \(header)")
        }
        let start = header + 30 + Int(bytes.u16(header + 26)) + Int(bytes.u16(header + 28))
        guard start + entry.compressedSize <= bytes.count else {
            throw ZipError.truncated("entry \(entry.path): its \(entry.compressedSize) bytes of data run past the end")
        }
        let output: [UInt8]
        if isEmpty {
            output = []
        } else if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else {
                throw ZipError.sizeMismatch(entry: entry.path, expected: entry.uncompressedSize, actual: entry.compressedSize)
            }
            output = Array(bytes[start..<(start + entry.compressedSize)])
        } else {
            output = try bytes.withUnsafeBufferPointer { buffer in
                try Self.inflate(UnsafeBufferPointer(rebasing: buffer[start..<(start + entry.compressedSize)]), entry: entry)
            }
        }
        guard zipCRC32(output) == entry.crc32 else { throw ZipError.crcMismatch(entry: entry.path) }
        return output
    }

    /// Raw deflate (windowBits −15: no zlib header). One spare output byte reveals data longer than declared.
    private static func inflate(_ input: UnsafeBufferPointer<UInt8>, entry: Entry) throws -> [UInt8] {
        let capacity = entry.uncompressedSize + 1
        var produced = 0
        var failure: ZipError?
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var stream = z_stream()
            guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                failure = .corruptData(entry: entry.path, detail: "zlib inflateInit2 failed"); count = 0; return
            }
            defer { inflateEnd(&stream) }
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(capacity)
            let status = CZlib.inflate(&stream, Z_FINISH)
            produced = Int(stream.total_out)
            count = produced
            if status != Z_STREAM_END {
                let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                failure = produced > entry.uncompressedSize
                    ? .sizeMismatch(entry: entry.path, expected: entry.uncompressedSize, actual: produced)
                    : .corruptData(entry: entry.path, detail: message)
            }
        }
        if let failure { throw failure }
        guard produced == entry.uncompressedSize else {
            throw ZipError.sizeMismatch(entry: entry.path, expected: entry.uncompressedSize, actual: produced)
        }
        return output
    }

    /// Writes every entry under `folder` (created if missing). Everything is checked before the first
    /// write, so a refused package leaves no half-unpacked folder behind.
    public func unpack(to folder: String) throws {
        var total = 0
        for entry in entries {
            _ = try Self.safeComponents(entry.path)
            if entry.isSymlink { throw ZipError.symlink(entry: entry.path) }
            if let mode = entry.unixMode, ![0, 0o100000, 0o040000].contains(mode & 0o170000) {
                throw ZipError.specialFile(entry: entry.path, mode: mode)
            }
            if entry.isEncrypted || entry.method == 99 { throw ZipError.encrypted(entry: entry.path) }
            if entry.method != 0 && entry.method != 8 && entry.uncompressedSize > 0 { throw ZipError.unsupportedMethod(entry.method, entry: entry.path) }
            total += entry.uncompressedSize
        }
        if total > maxUncompressedSize { throw ZipError.tooLarge(total: total, limit: maxUncompressedSize) }

        try Self.makeDirectory(folder, mode: 0o755, checkWithLstat: false)
        var directoryModes: [(String, UInt16)] = []
        for entry in entries {
            let components = try Self.safeComponents(entry.path)
            var parent = folder
            for component in components.dropLast() {
                parent += "/" + component
                try Self.makeDirectory(parent, mode: 0o755, checkWithLstat: true)
            }
            guard let last = components.last else { continue }
            let path = parent + "/" + last
            // Permission bits only: setuid/setgid/sticky from an uploaded zip are not wanted.
            let permissions = entry.unixMode.map { $0 & 0o777 }
            if entry.isDirectory {
                try Self.makeDirectory(path, mode: 0o755, checkWithLstat: true)
                directoryModes.append((path, permissions ?? 0o755))
            } else {
                try Self.writeFile(path, bytes: try contents(of: entry), mode: permissions ?? 0o644)
            }
        }
        // Last and deepest first, so a read-only directory (0o555) does not block writing its files.
        for (path, mode) in directoryModes.reversed() {
            guard chmod(path, mode_t(mode)) == 0 else { throw ZipError.fileSystem(operation: "chmod", path: path, errno: errno) }
        }
    }

    private static func safeComponents(_ path: String) throws -> [String] {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if path.hasPrefix("/") || components.contains("..") || path.utf8.contains(0) { throw ZipError.unsafePath(path) }
        return components.filter { !$0.isEmpty && $0 != "." }
    }

    private static func makeDirectory(_ path: String, mode: mode_t, checkWithLstat: Bool) throws {
        if checkWithLstat {
            if mkdir(path, mode) == 0 { return }
            var info = stat()
            // lstat: an existing symlink in the folder must not be followed out of it.
            guard errno == EEXIST, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw ZipError.fileSystem(operation: "mkdir", path: path, errno: errno)
            }
            return
        }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
            if mkdir(prefix, mode) != 0, errno != EEXIST {
                throw ZipError.fileSystem(operation: "mkdir", path: prefix, errno: errno)
            }
        }
    }

    private static func writeFile(_ path: String, bytes: [UInt8], mode: UInt16) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw ZipError.fileSystem(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw ZipError.fileSystem(operation: "write", path: path, errno: errno) }
            written += result
        }
        // open's mode is filtered by the umask; the zip's mode is what Lambda would see.
        guard fchmod(fd, mode_t(mode)) == 0 else { throw ZipError.fileSystem(operation: "fchmod", path: path, errno: errno) }
    }
}

/// zlib's CRC-32 (the one zip uses). Entries are under 4 GiB, so one call covers them.
func zipCRC32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, UInt32($0.count))) }
}

extension Array where Element == UInt8 {
    /// Little-endian reads; callers check bounds first.
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}

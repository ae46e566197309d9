// Writes `bootstrap` zips the way a deployment needs them: Unix modes kept (Lambda runs only an
// executable bootstrap) and reproducible, so the same binaries give the same bytes and therefore
// the same CodeSha256 (no timestamps, no extra fields, no dependence on the file system).
import CZlib

public enum ZipWriter {
    public struct File: Sendable {
        public var path: String
        public var bytes: [UInt8]
        /// Permission bits, e.g. 0o755 for `bootstrap`, 0o644 for data.
        public var mode: UInt16

        public init(path: String, bytes: [UInt8], mode: UInt16 = 0o644) {
            self.path = path
            self.bytes = bytes
            self.mode = mode
        }
    }

    /// 1980-01-01 00:00, the earliest MS-DOS date: ((1980 − 1980) << 9) | (1 << 5) | 1, time 0.
    static let dosDate: UInt16 = 0x0021, dosTime: UInt16 = 0
    /// Unix (3) in the high byte, so readers take the mode from the external attributes; spec 2.0.
    static let versionMadeBy: UInt16 = 3 << 8 | 20

    /// Entries are written in the order given. Deflated (level 9) unless `compress` is false or
    /// deflating does not make an entry smaller, in which case it is stored.
    public static func archive(_ files: [File], compress: Bool = true) throws -> [UInt8] {
        guard files.count < 0xFFFF else { throw ZipError.cannotWrite("\(files.count) files need ZIP64") }
        var output: [UInt8] = []
        var central: [UInt8] = []
        for file in files {
            let name = Array(file.path.utf8)
            guard !name.isEmpty, name.count <= 0xFFFF else { throw ZipError.cannotWrite("path of \(name.count) bytes") }
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            if file.path.hasPrefix("/") || components.contains("..") { throw ZipError.unsafePath(file.path) }
            guard file.bytes.count < 0xFFFF_FFFF, output.count < 0xFFFF_FFFF else {
                throw ZipError.cannotWrite("\(file.path): sizes or offsets of 4 GiB need ZIP64")
            }
            var data = file.bytes
            var method: UInt16 = 0
            if compress, !file.bytes.isEmpty {
                let deflated = try deflate(file.bytes, path: file.path)
                if deflated.count < file.bytes.count { (data, method) = (deflated, 8) }
            }
            let crc = zipCRC32(file.bytes)
            let versionNeeded: UInt16 = method == 8 ? 20 : 10
            // Bit 11: the name is UTF-8 (only said when it matters, as Info-ZIP and Python do).
            let flags: UInt16 = name.contains { $0 >= 0x80 } ? 1 << 11 : 0
            let offset = UInt32(output.count)

            output.append32(0x0403_4b50)
            output.append16(versionNeeded, flags, method, dosTime, dosDate)
            output.append32(crc, UInt32(data.count), UInt32(file.bytes.count))
            output.append16(UInt16(name.count), 0)
            output += name
            output += data

            central.append32(0x0201_4b50)
            central.append16(versionMadeBy, versionNeeded, flags, method, dosTime, dosDate)
            central.append32(crc, UInt32(data.count), UInt32(file.bytes.count))
            central.append16(UInt16(name.count), 0, 0, 0, 0)  // extra, comment, disk, internal attributes
            central.append32((0o100000 | UInt32(file.mode & 0o7777)) << 16, offset)  // regular file + mode
            central += name
        }
        guard output.count + central.count < 0xFFFF_FFFF else { throw ZipError.cannotWrite("archive of 4 GiB needs ZIP64") }
        let centralOffset = UInt32(output.count)
        output += central
        output.append32(0x0605_4b50)
        output.append16(0, 0, UInt16(files.count), UInt16(files.count))
        output.append32(UInt32(central.count), centralOffset)
        output.append16(0)  // no comment
        return output
    }

    /// Raw deflate (windowBits −15: zip stores no zlib header), level 9, in one call: `deflateBound`
    /// sizes the output so Z_FINISH completes. Same zlib + same input → same bytes.
    static func deflate(_ input: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZipError.cannotWrite("zlib deflateInit2 failed for \(path)")
        }
        defer { deflateEnd(&stream) }
        let capacity = Int(deflateBound(&stream, UInt(input.count)))
        var status: Int32 = Z_OK
        let output = input.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(capacity)
                status = CZlib.deflate(&stream, Z_FINISH)
                count = Int(stream.total_out)
            }
        }
        guard status == Z_STREAM_END else { throw ZipError.cannotWrite("zlib deflate failed for \(path) (status \(status))") }
        return output
    }
}

extension Array where Element == UInt8 {
    mutating func append16(_ values: UInt16...) {
        for value in values { append(UInt8(truncatingIfNeeded: value)); append(UInt8(truncatingIfNeeded: value >> 8)) }
    }

    mutating func append32(_ values: UInt32...) {
        for value in values { append16(UInt16(truncatingIfNeeded: value), UInt16(truncatingIfNeeded: value >> 16)) }
    }
}

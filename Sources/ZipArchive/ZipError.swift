// Why a deployment package was refused. The messages are read by learners who uploaded a zip made
// by some other tool, so each one names the entry and says what the lab does not accept, and why.

public enum ZipError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No end-of-central-directory record in the last 64 KiB + 22 bytes: not a zip at all.
    case notAZip
    /// Starts like a zip (a local header) but the end is missing or points outside the bytes.
    case truncated(String)
    /// Offsets or sizes that need ZIP64 (archives or entries of 4 GiB and more, 65,535+ entries).
    case zip64(String)
    /// Archives split over several files ("disks").
    case multiDisk
    case encrypted(entry: String)
    case unsupportedMethod(UInt16, entry: String)
    case crcMismatch(entry: String)
    case sizeMismatch(entry: String, expected: Int, actual: Int)
    case corruptData(entry: String, detail: String)
    /// Absolute paths and `..` components would write outside the target folder ("zip slip").
    case unsafePath(String)
    case symlink(entry: String)
    case specialFile(entry: String, mode: UInt16)
    case tooLarge(total: Int, limit: Int)
    /// A file-system call failed while unpacking; `errno` as the C library reports it.
    case fileSystem(operation: String, path: String, errno: Int32)
    /// The writer was asked for something a plain (non-ZIP64) zip cannot hold.
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .notAZip:
            return "not a zip file (no end of central directory record)"
        case .truncated(let detail):
            return "truncated or damaged zip file: \(detail)"
        case .zip64(let detail):
            return "ZIP64 archives are not supported (\(detail)); the lab reads zips under 4 GiB with fewer than 65,535 entries"
        case .multiDisk:
            return "split (multi-disk) zip archives are not supported"
        case .encrypted(let entry):
            return "entry \(entry) is encrypted; Lambda deployment packages must not be encrypted"
        case .unsupportedMethod(let method, let entry):
            return "unsupported compression method \(method) (\(ZipError.methodName(method))) in entry \(entry); use stored (0) or deflate (8)"
        case .crcMismatch(let entry):
            return "entry \(entry): CRC mismatch (the data is damaged)"
        case .sizeMismatch(let entry, let expected, let actual):
            return "entry \(entry): expected \(expected) bytes after decompressing, got \(actual)"
        case .corruptData(let entry, let detail):
            return "entry \(entry): damaged compressed data (\(detail))"
        case .unsafePath(let path):
            return "entry \(path): absolute paths and '..' components are refused (they would write outside the function's folder)"
        case .symlink(let entry):
            return "entry \(entry) is a symbolic link; the lab does not unpack links"
        case .specialFile(let entry, let mode):
            return "entry \(entry) is not a regular file or directory (mode 0o\(String(mode, radix: 8)))"
        case .tooLarge(let total, let limit):
            return "unzipped size \(total) bytes is over the limit of \(limit) bytes (Lambda's 250 MB unzipped deployment package limit)"
        case .fileSystem(let operation, let path, let errno):
            return "\(operation) \(path) failed (errno \(errno))"
        case .cannotWrite(let detail):
            return "cannot write zip: \(detail)"
        }
    }

    /// Names from APPNOTE.TXT §4.4.5, so "method 12" tells a learner which tool option to change.
    static func methodName(_ method: UInt16) -> String {
        switch method {
        case 1: return "shrunk"
        case 2, 3, 4, 5: return "reduced"
        case 6: return "imploded"
        case 9: return "deflate64"
        case 12: return "bzip2"
        case 14: return "LZMA"
        case 93: return "zstd"
        case 95: return "xz"
        case 98: return "PPMd"
        case 99: return "AES encrypted"
        default: return "unknown"
        }
    }
}

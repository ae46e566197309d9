import Glibc
import RuntimeAPI
import Synchronization

/// An environment's stdout and stderr: one pipe, read line by line. It exists before the process
/// does, so the lab can take what was printed at exactly the moments that matter — when Init ends
/// (the first `GET /next`) and when a response is posted — and every line lands in the right
/// place: Init's output before START, an invocation's output before its END.
final class ProcessOutput: Sendable {
    /// The read end (non-blocking), owned by the lab.
    let fd: Int32
    /// The write end, handed to the child as its stdout and stderr, then closed here.
    let writeEnd: Int32
    private let pending = Mutex<[UInt8]>([])
    private let writeClosed = Atomic<Bool>(false)

    init() throws {
        let pipe = try GNUExtensions.closeOnExecPipe()
        fd = pipe.read
        writeEnd = pipe.write
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    func closeWriteEnd() {
        if !writeClosed.exchange(true, ordering: .acquiringAndReleasing) { close(writeEnd) }
    }

    /// Blocks until the last writer is gone, delivering lines as they come, then closes the pipe.
    func readUntilEOF(onLine: @Sendable (String) -> Void) {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            descriptor.revents = 0
            if poll(&descriptor, 1, -1) < 0 && errno == EINTR { continue }
            if readAvailable(onLine: onLine) { break }
        }
        let rest = pending.withLock { bytes -> [UInt8] in defer { bytes = [] }; return bytes }
        if !rest.isEmpty { onLine(String(decoding: rest, as: UTF8.self)) }
        close(fd)
    }

    /// Takes whatever has been written so far, without waiting.
    func drain(onLine: @Sendable (String) -> Void) {
        _ = readAvailable(onLine: onLine)
    }

    /// Reads until the pipe is empty; true at EOF. Lines are delivered under the pending-bytes lock,
    /// so the reader thread and `drain` never reorder them.
    private func readAvailable(onLine: @Sendable (String) -> Void) -> Bool {
        pending.withLock { bytes in
            var chunk = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return count == 0 }
                bytes += chunk[0..<count]
                while let newline = bytes.firstIndex(of: 0x0A) {
                    onLine(String(decoding: bytes[..<newline], as: UTF8.self))
                    bytes.removeSubrange(...newline)
                }
                if bytes.count > 256 * 1024 {   // a line with no end: deliver it in pieces
                    onLine(String(decoding: bytes, as: UTF8.self))
                    bytes.removeAll()
                }
            }
        }
    }

    deinit { closeWriteEnd() }
}

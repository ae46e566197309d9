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
    /// Bytes of an unfinished line, and whether the read end is closed. Both under one lock: a
    /// late `drain` must never read a descriptor number that was closed and reused since.
    private let pending = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
    private let writeClosed = Atomic<Bool>(false)

    init() throws {
        let pipe = try GNUExtensions.closeOnExecPipe()
        fd = pipe.read
        writeEnd = pipe.write
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// The higher of its two descriptors: where a start stands against the descriptor limit.
    var highestDescriptor: Int32 { max(fd, writeEnd) }

    /// Never used (the start stopped before the spawn): both ends are closed.
    func abandon() {
        closeWriteEnd()
        pending.withLock { state in
            if !state.closed { close(fd) }
            state = ([], true)
        }
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
        let rest = pending.withLock { state -> [UInt8] in
            defer { state = ([], true) }
            close(fd)
            return state.bytes
        }
        if !rest.isEmpty { onLine(String(decoding: rest, as: UTF8.self)) }
    }

    /// Takes whatever has been written so far, without waiting.
    func drain(onLine: @Sendable (String) -> Void) {
        _ = readAvailable(onLine: onLine)
    }

    /// Reads until the pipe is empty; true at EOF. Lines are delivered under the pending-bytes lock,
    /// so the reader thread and `drain` never reorder them.
    private func readAvailable(onLine: @Sendable (String) -> Void) -> Bool {
        pending.withLock { state in
            if state.closed { return true }
            var chunk = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return count == 0 }
                state.bytes += chunk[0..<count]
                while let newline = state.bytes.firstIndex(of: 0x0A) {
                    onLine(String(decoding: state.bytes[..<newline], as: UTF8.self))
                    state.bytes.removeSubrange(...newline)
                }
                if state.bytes.count > 256 * 1024 {   // a line with no end: deliver it in pieces
                    onLine(String(decoding: state.bytes, as: UTF8.self))
                    state.bytes.removeAll()
                }
            }
        }
    }

    /// A process that never started leaves its pipe to be closed here, both ends.
    deinit {
        closeWriteEnd()
        pending.withLock { state in
            if !state.closed { close(fd) }
            state.closed = true
        }
    }
}

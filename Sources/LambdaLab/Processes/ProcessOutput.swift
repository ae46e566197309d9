import EventLoop
import Glibc
import Synchronization

/// An environment's stdout and stderr: one pipe, read line by line on the loop. It exists before
/// the process does, so the lab can take what was printed at exactly the moments that matter — when
/// Init ends (the first `GET /next`) and when a response is posted — and every line lands in the
/// right place: Init's output before START, an invocation's output before its END.
final class ProcessOutput: EventLoop.Handler, @unchecked Sendable {
    /// The read end (non-blocking), owned by the lab.
    let fd: Int32
    /// The write end, handed to the child as its stdout and stderr, then closed here.
    let writeEnd: Int32
    private let writeClosed = Atomic<Bool>(false)
    // On the loop, once `watch` has been called.
    private var pending: [UInt8] = []
    private var onLines: (([String]) -> Void)?
    private var loop: EventLoop?
    private var closed = false

    init() throws {
        let pipe = try GNUExtensions.closeOnExecPipe()
        fd = pipe.read
        writeEnd = pipe.write
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// The higher of its two descriptors: where a start stands against the descriptor limit.
    var highestDescriptor: Int32 { max(fd, writeEnd) }

    func closeWriteEnd() {
        if !writeClosed.exchange(true, ordering: .acquiringAndReleasing) { Glibc.close(writeEnd) }
    }

    /// Reads on the loop from now on; `onLines` gets each batch of complete lines as it comes.
    func watch(on loop: EventLoop, onLines: @escaping ([String]) -> Void) throws {
        self.onLines = onLines
        self.loop = loop
        try loop.register(fd, events: EventLoop.readable, handler: self, first: true)
    }

    func ready(_ events: UInt32) {
        let (lines, ended) = read()
        if !lines.isEmpty { onLines?(lines) }
        if ended {
            // The last writer is gone: an unfinished last line is still a line. An ended pipe
            // stays readable for ever, so it leaves the loop now.
            if !pending.isEmpty { onLines?([String(decoding: pending, as: UTF8.self)]) }
            pending = []
            close(loop: loop)
        }
    }

    /// Whatever has been written so far, as lines, without waiting (on the loop).
    func drain() -> [String] {
        read().lines
    }

    /// Reads until the pipe is empty; `ended` at its end (every writer closed it).
    private func read() -> (lines: [String], ended: Bool) {
        guard !closed else { return ([], true) }
        var lines: [String] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (lines, count == 0) }
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: 0x0A) {
                lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            if pending.count > 256 * 1024 {   // a line with no end: delivered in pieces
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
        }
    }

    /// Stops reading and closes the pipe (on the loop, or before it was ever watched).
    func close(loop: EventLoop?) {
        closeWriteEnd()
        guard !closed else { return }
        closed = true
        onLines = nil
        loop?.deregister(fd)
        Glibc.close(fd)
    }

    /// A process that never started leaves its pipe to be closed here, both ends.
    deinit {
        closeWriteEnd()
        if !closed { Glibc.close(fd) }
    }
}

import Glibc

/// The process's standard streams, reached in one place. Swift 6 refuses C's `stdout`/`stderr`
/// globals as shared mutable state, so we look the `stdout` FILE up by name (it never changes) and
/// write stderr with `write(2)` directly.
public enum Console {
    private static func standardOutput() -> UnsafeMutablePointer<FILE>? {
        dlsym(dlopen(nil, RTLD_NOW), "stdout")?.load(as: UnsafeMutablePointer<FILE>?.self)
    }

    /// Line-buffer stdout so that, read from a pipe, lines arrive whole and in order: the lab and the
    /// tests read a function's and a chapter's output through pipes, line by line.
    public static func lineBufferStandardOutput() {
        if let out = standardOutput() { setvbuf(out, nil, _IOLBF, 0) }
    }

    /// Writes a line to stderr (unbuffered).
    public static func error(_ text: String) {
        let line = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    public static func flush() {
        if let out = standardOutput() { fflush(out) }
    }
}

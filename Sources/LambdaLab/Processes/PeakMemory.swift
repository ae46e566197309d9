import Glibc
import Timing

/// A process's peak resident memory, in MB rounded up — REPORT's Max Memory Used — read from the
/// kernel's own record of it (`VmHWM` in `/proc/PID/status`).
///
/// Why not after every invocation: the kernel writes the whole status file for each read, and
/// that was a quarter of the lab's own work per warm invocation. So it is read after an
/// environment's first invocation, and then again only once 10 ms have passed since the last
/// reading; in between, invocations report the last reading. What this can miss: memory an
/// environment takes within those 10 ms is reported by the next invocation that ends after them,
/// not by the one that took it.
struct PeakMemory {
    private let status: Int32
    private var peakKiB = 0
    private var readAt: Instant?
    static let refresh: Duration = .milliseconds(10)

    init(pid: pid_t) {
        status = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
    }

    mutating func megabytes() -> Int {
        let now = Clock.now
        if readAt.map({ now - $0 >= Self.refresh }) ?? true {
            peakKiB = max(peakKiB, highWaterKiB())
            readAt = now
        }
        return (peakKiB + 1023) / 1024
    }

    /// `VmHWM`, in KiB.
    private func highWaterKiB() -> Int {
        guard status >= 0 else { return 0 }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(status, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return 0 }
        let key = Array("VmHWM:".utf8)
        let bytes = buffer[0..<count]
        guard let at = bytes.indices.first(where: { bytes[$0...].starts(with: key) }) else { return 0 }
        var kilobytes = 0
        for byte in bytes[(at + key.count)...] {
            if byte == 0x0A { break }
            if byte >= 0x30 && byte <= 0x39 { kilobytes = kilobytes * 10 + Int(byte - 0x30) }
        }
        return kilobytes
    }

    /// The descriptor is closed by the process object that owns this value.
    func close() {
        if status >= 0 { Glibc.close(status) }
    }
}

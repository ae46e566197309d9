import CEventLoop
import Glibc

/// Glibc functions that Swift's `Glibc` module hides behind `_GNU_SOURCE`, looked up once by name.
///
/// Why they matter: the lab spawns child processes from many threads at once. Without `pipe2` and
/// `accept4`, a descriptor made on one thread could leak into a child spawned on another between the
/// call and a later `fcntl(FD_CLOEXEC)`, and a leaked socket would keep a peer from ever seeing EOF.
/// (The spawn-side helpers are the lab's: LambdaLab/SpawnActions.swift.)
public enum GNUExtensions {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32

    nonisolated(unsafe) private static let handle = dlopen(nil, RTLD_NOW)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let pointer = dlsym(handle, name) else { fatalError("glibc lacks \(name) (glibc 2.36 or newer is required)") }
        return unsafeBitCast(pointer, to: type)
    }

    private static let pipe2Function = symbol("pipe2", as: Pipe2.self)
    private static let accept4Function = symbol("accept4", as: Accept4.self)
    private static let prctlFunction = symbol("prctl", as: Prctl.self)

    /// A pipe whose both ends are close-on-exec: (read end, write end).
    public static func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe2Function(&fds, O_CLOEXEC) == 0 else { throw EventLoopError("pipe2") }
        return (fds[0], fds[1])
    }

    public static func accept4(_ fd: Int32, flags: Int32) -> Int32 {
        accept4Function(fd, nil, nil, flags)
    }

    /// Asks the kernel to wake this thread's timed waits on time (default slack is 50 µs), for a
    /// loop whose waits are tens of microseconds. (`prctl` is variadic, so Swift cannot call it as is.)
    public static func setMinimalTimerSlack() {
        _ = prctlFunction(29 /* PR_SET_TIMERSLACK */, 1, 0, 0, 0)
    }

    /// A descriptor that becomes readable when process `pid` exits (`pidfd_open`, Linux 5.3), so an
    /// event loop can wait for a process as it waits for a socket; -1 with `errno` set on failure.
    public static func pidfdOpen(_ pid: Int32) -> Int32 {
        event_loop_pidfd_open(pid)
    }

    /// Names the calling thread (as `top -H` and `perf` show it; the first 15 bytes).
    public static func setThreadName(_ name: String) {
        var bytes = Array(name.utf8.prefix(15)) + [0]
        bytes.withUnsafeMutableBufferPointer { _ = prctlFunction(15 /* PR_SET_NAME */, UInt(bitPattern: $0.baseAddress), 0, 0, 0) }
    }
}

import EventLoop
import Foundation
import Glibc
import HTTP
import Synchronization

/// One child process: spawned with `posix_spawn` into the watchdog's process group, stdin from
/// /dev/null, stdout and stderr into one pipe that the lab reads line by line (`ProcessOutput`),
/// its end watched on the loop (`watch`).
final class ChildProcess: Sendable {
    enum Exit: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// As AWS words it: "exit status 1", "signal: killed"
        /// (chapters/aws-facts.md#function-errors).
        var awsDescription: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): signal == SIGKILL ? "signal: killed" : "signal: \(String(cString: strsignal(signal)).lowercased())"
            }
        }
    }

    let pid: pid_t
    let output: ProcessOutput
    /// Its peak memory, read as each invocation ends.
    private let peak: Mutex<PeakMemory>

    private init(pid: pid_t, output: ProcessOutput) {
        self.pid = pid
        self.output = output
        peak = Mutex(PeakMemory(pid: pid))
    }

    deinit { peak.withLock { $0.close() } }

    /// The child inherits the spawning thread's scheduling priority (see `Lab.start`).
    static func spawn(command: [String], environment: [String: String], workingDirectory: String?, processGroup: pid_t,
                      output: ProcessOutput) throws -> ChildProcess {
        guard !command.isEmpty else { throw LabError.invalidParameter("empty command") }
        let pipe = (read: output.fd, write: output.writeEnd)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, pipe.write, 2)
        // Belt and braces: the child keeps only 0, 1 and 2, whatever the lab has open.
        _ = SpawnActions.addCloseFrom(&actions, 3)
        if let workingDirectory { _ = SpawnActions.addChdir(&actions, workingDirectory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, processGroup)
        resetSignals(&attributes)

        let environmentStrings = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(command) { argv in
            withCStrings(environmentStrings) { envp in
                posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp)
            }
        }
        output.closeWriteEnd()
        // Out of descriptors, processes or memory is the lab's (or the machine's) limit, not the function's.
        if [EMFILE, ENFILE, EAGAIN, ENOMEM].contains(status) { throw SocketError("posix_spawn \(command[0])", code: status) }
        guard status == 0 else { throw LabError.service("cannot start \(command[0]): \(String(cString: strerror(status)))") }
        return ChildProcess(pid: pid, output: output)
    }

    /// The lab ignores SIGPIPE; a child must start with default signal handling and no mask.
    static func resetSignals(_ attributes: inout posix_spawnattr_t) {
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
    }

    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }

    func signal(_ signal: Int32) {
        _ = kill(pid, signal)
    }

    /// Watches for the process's end on the loop, through a pidfd (Linux 5.3): it becomes readable
    /// when the process exits, and the process is then reaped at once, so no thread waits on it.
    /// `onExit` runs once, on the loop.
    func watch(on loop: EventLoop, onExit: @escaping (Exit) -> Void) throws {
        let fd = GNUExtensions.pidfdOpen(pid)
        guard fd >= 0 else { throw LabError.service("pidfd_open(\(pid)): \(String(cString: strerror(errno))) (the lab needs Linux 5.3 or newer)") }
        let watch = ExitWatch(process: self, fd: fd, onExit: onExit)
        watcher.withLock { $0 = watch }
        try loop.register(fd, events: EventLoop.readable, handler: watch)
    }

    /// Stops watching (the exit, if it comes, is not reported); the pidfd is closed.
    func stopWatching(loop: EventLoop) {
        watcher.withLock { $0 }?.stop(loop: loop)
    }

    private let watcher = Mutex<ExitWatch?>(nil)

    /// The process's pidfd on the loop.
    private final class ExitWatch: EventLoop.Handler, @unchecked Sendable {
        unowned let process: ChildProcess
        let fd: Int32
        var onExit: ((Exit) -> Void)?
        var stopped = false

        init(process: ChildProcess, fd: Int32, onExit: @escaping (Exit) -> Void) {
            self.process = process
            self.fd = fd
            self.onExit = onExit
        }

        func ready(_ events: UInt32) {
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(process.pid, &status, WNOHANG) } while reaped < 0 && errno == EINTR
            guard reaped == process.pid else { return }
            let exit: Exit = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            let report = onExit
            onExit = nil
            report?(exit)
        }

        func stop(loop: EventLoop) {
            guard !stopped else { return }
            stopped = true
            onExit = nil
            loop.deregister(fd)
            Glibc.close(fd)
        }
    }

    /// CPU time the process has used so far, all its threads, user and system: the kernel's own
    /// accounting (`clock_getcpuclockid`), in nanoseconds. nil once the process is gone.
    func cpuTime() -> Duration? {
        var clock = clockid_t()
        guard clock_getcpuclockid(pid, &clock) == 0 else { return nil }
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return nil }
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    /// Peak resident memory in MB, rounded up: what REPORT calls Max Memory Used (see `PeakMemory`).
    func maxMemoryUsedMB() -> Int {
        peak.withLock { $0.megabytes() }
    }
}

import EventLoop
import Glibc
import HTTP

/// The guarantee that no execution environment outlives the lab, however the lab dies.
///
/// PR_SET_PDEATHSIG is not enough here: it fires when the parent *thread* that spawned the child
/// exits, and external runtimes (python, awslambdaric) cannot be made to set it. Instead
/// the lab starts one tiny shell that leads a process group of its own; every environment is
/// spawned into that group. The shell holds the read end of a pipe whose only writer is the lab.
/// When the lab exits — normally, on Ctrl-C, or killed with SIGKILL — the kernel closes the write
/// end, the shell's `read` sees EOF, and it kills its whole group.
final class Watchdog: Sendable {
    /// The watchdog's pid, which is also the process group of every environment.
    let processGroup: pid_t
    private let lifeline: Int32

    init() throws {
        let pipe = try GNUExtensions.closeOnExecPipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe.read, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        _ = SpawnActions.addCloseFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        ChildProcess.resetSignals(&attributes)
        let script = "while read -r _; do :; done; kill -KILL 0"
        var pid: pid_t = 0
        let status = ChildProcess.withCStrings(["/bin/sh", "-c", script]) { argv in
            posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        }
        close(pipe.read)
        guard status == 0 else {
            close(pipe.write)
            throw SocketError("spawn watchdog", code: status)
        }
        processGroup = pid
        lifeline = pipe.write
    }

    /// Closes the lifeline (the watchdog then kills whatever is left in the group) and reaps it.
    func stop() {
        close(lifeline)
        var status: Int32 = 0
        while waitpid(processGroup, &status, 0) < 0 && errno == EINTR {}
    }
}

import Glibc
import Synchronization

/// Keeps a few file descriptors free at all times.
///
/// Why: running out is not only the lab's own problem. libdispatch (under Swift concurrency) reads
/// `/proc/<tid>/stat` about once a second to size its thread pool, and crashes the whole process if
/// that `open` fails — at EMFILE it does. So the lab refuses new work (a client connection, a new
/// execution environment) while fewer than `headroom` descriptors are left, instead of using the
/// last ones.
public enum DescriptorHeadroom {
    public static let headroom = 32
    private static let limit = Atomic<Int>(0)

    /// The soft limit now in force (read once at start, after the lab raises it).
    public static func setLimit(_ value: Int) { limit.store(value, ordering: .relaxed) }

    /// Whether a descriptor just obtained (`fd`) leaves at least `headroom` free. Descriptors are
    /// handed out lowest first, so a low number means plenty is free and costs nothing to check;
    /// only above half the limit are the open descriptors counted.
    public static func leavesRoom(after fd: Int32) -> Bool {
        let limit = currentLimit()
        guard Int(fd) >= limit / 2 else { return true }
        return openDescriptors() + headroom <= limit
    }

    private static func currentLimit() -> Int {
        let known = limit.load(ordering: .relaxed)
        if known > 0 { return known }
        var value = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &value) == 0 else { return Int.max }
        let current = value.rlim_cur > rlim_t(Int.max) ? Int.max : Int(value.rlim_cur)
        limit.store(current, ordering: .relaxed)
        return current
    }

    /// Entries of /proc/self/fd, less ".", ".." and the directory's own descriptor.
    private static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return Int.max / 2 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return count - 3
    }
}

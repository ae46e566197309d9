import Glibc

/// The lab holds several descriptors per execution environment (its Runtime API listener and
/// connection, the output pipe) and one per Invoke API client. A common soft limit of 1,024 would
/// run out near 250 environments, so the lab raises its soft limit to the hard limit at start, as
/// servers do; the hard limit is the administrator's to set.
public enum RaisedDescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limit now in force.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}

/// Provisioned concurrency hooks called from the environment lifecycle. On-demand environments
/// pass through them untouched.
extension Lab {
    /// A runtime parked in its first `GET /next` with no invocation: if it was provisioned, its
    /// Init is done and it counts towards the configuration's allocation.
    func provisionedEnvironmentReady(_ environmentID: String) {}

    /// A provisioned environment failed or exited before or after it became ready.
    func provisionedEnvironmentFailed(_ environmentID: String, reason: String) {}
}

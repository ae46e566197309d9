import Timing

/// Everything the lab knows, as its nouns: the functions (`FunctionRegistry`), the environments
/// (`EnvironmentPool`), the invocations in flight (`InvocationTable`), the asynchronous queue
/// (`AsyncQueue`), the finished invocations (`RecordWindow`). One value behind one lock in `Lab`:
/// routing an invocation reads the first three and changes two of them in one step, and every step
/// takes microseconds. Each noun keeps its own rules; this only puts them side by side.
struct LabState {
    var registry = FunctionRegistry()
    var pool = EnvironmentPool()
    var invocations = InvocationTable()
    var queue: AsyncQueue
    var records: RecordWindow
    /// Each function's allowance for new environments (`LabConfiguration.scalingRate`).
    var scaling: [String: ScalingBucket] = [:]
    /// Lambda Managed Instances' capacity providers, by name.
    var capacityProviders: [String: CapacityProvider] = [:]
    var shutdowns: [ShutdownRecord] = []
    /// The throttles answered (429), for the watch page.
    var throttles = ThrottleLog()
    /// Callers waiting for an environment to be gone (its process reaped).
    var goneWaiters: [EnvironmentID: [CheckedContinuation<Void, Never>]] = [:]
    var stopped = false

    init(configuration: LabConfiguration) {
        queue = AsyncQueue(endingsLimit: configuration.recordLimit)
        records = RecordWindow(limit: configuration.recordLimit, logBytesLimit: configuration.recordLogBytesLimit)
    }

    /// The qualifier whose provisioned environments may serve an invocation through `qualifier`:
    /// the one on that alias or version, or the one on the version an alias points to.
    func provisionedQualifier(function: String, qualifier: String?, version: String) -> String? {
        guard let allocations = pool.allocations[function] else { return nil }
        if let qualifier, allocations[qualifier] != nil { return qualifier }
        return allocations[version] != nil ? version : nil
    }

    /// Provisioned concurrency requested across the account, but for `excluding`'s qualifier.
    func provisionedTotal(excluding: (function: String, qualifier: String)? = nil) -> Int {
        pool.allocations.reduce(0) { total, entry in
            total + entry.value.filter { !(entry.key == excluding?.function && $0.key == excluding?.qualifier) }.values.map(\.requested).reduce(0, +)
        }
    }
}

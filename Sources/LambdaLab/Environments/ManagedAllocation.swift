import EventLoop
import Foundation
import Timing

/// A published version on Lambda Managed Instances and its execution environments: started when it
/// is published (the minimum, 3 by default), the version Pending until they finished Init and
/// Active after; then scaled by the lab's scaler, never by an arrival
/// (chapters/aws-facts.md#lambda-managed-instances).
struct ManagedAllocation {
    enum State: String, Sendable {
        case pending = "Pending", active = "Active", failed = "Failed"
    }

    var version: String
    /// The scaling configuration in effect, and as it was put (PutFunctionScalingConfig).
    var minimum: Int
    var maximum: Int?
    var requested: Lab.ScalingConfig
    var environmentIDs: Set<EnvironmentID> = []
    /// Those whose Init is done.
    var ready: Set<EnvironmentID> = []
    var state = State.pending
    var stateReason: String?
    var publishedAt = Clock.now
    /// Callers of `waitForManagedVersion`, resumed when the version leaves Pending.
    var waiters: [CheckedContinuation<Lab.ManagedVersionStatus, Never>] = []

    // What the scaler saw since it last looked.
    var peakInFlight = 0
    var throttles = 0
    /// Each environment's CPU time when the scaler last looked, to measure its use since.
    var cpuSeen: [EnvironmentID: Duration] = [:]
    var lastLook = Clock.now
    /// Since when utilization has been low (scale-down waits for `ManagedInstancesScaling.scaleDownAfter`).
    var quietSince: Instant?
    var scaler: LoopTimer?
    /// What the scaler did, for the chapters: when, how many environments, why.
    var history: [Lab.ScalingEvent] = []

    init(version: String, scaling: Lab.ScalingConfig) {
        self.version = version
        self.minimum = scaling.minimum
        self.maximum = scaling.maximum
        self.requested = scaling
    }

    /// The environments it keeps: at least the minimum, at most the maximum.
    func bounded(_ count: Int) -> Int {
        min(maximum ?? Int.max, max(minimum, count))
    }
}

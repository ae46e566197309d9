/// How fast a function may add execution environments: AWS allows each function 1,000 new ones
/// every 10 seconds, refilled continuously and never saved up beyond 1,000
/// (chapters/aws-facts.md#scaling-rate). A token bucket: a cold start takes a token; with none
/// left the invocation is throttled. Reusing a warm environment, or a provisioned one, takes none.
public struct ScalingRate: Sendable, Equatable {
    /// The bucket's size: how many environments may start at once.
    public var environments: Int
    /// How long the bucket takes to refill from empty.
    public var per: Duration

    public init(environments: Int, per: Duration) {
        self.environments = environments
        self.per = per
    }

    /// AWS's rate.
    public static let aws = ScalingRate(environments: 1_000, per: .seconds(10))

    /// AWS's rate divided by `factor` in both size and time: the same rate of growth, in steps a
    /// laptop can show (a factor of 100 gives 10 environments per 100 ms).
    public static func aws(scaledDownBy factor: Int) -> ScalingRate {
        ScalingRate(environments: max(1, 1_000 / factor), per: .seconds(10) / factor)
    }
}

/// One function's bucket.
struct ScalingBucket {
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    init(_ rate: ScalingRate, now: ContinuousClock.Instant) {
        tokens = Double(rate.environments)
        refilledAt = now
    }

    /// Takes a token for a new environment if there is one.
    /// `now` is the request's arrival; arrivals are taken in the order they came, and one that
    /// seems earlier than the last (it never should) refills nothing.
    mutating func take(_ rate: ScalingRate, now: ContinuousClock.Instant) -> Bool {
        let refill = Double(rate.environments) * (max(.zero, now - refilledAt) / rate.per)
        tokens = min(Double(rate.environments), tokens + refill)
        refilledAt = max(refilledAt, now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

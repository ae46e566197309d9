import Testing
@testable import LambdaLab

@Suite("Router: where an invocation goes")
struct RouterTests {
    let account = Router.Limits(accountConcurrency: 1_000)

    func idle(_ ids: Int..., provisioned: Set<Int> = []) -> [Router.Candidate] {
        ids.map { Router.Candidate(environmentID: EnvironmentID($0), isProvisioned: provisioned.contains($0)) }
    }

    @Test("an idle environment is reused, most recently used first")
    func reuseIdle() {
        #expect(Router.route(idle: idle(2, 1), inFlightForFunction: 3, inFlightUnreserved: 3, limits: account)
            == .reuse(environmentID: EnvironmentID(2)))
    }

    @Test("with none idle (all busy), the invocation cold-starts a new environment")
    func coldStartWhenBusy() {
        #expect(Router.route(idle: [], inFlightForFunction: 5, inFlightUnreserved: 5, limits: account) == .coldStart)
    }

    @Test("provisioned environments are used before on-demand ones")
    func provisionedFirst() {
        #expect(Router.route(idle: idle(1, 7, provisioned: [7]), inFlightForFunction: 0, inFlightUnreserved: 0, limits: account)
            == .reuse(environmentID: EnvironmentID(7)))
    }

    @Test("reserved concurrency caps the function: at the cap it is throttled, even with an idle environment")
    func reservedCap() {
        let limits = Router.Limits(accountConcurrency: 1_000, totalReserved: 2, reserved: 2)
        #expect(Router.route(idle: idle(1), inFlightForFunction: 2, inFlightUnreserved: 0, limits: limits)
            == .throttle(reason: "ReservedFunctionConcurrentInvocationLimitExceeded"))
        #expect(Router.route(idle: idle(1), inFlightForFunction: 1, inFlightUnreserved: 0, limits: limits) == .reuse(environmentID: EnvironmentID(1)))
    }

    @Test("functions without a reservation share what the account has left after all reservations")
    func unreservedPool() {
        let limits = Router.Limits(accountConcurrency: 10, totalReserved: 4, reserved: nil)
        #expect(Router.route(idle: [], inFlightForFunction: 6, inFlightUnreserved: 6, limits: limits)
            == .throttle(reason: "ConcurrentInvocationLimitExceeded"))
        #expect(Router.route(idle: [], inFlightForFunction: 5, inFlightUnreserved: 5, limits: limits) == .coldStart)
    }

    @Test("function names: plain, with qualifier, partial ARN, full ARN")
    func functionReferences() {
        #expect(FunctionReference(parsing: "worker") == FunctionReference(name: "worker"))
        #expect(FunctionReference(parsing: "worker:live") == FunctionReference(name: "worker", qualifier: "live"))
        #expect(FunctionReference(parsing: "123456789012:function:worker") == FunctionReference(name: "worker"))
        #expect(FunctionReference(parsing: "arn:aws:lambda:us-east-1:123456789012:function:worker:7") == FunctionReference(name: "worker", qualifier: "7"))
        #expect(FunctionReference(parsing: "bad name") == nil)
        #expect(FunctionReference(parsing: "a:b:c:d") == nil)
    }
}

@Suite("Scaling rate: how fast a function may add environments")
struct ScalingRateTests {
    let start = ContinuousClock.now

    @Test("the bucket holds the rate's environments at once; the next new one must wait for a refill")
    func bucketEmpties() {
        let rate = ScalingRate(environments: 10, per: .milliseconds(100))
        var bucket = ScalingBucket(rate, now: start)
        let taken = (0..<12).filter { _ in bucket.take(rate, now: start) }.count
        #expect(taken == 10)
    }

    @Test("it refills continuously: half the time, half the environments")
    func refillsContinuously() {
        let rate = ScalingRate(environments: 10, per: .milliseconds(100))
        var bucket = ScalingBucket(rate, now: start)
        for _ in 0..<10 { _ = bucket.take(rate, now: start) }
        let later = start + .milliseconds(50)
        #expect((0..<10).filter { _ in bucket.take(rate, now: later) }.count == 5)
    }

    @Test("unused allowance is not saved up beyond the rate's size")
    func neverAccumulates() {
        let rate = ScalingRate(environments: 10, per: .milliseconds(100))
        var bucket = ScalingBucket(rate, now: start)
        let muchLater = start + .seconds(60)
        #expect((0..<30).filter { _ in bucket.take(rate, now: muchLater) }.count == 10)
    }

    @Test("AWS's rate scaled down keeps its pace: 1,000 per 10 s divided by 100 is 10 per 100 ms")
    func scaledDown() {
        #expect(ScalingRate.aws == ScalingRate(environments: 1_000, per: .seconds(10)))
        #expect(ScalingRate.aws(scaledDownBy: 100) == ScalingRate(environments: 10, per: .milliseconds(100)))
    }
}

import EventLoop
import Testing
import Timing
@testable import LambdaLab

/// The environment pool's transitions, on values alone (no process): an environment's phase and
/// slots only move the ways AWS's lifecycle allows, and the router's index always agrees with them.
@Suite("Environment pool: phases, slots and the router's index")
struct EnvironmentPoolTests {
    static func pool(slots: Int = 1, function: String = "f") -> (EnvironmentPool, EnvironmentID) {
        var pool = EnvironmentPool()
        var configuration = FunctionConfiguration(name: function, command: ["/bin/true"])
        configuration.perEnvironmentMaxConcurrency = slots == 1 ? nil : slots
        let environment = pool.create(function: function, version: "$LATEST", configuration: configuration, initializationType: .onDemand,
                                      logStreamName: "stream", scratchDirectory: { "/tmp/\($0)" })
        return (pool, environment.id)
    }

    func candidates(_ pool: EnvironmentPool, provisioned: String? = nil) -> [EnvironmentID] {
        pool.candidates(function: "f", version: "$LATEST", provisionedQualifier: provisioned).map(\.environmentID)
    }

    @Test("an environment in Init is not routable; its first next makes it idle and routable; a second endInit is refused")
    func initEnds() {
        var (pool, id) = Self.pool()
        #expect(candidates(pool).isEmpty)
        let step1 = pool.endInit(id, at: .now, cpuTime: nil)
        #expect(step1)
        #expect(pool[id]?.phase == .idle)
        #expect(candidates(pool) == [id])
        let step2 = pool.endInit(id, at: .now, cpuTime: nil)
        #expect(!step2)
    }

    @Test("one slot: assigned, it leaves the index and refuses a second invocation; released, it is idle and first in line again")
    func oneSlot() {
        var (pool, id) = Self.pool()
        _ = pool.endInit(id, at: .now, cpuTime: nil)
        let step3 = pool.assign(RequestID("r1"), to: id)
        #expect(step3)
        #expect(pool[id]?.phase == .invoking)
        #expect(candidates(pool).isEmpty)
        let step4 = pool.assign(RequestID("r2"), to: id)
        #expect(!step4)
        #expect(pool[id]?.invocations == [RequestID("r1")])
        pool.release(RequestID("r1"), from: id, at: .now)
        #expect(pool[id]?.phase == .idle && pool[id]?.invocationsServed == 1)
        #expect(candidates(pool) == [id])
    }

    @Test("three slots: routable until the third is taken; the one with the most free slots is chosen; idle only when all are free")
    func threeSlots() {
        var (pool, first) = Self.pool(slots: 3)
        var configuration = FunctionConfiguration(name: "f", command: ["/bin/true"])
        configuration.perEnvironmentMaxConcurrency = 3
        let second = pool.create(function: "f", version: "$LATEST", configuration: configuration, initializationType: .onDemand,
                                 logStreamName: "s2", scratchDirectory: { "/tmp/\($0)" }).id
        _ = pool.endInit(first, at: .now, cpuTime: nil)
        _ = pool.endInit(second, at: .now, cpuTime: nil)
        for request in ["a", "b"] { let assigned = pool.assign(RequestID(request), to: first); #expect(assigned) }
        // first has 1 free slot, second 3: the router is offered second.
        #expect(candidates(pool) == [second])
        let step5 = pool.assign(RequestID("c"), to: first)
        #expect(step5)
        let step6 = pool.assign(RequestID("d"), to: first)
        #expect(!step6)
        #expect(pool[first]?.phase == .invoking && pool[first]?.freeSlots == 0)
        #expect(!pool.isRoutable(first) && pool.isRoutable(second))
        pool.release(RequestID("a"), from: first, at: .now)
        #expect(pool[first]?.phase == .invoking && pool.isRoutable(first))
        pool.release(RequestID("b"), from: first, at: .now)
        pool.release(RequestID("c"), from: first, at: .now)
        #expect(pool[first]?.phase == .idle && pool[first]?.invocationsServed == 3)
    }

    @Test("shutting down takes an environment out of routing at once, keeps the first reason, and is final")
    func shutdown() {
        var (pool, id) = Self.pool()
        _ = pool.endInit(id, at: .now, cpuTime: nil)
        let step7 = pool.beginShutdown(id, reason: "idle")
        #expect(step7 != nil)
        let step8 = pool.beginShutdown(id, reason: "lab stopped")
        #expect(step8?.exitReason == "idle")
        #expect(candidates(pool).isEmpty)
        let step9 = pool.assign(RequestID("r1"), to: id)
        #expect(!step9)
        let step10 = pool.endInit(id, at: .now, cpuTime: nil)
        #expect(!step10)
        #expect(pool[id]?.phase == .shuttingDown)
        let step11 = pool.remove(id)
        #expect(step11 != nil && pool[id] == nil)
        let step12 = pool.beginShutdown(EnvironmentID(404))
        #expect(step12 == nil)
    }

    @Test("an invocation given up by a shutting-down environment frees its slot but does not make it routable")
    func giveUp() {
        var (pool, id) = Self.pool()
        _ = pool.endInit(id, at: .now, cpuTime: nil)
        _ = pool.assign(RequestID("r1"), to: id)
        pool.beginShutdown(id, reason: "timeout")
        pool.giveUp(RequestID("r1"), from: id)
        #expect(pool[id]?.invocations.isEmpty == true)
        #expect(!pool.isRoutable(id) && candidates(pool).isEmpty)
    }

    @Test("the index: most recently used first, provisioned environments only for their qualifier")
    func index() {
        var pool = EnvironmentPool()
        let configuration = FunctionConfiguration(name: "f", command: ["/bin/true"])
        func make(_ provisionedFor: String?) -> EnvironmentID {
            let id = pool.create(function: "f", version: "1", configuration: configuration,
                                 initializationType: provisionedFor == nil ? .onDemand : .provisionedConcurrency,
                                 logStreamName: "s", scratchDirectory: { "/tmp/\($0)" }, provisionedFor: provisionedFor).id
            _ = pool.endInit(id, at: .now, cpuTime: nil)
            return id
        }
        let (a, b, p) = (make(nil), make(nil), make("live"))
        #expect(pool.candidates(function: "f", version: "1", provisionedQualifier: nil).map(\.environmentID) == [b])
        #expect(pool.candidates(function: "f", version: "1", provisionedQualifier: "live").map(\.environmentID) == [p, b])
        #expect(pool.candidates(function: "f", version: "1", provisionedQualifier: "other").map(\.environmentID) == [b])
        // a is used: it becomes the most recent.
        _ = pool.assign(RequestID("r"), to: a)
        pool.release(RequestID("r"), from: a, at: .now)
        #expect(pool.candidates(function: "f", version: "1", provisionedQualifier: nil).map(\.environmentID) == [a])
    }
}

@Suite("Invocation state machine")
struct InvocationStateTests {
    /// Timers are the loop's; one that is never started hands out their numbers all the same.
    let timers = try! EventLoop(name: "timers")

    static func invocation() -> Invocation {
        Invocation(id: RequestID("r1"), function: "f", version: "$LATEST", invokedARN: "arn", payload: [], timeout: .seconds(3),
                   receivedAt: .now, environment: EnvironmentID(1), coldStart: false, spillover: false, completion: { _ in })
    }

    @Test("routed → handed out once; a second hand-out is refused; Duration runs from the hand-out")
    func handOut() throws {
        var invocation = Self.invocation()
        let start = ContinuousClock.now
        #expect(invocation.duration(at: start + .seconds(1)) == .zero)
        let step13 = invocation.handOut(at: start, connection: 7, timer: timers.reserveTimer())
        #expect(step13)
        #expect(invocation.handOut?.connection == 7)
        let step14 = invocation.handOut(at: start + .seconds(1), connection: 8, timer: timers.reserveTimer())
        #expect(!step14)
        #expect(invocation.duration(at: start + .milliseconds(250)) == .milliseconds(250))
    }

    @Test("moved: a cold start in the new environment, counted once; an Init re-run inside it starts Duration at the spawn")
    func move() {
        var invocation = Self.invocation()
        _ = invocation.handOut(at: .now, connection: 1, timer: timers.reserveTimer())
        invocation.move(to: EnvironmentID(2), initInside: false)
        #expect(invocation.environment == EnvironmentID(2) && !invocation.isHandedOut && invocation.coldStart && invocation.moves == 1)
        var rerun = Self.invocation()
        rerun.move(to: EnvironmentID(3), initInside: true)
        #expect(rerun.moves == 0)
        let spawn = ContinuousClock.now
        rerun.startDuration(at: spawn)
        _ = rerun.handOut(at: spawn + .seconds(2), connection: 1, timer: timers.reserveTimer())
        #expect(rerun.duration(at: spawn + .seconds(3)) == .seconds(3))
    }

    @Test("its log keeps up to the limit, then one line says the rest was not kept")
    func logLimit() {
        var invocation = Self.invocation()
        for _ in 0..<10 { invocation.appendLog(String(repeating: "x", count: 99), limit: 500) }
        #expect(invocation.log.count == 6)
        #expect(invocation.log.last?.contains("was not kept") == true)
    }
}

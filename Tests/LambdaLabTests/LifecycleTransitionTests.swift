import Testing
import Timing
@testable import LambdaLab

/// The execution environment's phase diagram, enforced: every transition the lab makes goes through
/// LabState's methods, and a move the diagram does not allow is refused, leaving the state as it was.
@Suite("Lifecycle transitions")
struct LifecycleTransitionTests {
    typealias Phase = EnvironmentState.Phase

    @Test("the diagram: Init ends in idle or invoking, idle ⇄ invoking, anything may shut down, nothing comes back")
    func diagram() {
        let allowed: Set<String> = ["initializing→idle", "initializing→invoking", "idle→invoking", "invoking→idle",
                                    "initializing→shuttingDown", "idle→shuttingDown", "invoking→shuttingDown", "shuttingDown→shuttingDown"]
        let phases: [Phase] = [.initializing, .idle, .invoking, .shuttingDown]
        for from in phases {
            for to in phases {
                #expect(from.canMove(to: to) == allowed.contains("\(from)→\(to)"), "\(from) → \(to)")
            }
        }
    }

    static func labState() -> (LabState, String) {
        var state = LabState()
        let configuration = FunctionConfiguration(name: "f", command: ["/bin/true"])
        let environment = state.newEnvironment(function: "f", version: "$LATEST", configuration: configuration,
                                               initializationType: .onDemand, scratchDirectory: { "/tmp/\($0)" })
        return (state, environment.id)
    }

    @Test("an environment still in Init cannot take an invocation; once idle it can, and leaves the idle index")
    func assign() {
        var (state, id) = Self.labState()
        let moved1 = state.assign("r1", to: id)
        #expect(!moved1)
        #expect(state.environments[id]!.assigned == nil)
        let moved2 = state.endInit(id, at: .now, cpuTime: nil)
        #expect(moved2)
        #expect(state.environments[id]!.phase == .idle)
        #expect(state.idleCandidates(function: "f", version: "$LATEST", provisionedQualifier: nil).map(\.environmentID) == [id])
        let moved3 = state.assign("r1", to: id)
        #expect(moved3)
        #expect(state.environments[id]!.phase == .invoking && state.environments[id]!.assigned == "r1")
        #expect(state.idleCandidates(function: "f", version: "$LATEST", provisionedQualifier: nil).isEmpty)
        let moved4 = state.assign("r2", to: id)
        #expect(!moved4)
        #expect(state.environments[id]!.assigned == "r1")
        let moved5 = state.endInit(id, at: .now, cpuTime: nil)
        #expect(!moved5)
    }

    @Test("release: kept, the environment is idle and routable again; discarded, it is not")
    func release() {
        var (state, id) = Self.labState()
        _ = state.endInit(id, at: .now, cpuTime: nil)
        _ = state.assign("r1", to: id)
        state.release(id, from: "r1", keep: true, at: .now)
        #expect(state.environments[id]!.phase == .idle && state.environments[id]!.invocationsServed == 1)
        #expect(state.idleCandidates(function: "f", version: "$LATEST", provisionedQualifier: nil).count == 1)
        _ = state.assign("r2", to: id)
        state.release(id, from: "r2", keep: false, at: .now)
        #expect(state.environments[id]!.phase == .invoking && state.environments[id]!.assigned == nil)
        #expect(state.idleCandidates(function: "f", version: "$LATEST", provisionedQualifier: nil).isEmpty)
    }

    @Test("shutting down takes an idle environment out of routing at once, keeps the first reason, and is final")
    func shutdown() {
        var (state, id) = Self.labState()
        _ = state.endInit(id, at: .now, cpuTime: nil)
        let moved6 = state.beginShutdown(id, reason: "idle")
        #expect(moved6 != nil)
        let moved7 = state.beginShutdown(id, reason: "lab stopped")
        #expect(moved7?.exitReason == "idle")
        #expect(state.idleCandidates(function: "f", version: "$LATEST", provisionedQualifier: nil).isEmpty)
        let moved8 = state.assign("r1", to: id)
        #expect(!moved8)
        let moved9 = state.endInit(id, at: .now, cpuTime: nil)
        #expect(!moved9)
        #expect(state.environments[id]!.phase == .shuttingDown)
        let moved10 = state.beginShutdown("env-404")
        #expect(moved10 == nil)
    }
}

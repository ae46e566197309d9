import Contracts
import LambdaLab
import StandInDatabase
import Timing
import Workbook

/// Part 2 — provisioned concurrency sized to chapter 3's fan-out: N calls at once through an alias
/// provisioned below, at and above N; the same function called unqualified; and a burst sent before
/// the allocation is READY. Each case gets its own function, so no warm on-demand environment of an
/// earlier case can serve a later one.
extension Chapter4 {
    struct Sizing: Codable, Sendable {
        var fanOut: Int
        /// Provisioned concurrency per step name.
        var provisionedFor: [String: Int]
        /// The allocation's status when the "before READY" burst was sent.
        var statusWhenSentEarly: ProvisionedConcurrencyStatus
    }

    static let sizedSteps = ["sized below", "sized equal", "sized above"]

    static func sizing(_ lab: Lab, database: StandInDatabase, options: Options) async throws -> (Sizing, [StepOutcome]) {
        let n = options.fanOut
        let sizes = [n / 2, n, n + n / 2]
        // Every call runs the slow query, so all N are in flight together and none can reuse
        // an environment another call of the burst has just left.
        let slow = WorkerEvent(key: "report", queryMs: options.slowQueryMs)
        var steps: [StepOutcome] = []
        var provisionedFor: [String: Int] = [:]
        for (name, p) in zip(sizedSteps, sizes) {
            let function = "worker-p\(p)"
            try provision(lab, function: function, database: database, executions: p)
            _ = try await lab.waitForProvisionedConcurrency(function, qualifier: "live")
            steps.append(try await FanOutStep.run(lab, name: name, target: function, qualifier: "live", count: n, payload: slow))
            provisionedFor[name] = p
        }
        // The most generously provisioned function, called without a qualifier: $LATEST.
        let above = "worker-p\(sizes[2])"
        steps.append(try await FanOutStep.run(lab, name: "unqualified", target: above, count: n, payload: slow))
        provisionedFor["unqualified"] = sizes[2]

        // Provisioned to N, but the burst goes out right after the Put, while the environments
        // are still in Init.
        try provision(lab, function: "worker-early", database: database, executions: n)
        let status = try lab.provisionedConcurrency("worker-early", qualifier: "live").status
        steps.append(try await FanOutStep.run(lab, name: "before READY", target: "worker-early", qualifier: "live", count: n, payload: slow))
        provisionedFor["before READY"] = n
        return (Sizing(fanOut: n, provisionedFor: provisionedFor, statusWhenSentEarly: status), steps)
    }

    /// Deploy → PublishVersion 1 → alias `live` → PutProvisionedConcurrencyConfig, as the article does.
    private static func provision(_ lab: Lab, function: String, database: StandInDatabase, executions: Int) throws {
        try lab.deploy(WorkbookFunctions.worker(name: function, database: database))
        _ = try lab.publishVersion(function)
        _ = try lab.createAlias(function, name: "live", version: "1")
        _ = try lab.putProvisionedConcurrency(function, qualifier: "live", executions: executions)
    }

    static func sizingClaims(_ sizing: Sizing, _ steps: [StepOutcome], handshakeMs: Double) -> [Claim] {
        let n = sizing.fanOut
        func step(_ name: String) -> StepOutcome { steps.first { $0.name == name }! }
        func onProvisioned(_ step: StepOutcome) -> Int { step.invocations.filter { $0.initializationType == .provisionedConcurrency }.count }
        var claims: [Claim] = []
        for name in sizedSteps {
            let p = sizing.provisionedFor[name]!, s = step(name)
            let expectedCold = max(0, n - p)
            claims.append(Claim("\(n) at once through an alias provisioned for \(p): \(expectedCold) cold start\(expectedCold == 1 ? "" : "s") (max(0, N − P)), \(min(n, p)) on provisioned environments",
                                holds: s.coldStarts == expectedCold && onProvisioned(s) == min(n, p),
                                evidence: "\(s.coldStarts) cold starts, \(onProvisioned(s)) calls on provisioned environments"))
        }
        let unqualified = step("unqualified")
        claims.append(Claim("The same function called without a qualifier ($LATEST) never uses the alias's \(sizing.provisionedFor["unqualified"]!) provisioned environments: \(n) cold starts",
                            holds: unqualified.coldStarts == n && onProvisioned(unqualified) == 0,
                            evidence: "\(unqualified.coldStarts) cold starts, \(onProvisioned(unqualified)) calls on provisioned environments"))
        let early = step("before READY")
        // Init must outlast the time it takes to send the burst, or the race has no loser.
        claims.append(Claim("Sent while the allocation is still IN_PROGRESS, the burst does not wait for it: calls that find no provisioned environment ready cold-start on demand",
                            unless: handshakeMs < 20 ? "with a \(handshakeMs.twoDecimals) ms handshake, Init may finish before the burst is sent; the claim needs --db-handshake-ms 20 or more" : nil,
                            holds: sizing.statusWhenSentEarly == .inProgress && early.coldStarts >= 1,
                            evidence: "status when sent \(sizing.statusWhenSentEarly.rawValue); \(early.coldStarts) cold starts, \(onProvisioned(early)) calls on provisioned environments"))
        return claims
    }
}

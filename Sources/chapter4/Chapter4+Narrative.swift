import Foundation
import Timing
import Workbook

extension Chapter4 {
    static func narrate(_ outcome: Outcome) {
        let (p, k) = (outcome.provisioned, outcome.spillover)
        let allocation = outcome.allocation
        Narrative.title(4, "provisioned concurrency", question: "Can cold starts be paid before anyone is waiting?")
        print("")
        Narrative.paragraph("Setup: the worker of chapter 3 (it connects to the stand-in database in init) and the orchestrator. Modeled (not measured): database handshake \(outcome.modeled.dbHandshakeMs.ms2) ms, query round trip \(outcome.modeled.dbQueryMs.ms2) ms — a fast indexed lookup.", indent: "")

        Narrative.section("Allocation")
        Narrative.paragraph("Provisioned concurrency is configured on a published version or an alias, never on $LATEST. Asking for it on $LATEST:")
        print("    InvalidParameterValueException: \(allocation.latestRejected)")
        print("")
        Narrative.paragraph("So: PublishVersion → version 1; CreateAlias live → 1; PutProvisionedConcurrencyConfig live = \(p). The lab starts \(p) environments with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency; each runs its Init (process start, database handshake) with no request waiting. Status changes:")
        for change in allocation.config.history {
            print("    \(String(format: "%9.2f", change.afterMs)) ms  \(change.status)")
        }
        print("")
        print("  \(allocation.config.allocated) of \(allocation.config.requested) allocated; READY after \(allocation.allocationMs.ms2) ms (measured)")
        var table = TextTable([("environment", .left), ("Init Duration", .right)])
        for environment in allocation.environments {
            table.add([environment.environmentId, environment.initDurationMs.map { $0.ms2 + " ms" } ?? "—"])
        }
        print("")
        print(table.render())

        let texts = [
            "provisioned burst": "The orchestrator invokes worker:live \(p) times at once. Every request finds an initialised environment: expect 0 cold starts, no Init Duration in any REPORT, and latencies of a warm call — each faster than any cold start. (A call that finishes before the last one arrives may serve it too, so up to \(p) environments are used.)",
            "spillover burst": "Now \(p + k) at once, each running a slow query (modeled: \(outcome.slowQueryMs) ms) so that all of them are in flight together. \(p) requests take the provisioned environments; the other \(k) find them all busy and spill over to on-demand concurrency, with cold starts: expect ProvisionedConcurrencySpilloverInvocations = \(k).",
            "cold baseline": "The before picture: the same code published as version 2, without provisioned concurrency, \(p) at once: \(p) cold starts.",
        ]
        for (index, step) in outcome.steps.enumerated() {
            Narrative.step(index + 1, step, expect: texts[step.name] ?? "")
            Narrative.arrival(step)
            if step.name == "spillover burst" {
                let m = outcome.metrics
                print("  ProvisionedConcurrencyInvocations \(m.provisionedConcurrencyInvocations) · ProvisionedConcurrencySpilloverInvocations \(m.provisionedConcurrencySpilloverInvocations) · ProvisionedConcurrencyUtilization \(Int(m.provisionedConcurrencyUtilization * 100)) %")
            }
        }
        Narrative.summary(outcome.steps)

        Narrative.section("What it costs on AWS (modeled from published prices)")
        let cost = outcome.cost
        Narrative.paragraph(String(format: "%d environments × %d MB of provisioned concurrency bill $%.4f per hour of capacity — about $%.2f a month — whether or not anything is invoked, plus a lower duration price while serving. Above a utilization of about %.0f %% it is cheaper than on-demand; below, you pay to keep environments warm. Source: %@.", cost.environments, cost.memoryMB, cost.capacityPerHourUSD, cost.capacityPerMonthUSD, cost.breakEvenUtilization * 100, cost.source))
        Narrative.claims(outcome.claims)
    }
}

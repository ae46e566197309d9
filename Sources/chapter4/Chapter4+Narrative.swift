import Foundation
import Timing
import Workbook

extension Chapter4 {
    static func narrate(_ outcome: Outcome) {
        let (p, k) = (outcome.provisioned, outcome.spillover)
        let allocation = outcome.allocation
        Narrative.title(4, "provisioned concurrency", question: "Can cold starts be paid before anyone is waiting?")
        print("")
        Narrative.paragraph("Setup: the worker of chapter 3 (it connects to the stand-in database in init) and the orchestrator. Modeled (not measured): database handshake \(outcome.modeled.dbHandshakeMs.twoDecimals) ms, query round trip \(outcome.modeled.dbQueryMs.twoDecimals) ms — a fast indexed lookup.", indent: "")

        Narrative.section("Allocation")
        Narrative.paragraph("Provisioned concurrency is configured on a published version or an alias, never on $LATEST. Asking for it on $LATEST:")
        print("    InvalidParameterValueException: \(allocation.latestRejected)")
        print("")
        Narrative.paragraph("So: PublishVersion → version 1; CreateAlias live → 1; PutProvisionedConcurrencyConfig live = \(p). The lab starts \(p) environments with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency; each runs its Init (process start, database handshake) with no request waiting. Status changes:")
        for change in allocation.config.history {
            print("    \(String(format: "%9.2f", change.afterMs)) ms  \(change.status.rawValue)")
        }
        print("")
        print("  \(allocation.config.allocated) of \(allocation.config.requested) allocated; READY after \(allocation.allocationMs.twoDecimals) ms (measured)")
        var table = TextTable([("environment", .left), ("Init Duration", .right)])
        for environment in allocation.environments {
            table.add([environment.environmentID, environment.initDurationMs.map { $0.twoDecimals + " ms" } ?? "—"])
        }
        print("")
        print(table.render())

        let n = outcome.sizing.fanOut
        let sized = outcome.sizing.provisionedFor
        let texts = [
            "provisioned burst": "The orchestrator invokes worker:live \(p) times at once. Every request finds an initialised environment: expect 0 cold starts, no Init Duration in any REPORT, and latencies of a warm call — each faster than any cold start. (A call that finishes before the last one arrives may serve it too, so up to \(p) environments are used.)",
            "spillover burst": "Now \(p + k) at once, each running a slow query (modeled: \(outcome.slowQueryMs) ms) so that all of them are in flight together. \(p) requests take the provisioned environments; the other \(k) find them all busy and spill over to on-demand concurrency, with cold starts: expect ProvisionedConcurrencySpilloverInvocations = \(k).",
            "cold baseline": "The before picture: the same code published as version 2, without provisioned concurrency, \(p) at once: \(p) cold starts.",
            "sized below": "\(n) at once, each call running the slow query so all are in flight together, through an alias provisioned for \(sized["sized below"] ?? 0), READY before the burst: expect \(max(0, n - (sized["sized below"] ?? 0))) cold starts, max(0, N − P).",
            "sized equal": "The same fan-out, provisioned for exactly N = \(n): expect 0 cold starts.",
            "sized above": "Provisioned for \(sized["sized above"] ?? 0), more than N: still 0 cold starts; \((sized["sized above"] ?? 0) - n) environments stay idle, and are paid for.",
            "unqualified": "The function provisioned for \(sized["unqualified"] ?? 0), called without a qualifier: the call goes to $LATEST, which provisioned concurrency never covers: expect \(n) cold starts.",
            "before READY": "A new function provisioned for N = \(n), but the burst goes out right after PutProvisionedConcurrencyConfig (status when sent: \(outcome.sizing.statusWhenSentEarly)), while its environments are still in Init. Calls do not wait for them: expect cold starts on demand.",
        ]
        for (index, step) in outcome.steps.enumerated() {
            let partTwo = sized[step.name] != nil
            if step.name == Chapter4.sizedSteps.first {
                Narrative.section("Part 2 · provisioned concurrency sized to the fan-out")
                Narrative.paragraph("Chapter 3's fan-out of N = \(n), through aliases provisioned below, at and above N. Each case is a fresh function (deploy, publish version 1, alias live, provisioned concurrency P), so no warm environment of one case can serve another. The CloudWatch lines are left out from here on; the tables count them.")
            }
            Narrative.step(index + 1, step, expect: texts[step.name] ?? "", showLogs: !partTwo)
            if partTwo {
                let provisionedCalls = step.invocations.filter { $0.initializationType == .provisionedConcurrency }.count
                print("  P = \(sized[step.name]!) · on provisioned environments: \(provisionedCalls) · on demand: \(step.invocations.count - provisionedCalls) (\(step.coldStarts) cold starts)")
            }
            Narrative.arrival(step)
            if step.name == "spillover burst" {
                let m = outcome.metrics
                print("")
                Narrative.paragraph("ProvisionedConcurrencyInvocations \(m.provisionedConcurrencyInvocations) · ProvisionedConcurrencySpilloverInvocations \(m.provisionedConcurrencySpilloverInvocations) · utilization at the burst's peak \(Int(m.provisionedConcurrencyUtilization * 100)) % (an instant peak; CloudWatch's ProvisionedConcurrencyUtilization is a one-minute average)")
            }
        }
        Narrative.summary(outcome.steps)
        Narrative.figures()
        cost(outcome.cost)
        Narrative.claims(outcome.claims)
    }

    static func cost(_ cost: CostComparison) {
        Narrative.section("What it costs on AWS (modeled from published prices, \(cost.memoryMB) MB, x86)")
        Narrative.paragraph(String(format: "Part 1: %d environments of provisioned concurrency bill $%.4f per hour of capacity — about $%.2f a 730-hour month — whether or not anything is invoked, in blocks of 5 minutes, plus a lower duration price for the calls they serve, and their Init again each time AWS recycles them (every few hours). Spillover is billed on demand, and the free tier does not apply. Kept busy more than %.0f %% of the time, provisioned costs less than on-demand; below that, you pay to keep environments warm.", cost.provisioned, cost.capacityPerHourUSD, cost.capacityPerMonthUSD, cost.breakEvenUtilization * 100))
        print("")
        Narrative.paragraph(String(format: "Part 2: a bursty fan-out of %d. On demand, a burst that finds no warm environment pays %d Inits: %d ms billed in this run (the unqualified burst) = $%.8f. With %d environments provisioned, the same burst bills %d ms at the provisioned price = $%.8f, and the capacity costs $%.4f an hour, busy or not.", cost.fanOut, cost.fanOut, cost.coldBurstBilledMs, cost.coldBurstUSD, cost.fanOut, cost.provisionedBurstBilledMs, cost.provisionedBurstUSD, cost.fanOutCapacityPerHourUSD))
        var table = TextTable([("bursts per hour", .right), ("on demand, every burst cold", .right), ("provisioned for N", .right), ("cheaper", .left)])
        for rate in [1.0, 60, 600, 3_600] {
            let month = cost.monthly(burstsPerHour: rate)
            table.add([String(format: "%.0f", rate), String(format: "$%.2f / month", month.onDemand), String(format: "$%.2f / month", month.provisioned),
                       month.onDemand < month.provisioned ? "on demand" : "provisioned"])
        }
        print("")
        print(table.render())
        print("")
        let breakEven = cost.breakEvenBurstsPerHour.map { String(format: "%.0f bursts an hour (one every %.1f s)", $0, 3_600 / $0) } ?? "never"
        let withAWSInit = cost.breakEvenBurstsPerHourWithAWSInit.map { String(format: "%.0f an hour", $0) } ?? "never"
        Narrative.paragraph("Provisioned for N costs less only above \(breakEven) with this run's Inits, or \(withAWSInit) had each Init taken \(cost.awsInitExtraMs) ms longer, as a Swift custom runtime's does on AWS. And bursts that come that often find warm on-demand environments anyway, paying no Init at all: for a bursty fan-out, provisioned concurrency buys latency, not savings. Source: \(cost.source).")
    }
}

import Foundation
import Timing
import Workbook

extension Chapter6 {
    /// The narrative: reads only the Outcome.
    static func narrate(_ outcome: Outcome) {
        let (p, rate, hour) = (outcome.provisioned, outcome.rate, outcome.hour)
        let onDemand = outcome.step("on demand"), provisioned = outcome.step("provisioned")
        Narrative.title(6, "what provisioned concurrency costs", question: "When does keeping environments initialised cost less than paying for cold starts?")
        print("")
        Narrative.paragraph("Setup: calls arrive at a steady \(rate) per second for \(outcome.seconds) s, each running a \(outcome.durationMs) ms database query (modeled: the stand-in database waits that long before answering, standing for a query on another host). That is about \(String(format: "%.1f", Double(rate) * Double(outcome.durationMs) / 1_000)) calls in flight on average (rate × duration). The run is measured; the money is modeled from AWS's published prices and three figures of the run: a warm call's Billed Duration (p50, \(hour.billedMs) ms), the Init Duration a cold start bills (p50) and the number of environments on demand kept.", indent: "")

        Narrative.step(1, onDemand, expect: "The worker on demand. The first call is a cold start; each call then finds an environment that an earlier call has left, unless all are busy. Expect a few cold starts while the pool grows to about the calls in flight, then none.", showLogs: false)
        coldStarts(onDemand)
        Narrative.step(2, provisioned, expect: "The same code published as version 1, alias `live`, with \(p) provisioned environments initialised (READY) before the first call. Expect no cold start, unless more than \(p) calls are in flight at once (spillover runs on demand).", showLogs: false)
        coldStarts(provisioned)
        Narrative.summary(outcome.steps)

        Narrative.section("One hour of this traffic on AWS (modeled, \(outcome.prices.architecture.rawValue), \(hour.memoryMB) MB)")
        var table = TextTable([("", .left), ("requests", .right), ("cold starts / Inits", .right), ("capacity", .right), ("$ / hour", .right), ("$ / month", .right)])
        table.add(["on demand", String(Int(hour.requests)), String(format: "%.1f", hour.onDemandColdStarts), "—",
                   Narrative.dollars(outcome.onDemandPerHourUSD), Narrative.dollars(outcome.onDemandPerHourUSD * 730)])
        table.add(["provisioned (P = \(p))", String(Int(hour.requests)), String(format: "%.1f", hour.provisionedInits), "\(p) × \(hour.memoryMB) MB",
                   Narrative.dollars(outcome.provisionedPerHourUSD), Narrative.dollars(outcome.provisionedPerHourUSD * 730)])
        print("")
        print(table.render())
        print("")
        let cheaper = outcome.provisionedPerHourUSD < outcome.onDemandPerHourUSD ? "provisioned concurrency costs less" : "on demand costs less"
        Narrative.paragraph("At \(rate) calls/s the \(p) provisioned environments are busy \(percent(hour.utilization)) of the time, so \(cheaper) ($\(Narrative.dollars(abs(outcome.onDemandPerHourUSD - outcome.provisionedPerHourUSD))) an hour apart). The break-even utilization is \(percent(outcome.breakEvenUtilization, digits: 2)) from the prices alone (the capacity price per GB-s ÷ the duration price it saves: $\(price(outcome.prices.provisionedCapacityPerGBSecond)) ÷ ($\(price(outcome.prices.onDemandPerGBSecond)) − $\(price(outcome.prices.provisionedDurationPerGBSecond)))), and \(percent(outcome.breakEvenUtilizationWithInits, digits: 2)) once this hour's Inits are counted. Below it, capacity sits idle and costs more than it saves; above it, provisioned concurrency is both faster and cheaper.", indent: "")

        var sweep = TextTable([("utilization", .right), ("calls/s", .right), ("on demand $/h", .right), ("provisioned $/h", .right), ("cheaper", .left)])
        for point in outcome.sweep {
            sweep.add([percent(point.utilization), String(format: "%.1f", point.requestsPerSecond), Narrative.dollars(point.onDemandUSD),
                       Narrative.dollars(point.provisionedUSD), point.provisionedUSD < point.onDemandUSD ? "provisioned" : "on demand"])
        }
        print("")
        print("  The same \(p) environments at other rates (modeled):")
        print(sweep.render())

        Narrative.section("Cold starts on demand would have paid")
        Narrative.paragraph("Measured: in \(outcome.seconds) s at \(rate) calls/s, on demand paid \(onDemand.coldStarts) cold start\(onDemand.coldStarts == 1 ? "" : "s") (Init Duration p50 \(onDemand.initDurations.p50.twoDecimals) ms), \(percent(Double(onDemand.coldStarts) / Double(max(1, onDemand.invocations.count)))) of its calls; provisioned concurrency paid \(provisioned.coldStarts) (\(outcome.spillover) spillover call\(outcome.spillover == 1 ? "" : "s")). Modeled: once the pool is full, steady traffic on demand pays a cold start only when an environment is replaced; at one replacement every \(hoursText(hour.recycleHours)) h and the \(hour.onDemandEnvironments) environments the run kept, that is \(String(format: "%.1f", hour.onDemandColdStarts)) an hour, of \(Int(hour.requests)) calls. AWS reports cold starts on fewer than 1 % of invocations in production (chapters/aws-facts.md#init-billing). So at a steady rate provisioned concurrency buys little latency; it pays where traffic comes in bursts (chapter 4) — and in money only above break-even utilization.", indent: "")
        Narrative.figures()
        print("")
        Narrative.paragraph("Prices: \(outcome.source). Modeled parameters: the query time (\(outcome.durationMs) ms), how often an environment is replaced (\(hoursText(hour.recycleHours)) h; AWS says provisioned environments are recycled \"every few hours\" and publishes nothing for on-demand ones), and that the Init of a recycled provisioned environment is billed at the on-demand price.", indent: "")
        Narrative.claims(outcome.claims)
    }

    static func percent(_ share: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f %%", share * 100) }

    /// A price per GB-second as AWS publishes it: $0.0000166667.
    static func price(_ value: Double) -> String {
        var text = String(format: "%.10f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// "2" for 2.0 hours, "0.5" for half an hour.
    static func hoursText(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    /// When each cold start of a step arrived, from its first call.
    static func coldStarts(_ step: StepOutcome) {
        let arrivals = step.invocations.filter(\.coldStart).map(\.receivedAtMs).sorted()
        print("")
        if arrivals.isEmpty {
            Narrative.paragraph("No call of this step paid an Init.")
        } else {
            let shown = arrivals.prefix(8).map { $0.twoDecimals + " ms" }.joined(separator: ", ")
            Narrative.paragraph("Cold starts arrived at \(shown)\(arrivals.count > 8 ? " and \(arrivals.count - 8) more" : "") after the step's first call, of \(step.invocations.count) calls over \(step.wallMs.twoDecimals) ms.")
        }
    }
}


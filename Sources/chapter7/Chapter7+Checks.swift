import Foundation
import LambdaLab
import Timing
import Workbook

extension Chapter7 {
    /// Why a fan-out cannot show its lesson: its calls did not overlap on this machine.
    static func notAtOnce(_ step: StepOutcome) -> String? {
        step.arrivedAtOnce ? nil : "the calls did not overlap on this machine (arrivals spread over \(step.arrivalSpreadMs.twoDecimals) ms; the first call ended after \(step.firstFinishMs.twoDecimals) ms), so an environment served two calls: the lesson needs them at once"
    }

    /// Terraform's summary line of a run, without its full stop, for evidence.
    static func summary(_ run: Run) -> String {
        (run.lines.last ?? "no summary").trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// On-demand environments of the worker alias's version, idle now: what calls beyond P reuse.
    static func warmOnDemand(_ lab: Lab) throws -> Int {
        let version = try lab.alias(worker, name: "live").functionVersion
        return lab.environments.filter { $0.functionName == worker && $0.version == version && $0.provisionedFor == nil && $0.phase == "idle" }.count
    }

    /// The provider's calls for one function in apply 1: CreateFunction answered Pending, a
    /// GetFunction answered Active, then CreateAlias — the times of each, or nil when the log shows
    /// another order.
    static func activeBeforeAlias(_ calls: [ProviderCall], function: String) -> String? {
        let mine = calls.filter { $0.subject == function }
        guard let create = mine.firstIndex(where: { $0.operation == "CreateFunction" && $0.state == "Pending" }),
              let alias = mine[create...].firstIndex(where: { $0.operation == "CreateAlias" }),
              let active = mine[create..<alias].lastIndex(where: { $0.operation == "GetFunction" && $0.state == "Active" }) else { return nil }
        return "\(function): Pending at \(mine[create].atSeconds.twoDecimals) s, last read Active at \(mine[active].atSeconds.twoDecimals) s, alias at \(mine[alias].atSeconds.twoDecimals) s"
    }

    /// What the provider did about a code change, from its log: UpdateFunctionCode answered
    /// `$LATEST` (so it asked for no version), a read answered LastUpdateStatus Successful, then
    /// PublishVersion gave `newVersion`, then UpdateAlias moved the alias to it.
    static func codeChange(_ calls: [ProviderCall], function: String, newVersion: String) -> (holds: Bool, evidence: String) {
        let mine = calls.filter { $0.subject == function }
        guard let update = mine.firstIndex(where: { $0.operation == "UpdateFunctionCode" }) else { return (false, "no UpdateFunctionCode in the provider's log") }
        var steps = [mine[update]]
        var holds = mine[update].version == "$LATEST" && mine.filter { $0.operation == "UpdateFunctionCode" }.count == 1
        if let successful = mine[update...].firstIndex(where: { $0.operation == "GetFunction" && $0.lastUpdateStatus == "Successful" }) {
            steps.append(mine[successful])
            if let publish = mine[successful...].firstIndex(where: { $0.operation == "PublishVersion" }) {
                steps.append(mine[publish])
                holds = holds && mine[publish].version == newVersion
                if let alias = mine[publish...].firstIndex(where: { $0.operation == "UpdateAlias" }) {
                    steps.append(mine[alias])
                    holds = holds && mine[alias].aliasVersion == newVersion
                }
            }
        }
        holds = holds && steps.count == 4
        return (holds, steps.map { "\($0.operation) → \($0.answer) at \($0.atSeconds.twoDecimals) s" }.joined(separator: "; "))
    }
}

extension Transcript {
    /// A Terraform run as the chapter prints it: a heading, what it does, Terraform's own lines
    /// about each resource, and the provider's calls that change something or wait.
    func terraform(_ run: Chapter7.Run, _ heading: String, _ text: String) {
        guard printing else { return }
        Narrative.section(heading)
        Narrative.paragraph(text)
        print("")
        for line in run.lines { print("  \(line)") }
        print("  (terraform took \(String(format: "%.1f", run.seconds)) s in all)")
        let shown = ProviderLog.changesAndWaits(run.calls)
        guard !shown.isEmpty else { return }
        print("")
        print("  The provider's calls that change something, and the reads it waited with (its debug log):")
        for line in shown {
            let call = line.call
            let reads = line.reads > 1 ? " (\(line.reads) reads, the last at \(line.lastAt.twoDecimals) s)" : ""
            print("    " + String(format: "%6.2f s", line.firstAt) + "  \(call.operation) \(call.subject ?? call.resource ?? "")"
                  + (call.answer.isEmpty ? "" : " → \(call.answer)") + reads)
        }
    }
}

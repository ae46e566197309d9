import Timing
import Workbook

extension Chapter7 {
    /// The zips Terraform deploys are the ones AWS would run: a bootstrap that asks AL2023 for no
    /// glibc or libstdc++ version it does not have.
    static func packageClaims(worker: DeploymentPackages.Package, orchestrator: DeploymentPackages.Package) -> [Claim] {
        let needs = worker.versionNeeds + orchestrator.versionNeeds
        let tooNew = DeploymentPackages.tooNew(needs)
        return [Claim("Both bootstraps would start on provided.al2023: they need no glibc newer than 2.34 and no libstdc++ newer than 3.4.29",
                      holds: tooNew.isEmpty,
                      evidence: needs.isEmpty ? "static executables: no symbol versions needed at all (readelf -V)"
                          : "needed: \(Set(needs).sorted().joined(separator: ", "))\(tooNew.isEmpty ? "" : "; too new: \(tooNew.joined(separator: ", "))")")]
    }

    /// Why a fan-out cannot show its lesson: its calls did not overlap on this machine.
    static func notAtOnce(_ step: StepOutcome) -> String? {
        step.arrivedAtOnce ? nil : "the calls did not overlap on this machine (arrivals spread over \(step.arrivalSpreadMs.twoDecimals) ms; the first call ended after \(step.firstFinishMs.twoDecimals) ms), so an environment served two calls: the lesson needs them at once"
    }

    static func claims(runs: [Run], planEmpty: Bool, steps: [StepOutcome], reallocation: Reallocation, executedAfterMove: [String],
                       warmBeforeMove: Int, leftovers: Leftovers, n: Int, p: Int) -> [Claim] {
        let (cold, warm, moved) = (steps[0], steps[1], steps[2])
        let first = runs.first { $0.name == "apply" }, provisioned = runs.first { $0.name == "apply with provisioned concurrency" }
        let newVersion = runs.first { $0.name == "apply a new worker version" }, destroy = runs.first { $0.name == "destroy" }
        let onProvisioned = warm.invocations.filter(\.isProvisioned).count, spilled = warm.invocations.filter(\.spillover).count
        return [
            Claim("terraform apply creates the article's stack in the lab: 2 roles, their 3 policies, 2 functions, 2 aliases",
                  holds: first.map { $0.added == 9 && $0.changed == 0 } ?? false,
                  evidence: first.flatMap { $0.lines.last } ?? "no apply"),
            Claim("The lab answers what it was sent: a plan right after the apply finds nothing to change",
                  holds: planEmpty, evidence: planEmpty ? "terraform plan -detailed-exitcode: 0 (no changes)" : "terraform plan found changes to make"),
            Claim("Through the orchestrator's alias, \(n) calls at once start \(n) execution environments, each a cold start",
                  unless: notAtOnce(cold),
                  holds: cold.invocations.count == n && cold.environments == n && cold.coldStarts == n,
                  evidence: "cold fan-out: \(cold.invocations.count) calls, \(cold.environments) environments, \(cold.coldStarts) cold starts"),
            // The calls beyond P spill over to on-demand environments: those the cold fan-out left
            // warm on the same version take them, so none of them needs to be cold.
            Claim("With provisioned concurrency \(p) on the worker's alias (Terraform waited for READY), \(min(n, p)) calls run on provisioned environments, \(max(0, n - p)) spill over, and no call pays an Init that an idle environment could have saved",
                  unless: notAtOnce(warm),
                  holds: provisioned.map { $0.added == 1 } ?? false && onProvisioned == min(n, p) && spilled == max(0, n - p)
                      && warm.coldStarts <= max(0, n - p - cold.environments),
                  evidence: "\(provisioned?.lines.last ?? "no apply"); \(onProvisioned) calls on provisioned environments, \(spilled) spillover, \(warm.coldStarts) cold starts"),
            Claim("New worker code is a new version; the alias moves to it, and the lab allocates its provisioned concurrency again on that version",
                  unless: notAtOnce(moved),
                  holds: newVersion.map { $0.changed >= 2 } ?? false && reallocation.versionAfter != reallocation.versionBefore
                      && reallocation.environments == p && reallocation.environmentVersions == [reallocation.versionAfter]
                      && !executedAfterMove.isEmpty && executedAfterMove.allSatisfy { $0 == reallocation.versionAfter }
                      && moved.coldStarts == max(0, n - p - warmBeforeMove),
                  evidence: "version \(reallocation.versionBefore) → \(reallocation.versionAfter); \(reallocation.environments) provisioned environments on version \(reallocation.environmentVersions.joined(separator: ", ")), READY \(reallocation.readyAfterMs.twoDecimals) ms after the apply; calls ran version \(Set(executedAfterMove).sorted().joined(separator: ", ")) with \(moved.coldStarts) cold starts"),
            Claim("terraform destroy leaves nothing behind: no function, no execution environment, no role",
                  holds: destroy.map { $0.destroyed == 10 } ?? false && leftovers.functions.isEmpty && leftovers.environments == 0 && leftovers.roles.isEmpty,
                  evidence: "\(destroy?.lines.last ?? "no destroy"); functions left \(leftovers.functions.count), environments \(leftovers.environments), roles \(leftovers.roles.count)"),
        ]
    }
}

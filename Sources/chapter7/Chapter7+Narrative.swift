import Foundation
import Timing
import Workbook

extension Chapter7 {
    /// The narrative: reads only the Outcome.
    static func narrate(_ outcome: Outcome) {
        let (n, p) = (outcome.fanOut, outcome.provisioned)
        Narrative.title(7, "the article's stack, deployed with Terraform", question: "Can the article's Terraform deploy to the lab as it deploys to AWS — roles, functions, versions, aliases, provisioned concurrency — and does the fan-out behave the same?")
        print("")
        let packages = outcome.packageBytes.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1f", Double($0.value) / 1_048_576)) MB" }
        let needs = Set(outcome.versionNeeds.values.flatMap { $0 }).sorted()
        Narrative.paragraph("Setup: the worker and the orchestrator packaged as AWS takes a custom runtime, one `bootstrap` (mode 0755) per zip (\(packages.joined(separator: ", "))), each a static executable built for provided.al2023 (\(needs.isEmpty ? "it needs no shared library, so no glibc version" : "needs \(needs.joined(separator: ", "))")): the zips deployed here are the ones AWS would run. A lab on 127.0.0.1 is the endpoint of every service the stack uses (Lambda and IAM). Terraform is the real one (\(outcome.terraform)) with the AWS provider\(outcome.pluginDirectory.map { " from the local mirror \($0)" } ?? ""), applying chapters/terraform/ unchanged: the same files deploy to AWS when `endpoint` is not set.", indent: "")

        terraformRun(outcome.run("apply"), "Apply 1 · the stack",
                     "Two roles with their policies, the two functions from their zips, version 1 of each (publish = true) and an alias `live` on it. Terraform waits after CreateFunction until the function is Active, as on AWS.")
        print("")
        Narrative.paragraph("Then `terraform plan`: \(outcome.planAfterApplyIsEmpty ? "no changes" : "it found changes") — the lab gives back exactly what it was sent, so Terraform sees its state as real.")
        Narrative.step(1, outcome.step("cold fan-out"), expect: "`{}` to the orchestrator's alias: its configuration (FAN_OUT_FUNCTION = the worker's alias, FAN_OUT_WIDTH = \(n)) makes it invoke the worker \(n) times at once. Nothing runs yet: expect \(n) cold starts.")
        Narrative.waterfall(outcome.step("cold fan-out"))

        terraformRun(outcome.run("apply with provisioned concurrency"), "Apply 2 · provisioned concurrency = \(p)",
                     "One new resource, aws_lambda_provisioned_concurrency_config on the alias. Terraform waits until the configuration is READY: every environment has finished Init.")
        Narrative.step(2, outcome.step("on provisioned concurrency"), expect: "The same `{}`. \(min(n, p)) calls find a provisioned environment\(n > p ? "; the other \(n - p) spill over to on-demand environments, and the ones step 1 left warm on the same version take them" : ""): expect no cold start.")

        terraformRun(outcome.run("apply a new worker version"), "Apply 3 · a new worker version",
                     "The worker's package changed (a release file added), so Terraform updates the code and publishes version \(outcome.reallocation.versionAfter), then moves the alias to it. It makes no call about provisioned concurrency: the lab, as AWS, allocates the alias's \(p) environments again on the new version.")
        print("")
        Narrative.paragraph("Re-allocation: version \(outcome.reallocation.versionBefore) → \(outcome.reallocation.versionAfter); \(outcome.reallocation.environments) provisioned environments now run version \(outcome.reallocation.environmentVersions.joined(separator: ", ")), READY \(outcome.reallocation.readyAfterMs.twoDecimals) ms after the apply (measured). On AWS this takes minutes, and the chapter waits for it before the next fan-out.")
        Narrative.step(3, outcome.step("after the new version"), expect: "The same `{}` once more, now on version \(outcome.reallocation.versionAfter)\(n > p ? ": the \(n - p) calls beyond the provisioned environments find no warm environment of this version, so expect \(n - p) cold start\(n - p == 1 ? "" : "s")" : ": expect no cold start").")

        terraformRun(outcome.run("destroy"), "Destroy", "Everything the stack made goes: the provisioned concurrency, aliases, functions (their environments shut down), policies, roles.")
        print("")
        Narrative.paragraph("Left in the lab: \(outcome.afterDestroy.functions.count) functions, \(outcome.afterDestroy.environments) execution environments, \(outcome.afterDestroy.roles.count) roles.")

        Narrative.summary(outcome.steps)
        Narrative.figures()
        Narrative.claims(outcome.claims)
    }

    /// A Terraform run, condensed to its own lines about each resource and its summary.
    static func terraformRun(_ run: Run?, _ heading: String, _ text: String) {
        Narrative.section(heading)
        Narrative.paragraph(text)
        guard let run else { return }
        print("")
        for line in run.lines { print("  \(line)") }
        print("  (terraform took \(String(format: "%.1f", run.seconds)) s in all)")
    }
}

import LabTestSupport
import Testing
import Workbook
@testable import chapter7

/// Chapter 7 with Terraform for real, when it is installed: a fan-out of 3 with provisioned
/// concurrency 2, so one call spills over after each apply. Without Terraform the test says so
/// and passes (the lab's side is proven without it by DeploymentTests).
@Suite("Chapter 7: the article's stack with Terraform", .serialized, .timeLimit(.minutes(10)))
struct Chapter7Tests {
    static let outcome = Task { () -> Chapter7.Outcome? in
        guard Terraform.find() != nil else {
            print("skipped: chapter 7's run needs Terraform on PATH, and this machine has none")
            return nil
        }
        var options = Chapter7.Options()
        options.fanOut = 3
        options.provisioned = 2
        // Only the fan-outs take the lab gate: Terraform's waits would hold every other suite.
        options.aroundFanOut = { fanOut in try await exclusively(fanOut) }
        // Its zips pass through this process (the lab is in it): not while memory is measured.
        return try await withQuietMemory { try await Chapter7.run(options) }
    }

    @Test("apply, plan, provisioned concurrency, a new version, destroy: exact counts, no claim failed; a fan-out the machine spread out says so")
    func wholeChapter() async throws {
        guard let outcome = try await Self.outcome.value else { return }
        #expect(outcome.runs.map(\.name) == ["apply", "apply with provisioned concurrency", "apply a new worker version", "destroy"])
        #expect(outcome.run("apply").map { ($0.added, $0.changed, $0.destroyed) } ?? (0, 0, 0) == (9, 0, 0))
        #expect(outcome.run("destroy")?.destroyed == 10)
        #expect(outcome.planAfterApplyIsEmpty)
        // The spillover call after the first apply finds an on-demand environment of version 1 left
        // warm by the cold fan-out; after the new version, none of version 2 exists yet. Exact, for
        // every fan-out whose calls overlapped (a busy machine may spread one out; then its claim
        // must say so, below).
        let (cold, warm, moved) = (outcome.steps[0], outcome.steps[1], outcome.steps[2])
        if cold.arrivedAtOnce { #expect(cold.coldStarts == 3) }
        if warm.arrivedAtOnce {
            #expect(warm.coldStarts == 0)
            #expect(warm.invocations.filter(\.isProvisioned).count == 2)
            #expect(warm.invocations.filter(\.spillover).count == 1)
        }
        if moved.arrivedAtOnce { #expect(moved.coldStarts == 1) }
        #expect(outcome.reallocation.versionBefore == "1" && outcome.reallocation.versionAfter == "2")
        #expect(outcome.reallocation.environmentVersions == ["2"] && outcome.reallocation.environments == 2)
        #expect(outcome.afterDestroy.functions.isEmpty && outcome.afterDestroy.roles.isEmpty && outcome.afterDestroy.environments == 0)
        let failed = outcome.claims.filter(\.failed).map(\.evidence)
        #expect(failed.isEmpty, "\(failed)")
        let notApplicable = outcome.claims.filter { $0.verdict == .notApplicable }
        #expect(notApplicable.allSatisfy { $0.evidence.contains("did not overlap") }, "\(notApplicable.map(\.evidence))")
        #expect(notApplicable.count <= outcome.steps.filter { !$0.arrivedAtOnce }.count)
        try PictureInspection.check(outcome.picture(), steps: outcome.steps)
    }

    @Test("Terraform's summary lines are read as it writes them")
    func summaries() {
        #expect(Terraform.summary("x\nApply complete! Resources: 9 added, 0 changed, 0 destroyed.\n").map { [$0.added, $0.changed, $0.destroyed] } == [9, 0, 0])
        #expect(Terraform.summary("Apply complete! Resources: 0 added, 2 changed, 1 destroyed.").map { [$0.added, $0.changed, $0.destroyed] } == [0, 2, 1])
        #expect(Terraform.summary("Destroy complete! Resources: 10 destroyed.").map { [$0.added, $0.changed, $0.destroyed] } == [0, 0, 10])
        #expect(Terraform.summary("Error: something") == nil)
        #expect(Terraform.condensed("aws_iam_role.worker: Creating...\naws_iam_role.worker: Creation complete after 0s [id=w]\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.")
            == ["aws_iam_role.worker: Creation complete after 0s [id=w]", "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."])
    }
}

import Foundation
import LabTestSupport
import Testing
import Workbook
@testable import chapter7

/// Chapter 7 with Terraform for real, when it is installed: a fan-out of 3 with provisioned
/// concurrency 2, so one call spills over after each apply — the run the page's "Try this" shows,
/// checked against the page's `Expect:` line. Without Terraform the run is skipped, and says so.
@Suite("Chapter 7: the article's stack with Terraform", .serialized, .timeLimit(.minutes(10)))
struct Chapter7Tests {
    static let tryThis = ["--fan-out", "3", "--provisioned", "2"]

    static let outcome = Task { () -> Chapter7.Outcome in
        var options = try Chapter7.Options(arguments: tryThis)
        // Only the fan-outs take the lab gate: Terraform's waits would hold every other suite.
        options.aroundFanOut = { fanOut in try await exclusively(fanOut) }
        // The static build first, outside the gates (the chapter's own build is then a no-op).
        // Its zips pass through this process (the lab is in it): not while memory is measured.
        _ = try await StaticBinaries.paths()
        return try await withQuietMemory { try await Chapter7.run(options) }
    }

    @Test("apply, plan, provisioned concurrency, new code, destroy: exact counts, the provider's calls, no claim failed",
          .enabled(if: Terraform.find() != nil, "needs Terraform on PATH"))
    func wholeChapter() async throws {
        let outcome = try await Self.outcome.value
        #expect(outcome.runs.map(\.name) == ["apply", "apply with provisioned concurrency", "apply a new worker version", "destroy"])
        #expect(outcome.run("apply").map { [$0.added, $0.changed, $0.destroyed] } == [9, 0, 0])
        #expect(outcome.run("destroy")?.destroyed == 10)
        #expect(outcome.planAfterApplyIsEmpty)
        // The provider's own calls for the code change, read from its debug log.
        let change = outcome.run("apply a new worker version")?.calls.filter { $0.subject == Chapter7.worker }.map(\.operation) ?? []
        let order = ["UpdateFunctionCode", "PublishVersion", "UpdateAlias"].map { change.firstIndex(of: $0) ?? -1 }
        #expect(order.allSatisfy { $0 >= 0 } && order == order.sorted(), "\(change)")
        // The spillover call after the first apply finds an on-demand environment of version 1 left
        // warm by the cold fan-out; after the new version, none of version 2 exists yet. Exact, for
        // every fan-out whose calls overlapped (a busy machine may spread one out; then its claim
        // must say so, below).
        let cold = outcome.step("cold fan-out"), warm = outcome.step("on provisioned concurrency"), moved = outcome.step("after the new version")
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

    @Test("the page's Try this for --fan-out 3 --provisioned 2 states what this run shows",
          .enabled(if: Terraform.find() != nil, "needs Terraform on PATH"))
    func pageExpectation() async throws {
        let outcome = try await Self.outcome.value
        let command = try #require(try PageCommandTests.commands(page: "07-").first { $0.arguments == Self.tryThis })
        #expect(!command.expectations.isEmpty)
        for expectation in command.expectations {
            // A fan-out the machine spread out is not the run the page describes; its claims say so.
            guard case .count(let name, _, _) = expectation, outcome.step(name).arrivedAtOnce else { continue }
            let miss = expectation.check(outcome.steps)
            #expect(miss == nil, "expected \(miss ?? "")")
        }
    }

    @Test("the options: declared once, --help generated, the three forms kept apart")
    func options() throws {
        let usage = Chapter7.Options.command.usage
        for option in ["--fan-out N", "--provisioned P", "--package DIR", "--results FILE", "--recorded-on WHERE", "--svg PATH", "--json"] {
            #expect(usage.contains(option), "\(option) missing from --help")
        }
        #expect(usage.contains("status 3"))
        #expect(try Chapter7.Options(arguments: ["--fan-out", "3", "--provisioned", "2"]).provisionedOrDefault == 2)
        #expect(try Chapter7.Options(arguments: ["--fan-out", "4"]).provisionedOrDefault == 4)
        #expect(try Chapter7.Options(arguments: ["--package", "/tmp/zips"]).package == "/tmp/zips")
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--fan-out", "51"]) }
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--package", "/tmp/zips", "--fan-out", "3"]) }
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--recorded-on", "aws"]) }
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--recorded-on", "mars"]) }
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

    /// Four answers as the provider's debug log writes them (text form, the body on lines of its
    /// own), cut from a real apply against the lab, and a refresh call that must be left out.
    static let providerLog = #"""
        2026-12-04T15:54:52.968Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: rpc.method=GetFunction tf_rpc=ReadResource rpc.service=Lambda http.status_code=200
          http.response.body=
          | {"Configuration":{"FunctionName":"fanout-worker","LastUpdateStatus":"Successful","State":"Active","Version":"$LATEST"}}
        2026-12-04T15:54:58.152Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: tf_resource_type=aws_lambda_function rpc.service=Lambda tf_rpc=ApplyResourceChange http.status_code=200 rpc.method=UpdateFunctionCode
          http.response.body=
          | {"FunctionName":"fanout-worker","LastUpdateStatus":"InProgress","LastUpdateStatusReason":"The function is being created.","State":"Active","Version":"$LATEST"}
           tf_provider_addr=registry.terraform.io/hashicorp/aws timestamp=2026-12-04T15:54:58.152Z
        2026-12-04T15:55:03.160Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: http.status_code=200 rpc.method=GetFunction tf_rpc=ApplyResourceChange rpc.service=Lambda
          http.response.body=
          | {"Configuration":{"FunctionName":"fanout-worker","LastUpdateStatus":"Successful","State":"Active","Version":"$LATEST"},"Tags":{}}
        2026-12-04T15:55:03.161Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: {"@message":"HTTP Request Sent","http.request.body":"{\"ZipFile\":\"UEsDBBQ
        2026-12-04T15:55:03.163Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: tf_resource_type=aws_lambda_function rpc.method=PublishVersion
          http.response.body=
          | {"FunctionName":"fanout-worker","LastUpdateStatus":"Successful","State":"Active","Version":"2"}
           rpc.system=aws-api tf_rpc=ApplyResourceChange http.status_code=201 rpc.service=Lambda
        2026-12-04T15:55:03.191Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Response Received: rpc.method=UpdateAlias tf_rpc=ApplyResourceChange
          http.response.body=
          | {"AliasArn":"arn:aws:lambda:us-east-1:000000000000:function:fanout-worker:live","FunctionVersion":"2","Name":"live"}
           rpc.service=Lambda http.status_code=200 tf_resource_type=aws_lambda_alias
        """#

    @Test("the provider's debug log is read as it writes it: a code change is UpdateFunctionCode without Publish, a wait, PublishVersion, UpdateAlias")
    func providerLog() throws {
        let path = NSTemporaryDirectory() + "provider-log-\(getpid()).log"
        try Data(Self.providerLog.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let calls = ProviderLog.calls(in: path)
        #expect(calls.map(\.operation) == ["UpdateFunctionCode", "GetFunction", "PublishVersion", "UpdateAlias"])
        #expect(calls.map(\.status) == [200, 200, 201, 200])
        #expect(calls.allSatisfy { $0.subject == "fanout-worker" && $0.service == "Lambda" })
        #expect(calls.first?.version == "$LATEST" && calls.first?.lastUpdateStatus == "InProgress" && calls.first?.atSeconds == 0)
        #expect(abs((calls.last?.atSeconds ?? 0) - 5.039) < 0.001)
        #expect(calls.last?.aliasVersion == "2")
        #expect(Chapter7.codeChange(calls, function: "fanout-worker", newVersion: "2").holds)
        #expect(!Chapter7.codeChange(calls, function: "fanout-worker", newVersion: "3").holds)
        // A publish asked of UpdateFunctionCode itself would answer with the version, not $LATEST.
        var published = calls
        published[0].version = "2"
        #expect(!Chapter7.codeChange(published, function: "fanout-worker", newVersion: "2").holds)
        #expect(ProviderLog.changesAndWaits(calls).map(\.call.operation) == ["UpdateFunctionCode", "GetFunction", "PublishVersion", "UpdateAlias"])
    }
}

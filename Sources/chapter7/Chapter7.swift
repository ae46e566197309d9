import Foundation
import LambdaLab
import Timing
import Workbook

/// Chapter 7 — the article's stack, deployed with Terraform. The article builds its orchestrator
/// and worker with Terraform; `chapters/terraform/` is a reconstruction of that stack (the article
/// shows only part of its Terraform). Terraform's real AWS provider applies it to the lab: roles,
/// both functions from their zips, a version and an alias each; then provisioned concurrency on the
/// worker's alias; then new worker code; then destroy. Between the applies, the orchestrator's
/// alias fans out, and every step says what Terraform waited for.
enum Chapter7: Chapter {
    struct Options: ChapterOptions {
        var fanOut = 10
        var provisioned: Int?
        var package: String?
        var results: String?
        var recordedOn: Recording?
        /// Wraps each fan-out: a test runs them one at a time with other tests' measurements,
        /// while Terraform's minute of applying runs beside them.
        var aroundFanOut: @Sendable (_ fanOut: () async throws -> StepOutcome) async throws -> StepOutcome = { try await $0() }

        static let command = Command<Options>("chapter7", [
            .int("fan-out", \.fanOut, in: 1...50, "calls the orchestrator makes to the worker at once"),
            .int("provisioned", \.provisioned, in: 1...50, placeholder: "P", "provisioned concurrency on the worker's alias in apply 2", otherwise: "N"),
            .text("package", \.package, placeholder: "DIR", "only build worker.zip and orchestrator.zip for provided.al2023 into DIR"),
            .text("results", \.results, placeholder: "FILE", "render a recorded fan-out beside the same fan-out in the lab"),
            .choice("recorded-on", \.recordedOn, placeholder: "WHERE", "where FILE was recorded, which the file does not say"),
        ], notes: """
            Three forms:
              swift run chapter7 [--fan-out N] [--provisioned P]     Terraform applies the stack to a lab
              swift run chapter7 --package DIR                        only the provided.al2023 zips
              swift run chapter7 --results FILE --recorded-on WHERE   a recording beside the lab
            The first needs Terraform on PATH: without it, it says so in one line and exits with status 3.
            """)

        func validate() throws {
            let runOptions = fanOut != Options().fanOut || provisioned != nil
            if package != nil, results != nil || recordedOn != nil || runOptions {
                throw WorkbookError.invalidOption("--package DIR takes no other option")
            }
            if let results {
                guard !runOptions else { throw WorkbookError.invalidOption("--results takes its fan-out from FILE: no --fan-out or --provisioned") }
                guard recordedOn != nil else {
                    throw WorkbookError.invalidOption("--results needs --recorded-on aws or lab: where FILE was recorded (the file does not say)")
                }
                guard FileManager.default.isReadableFile(atPath: results) else { throw WorkbookError.invalidOption("--results: cannot read \(results)") }
            } else if recordedOn != nil {
                throw WorkbookError.invalidOption("--recorded-on goes with --results FILE")
            }
        }

        var provisionedOrDefault: Int { provisioned ?? fanOut }
    }

    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome {
        let (n, p) = (options.fanOut, options.provisionedOrDefault)
        transcript.title(7, "the article's stack, deployed with Terraform",
                         question: "What does Terraform create for the article's two functions, what does it wait for at each step, and what happens to the worker's provisioned concurrency when its code changes?")

        // The packages: one static `bootstrap` per zip, as AWS takes a custom runtime. A second
        // worker zip adds a file: new code for apply 3, the same program.
        let terraform = try Terraform(stack: stack)
        defer { terraform.removeFolder() }
        let binaries = try DeploymentPackages.buildStaticBinaries()
        let worker1 = try DeploymentPackages.package("worker", binary: binaries.worker, into: terraform.folder)
        let worker2 = try DeploymentPackages.package("worker", binary: binaries.worker, into: terraform.folder, release: "2")
        let orchestratorZip = try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: terraform.folder)
        let provider = try terraform.initialize()
        let version = try terraform.version()
        let sizes = [worker1, orchestratorZip].map { "\($0.function).zip \(String(format: "%.1f", Double($0.bytes) / 1_048_576)) MB" }
        transcript.say("Setup: chapters/terraform/ is a reconstruction of the article's stack (the article shows only part of its Terraform): two roles, two functions on the custom runtime provided.al2023, a version and an alias `live` each, provisioned concurrency on the worker's alias. Terraform \(version) applies it unchanged, with the AWS provider \(provider ?? "?")\(terraform.pluginDirectory.map { " from the local mirror \($0)" } ?? ""); a lab on 127.0.0.1 is the endpoint of Lambda and IAM. The functions are zips with one static `bootstrap` each (\(sizes.joined(separator: ", "))); how they are built for AWS, and what running them there takes: chapters/running-on-aws.md.")
        let needs = worker1.versionNeeds + orchestratorZip.versionNeeds, tooNew = DeploymentPackages.tooNew(needs)
        transcript.claim("The bootstraps ask AL2023 for no glibc version it lacks (it has 2.34): checked here with readelf; not yet run on provided.al2023",
                         holds: tooNew.isEmpty,
                         evidence: needs.isEmpty ? "readelf -V: no symbol version needed (static executables)"
                             : "needed: \(Set(needs).sorted().joined(separator: ", ")); too new: \(tooNew.isEmpty ? "none" : tooNew.joined(separator: ", "))")

        return try await Lab.with { lab in
            let endpoint = "http://127.0.0.1:\(try lab.startInvokeAPI())"
            func variables(_ workerZip: String, _ provisioned: Int) -> [String: String] {
                ["endpoint": endpoint, "name_prefix": prefix, "worker_zip": workerZip, "orchestrator_zip": orchestratorZip.path,
                 "fan_out_width": String(n), "provisioned_concurrency": String(provisioned)]
            }
            var runs: [Run] = []
            /// One `terraform apply` (or destroy), timed, with the provider's calls from its debug log.
            func terraformRun(_ name: String, destroy: Bool = false, _ workerZip: String, _ provisioned: Int) throws -> Run {
                let log = terraform.folder + "/provider-\(runs.count + 1).log"
                let start = ContinuousClock.now
                let output = destroy ? try terraform.destroy(variables(workerZip, provisioned))
                    : try terraform.apply(variables(workerZip, provisioned), providerLog: log)
                let summary = Terraform.summary(output) ?? (0, 0, 0)
                let run = Run(name: name, lines: Terraform.condensed(output), added: summary.added, changed: summary.changed,
                              destroyed: summary.destroyed, seconds: (ContinuousClock.now - start).seconds, calls: ProviderLog.calls(in: log))
                try? FileManager.default.removeItem(atPath: log)
                runs.append(run)
                return run
            }
            // `{}` to the orchestrator's alias: the stack's FAN_OUT_FUNCTION and FAN_OUT_WIDTH make
            // it a fan-out. The lesson needs its calls at once: one whose calls did not overlap (a
            // busy machine spread them out, and one environment served two calls) is done again,
            // up to three times, where doing it again cannot change what it shows.
            var attempts: [String: Int] = [:]
            func fanOut(_ name: String, redoable: Bool) async throws -> StepOutcome {
                var step: StepOutcome
                var attempt = 0
                repeat {
                    attempt += 1
                    step = try await options.aroundFanOut {
                        try await FanOutStep.run(lab, name: name, orchestrator: orchestrator, orchestratorQualifier: "live", target: nil, count: nil)
                    }
                } while redoable && attempt < 3 && !step.arrivedAtOnce
                attempts[name] = attempt
                if attempt > 1 { transcript.say("⚠ This fan-out's calls did not overlap on this machine, so it was done \(attempt) times; what follows is the last.") }
                return step
            }

            // 1. The stack, without provisioned concurrency.
            let first = try terraformRun("apply", worker1.path, 0)
            transcript.terraform(first, "Apply 1 · the stack", "Nine resources: two roles, their three policies, both functions from their zips (`publish = true`: version 1 of each), an alias `live` on each.")
            let aliases = [worker, orchestrator].map { try? lab.alias($0, name: "live").functionVersion }
            transcript.claim("terraform apply creates the stack in the lab: 2 roles, 2 functions, an alias `live` on version 1 of each (9 resources with the 3 policies)",
                             holds: first.added == 9 && Set(lab.functionNames) == [worker, orchestrator] && lab.iam.roleNames.count == 2 && aliases == ["1", "1"],
                             evidence: "\(summary(first)); functions \(lab.functionNames.sorted().joined(separator: ", ")); roles \(lab.iam.roleNames.count); aliases on version \(aliases.map { $0 ?? "none" }.joined(separator: ", "))")
            let waits = [worker, orchestrator].map { activeBeforeAlias(first.calls, function: $0) }
            transcript.claim("Terraform waits for each function to be Active before it puts an alias on it: CreateFunction answered Pending, a GetFunction answered Active, then CreateAlias",
                             holds: waits.allSatisfy { $0 != nil }, evidence: waits.map { $0 ?? "no such sequence" }.joined(separator: "; "))
            let planEmpty = try terraform.planShowsNoChanges(variables(worker1.path, 0))
            transcript.say("Then `terraform plan`: \(planEmpty ? "no changes" : "it found changes to make"). Terraform compares what it sent with what every read gives back (GetFunction, ListVersionsByFunction, GetRole, …); a field the lab dropped or added would show here as a change.")
            transcript.claim("A plan right after the apply finds nothing to change: the lab gives back what Terraform sent",
                             holds: planEmpty, evidence: "terraform plan -detailed-exitcode: \(planEmpty ? "0 (no changes)" : "2 (changes)")")

            let cold = try await fanOut("cold fan-out", redoable: false)
            transcript.step(cold, "`{}` to the orchestrator's alias: it invokes the worker's alias \(n) times at once. Nothing runs yet: expect \(n) environments and \(n) cold starts, as in chapter 3.", burst: true)
            transcript.waterfall(cold)
            transcript.claim("Through the orchestrator's alias, \(n) calls at once start \(n) execution environments, each a cold start",
                             unless: notAtOnce(cold), holds: cold.invocations.count == n && cold.environments == n && cold.coldStarts == n,
                             evidence: "cold fan-out: \(cold.invocations.count) calls, \(cold.environments) environments, \(cold.coldStarts) cold starts")

            // 2. Provisioned concurrency on the worker's alias.
            let second = try terraformRun("apply with provisioned concurrency", worker1.path, p)
            transcript.terraform(second, "Apply 2 · provisioned concurrency = \(p)", "One new resource on the worker's alias. The provider sends PutProvisionedConcurrencyConfig, then reads the configuration until it is READY: every environment has run its Init.")
            let allocated = lab.environments.filter { $0.functionName == worker && $0.provisionedFor == "live" }
            let put = second.calls.first { $0.operation == "PutProvisionedConcurrencyConfig" }
            let readyRead = second.calls.first { $0.operation == "GetProvisionedConcurrencyConfig" && $0.provisionedStatus == "READY" }
            transcript.claim("Terraform reports provisioned concurrency created only once it is READY: when the apply ended, the lab had \(p) environments of version 1, each through Init",
                             holds: second.added == 1 && put?.provisionedStatus == "IN_PROGRESS" && readyRead != nil
                                 && allocated.count == p && allocated.allSatisfy { $0.version == "1" && $0.initDuration != nil },
                             evidence: "PutProvisionedConcurrencyConfig → \(put?.provisionedStatus ?? "no call"); READY read at \((readyRead?.atSeconds ?? 0).twoDecimals) s; when the apply ended: \(allocated.count) provisioned environments of version \(Set(allocated.map(\.version)).sorted().joined(separator: ", ")), \(allocated.filter { $0.initDuration != nil }.count) of them through Init")
            let warm = try await fanOut("on provisioned concurrency", redoable: true)
            transcript.step(warm, "The same `{}`. \(min(n, p)) calls find a provisioned environment\(n > p ? "; the other \(n - p) spill over to on-demand environments, and the ones step 1 left warm on version 1 take them" : ""): expect no cold start.", burst: true)
            let onProvisioned = warm.invocations.filter(\.isProvisioned).count, spilled = warm.invocations.filter(\.spillover).count
            // The calls beyond P spill over to on-demand environments: those the cold fan-out left
            // warm on the same version take them, so none of them needs to be cold.
            transcript.claim("With provisioned concurrency \(p), \(min(n, p)) calls run on provisioned environments, \(max(0, n - p)) spill over, and no call pays an Init that an idle environment could have saved",
                             unless: notAtOnce(warm),
                             holds: onProvisioned == min(n, p) && spilled == max(0, n - p) && warm.coldStarts <= max(0, n - p - cold.environments),
                             evidence: "\(onProvisioned) calls on provisioned environments, \(spilled) spillover, \(warm.coldStarts) cold starts")

            // 3. New worker code: a new version, the alias moves, and the lab allocates the alias's
            //    provisioned concurrency again on it (Terraform makes no call for that).
            let before = try lab.alias(worker, name: "live").functionVersion
            let third = try terraformRun("apply a new worker version", worker2.path, p)
            let applied = ContinuousClock.now
            transcript.terraform(third, "Apply 3 · new worker code", "The worker's zip changed (a file added), so its `source_code_hash` changed: Terraform updates the function's code, publishes a version, and moves the alias to it.")
            let after = try lab.alias(worker, name: "live").functionVersion
            let sequence = codeChange(third.calls, function: worker, newVersion: after)
            transcript.claim("On a code change the provider sends UpdateFunctionCode without Publish (the lab answered Version $LATEST), waits until LastUpdateStatus is Successful, then PublishVersion, then UpdateAlias",
                             holds: sequence.holds, evidence: sequence.evidence)
            _ = try await lab.waitForProvisionedConcurrency(worker, qualifier: "live")
            let reallocation = Reallocation(versionBefore: before, versionAfter: after,
                                            environments: lab.environments.filter { $0.functionName == worker && $0.provisionedFor == "live" },
                                            readyAfterMs: (ContinuousClock.now - applied).milliseconds)
            transcript.say("Re-allocation: no call of Terraform's asked for it. The lab, as AWS's documentation describes (chapters/aws-facts.md#provisioned-concurrency), moved the alias's provisioned concurrency from version \(before) to \(after): \(reallocation.environments) environments now run version \(reallocation.environmentVersions.joined(separator: ", ")), READY \(reallocation.readyAfterMs.twoDecimals) ms after the apply (measured). AWS's 2023 documentation said allocation starts \"after a minute or two of preparation\"; the chapter waits for READY before the next fan-out.")
            // Calls beyond P need on-demand environments of the new version: none exist yet, so
            // they are cold; done again, they would not be — so this fan-out is not done again.
            let warmBeforeMove = try warmOnDemand(lab)
            let moved = try await fanOut("after the new version", redoable: false)
            transcript.step(moved, "The same `{}` once more, now on version \(after)\(n > p ? ": the \(n - p) call\(n - p == 1 ? "" : "s") beyond the provisioned environments find\(n - p == 1 ? "s" : "") no warm environment of this version, so expect \(n - p) cold start\(n - p == 1 ? "" : "s")" : ": expect no cold start").", burst: true)
            let executed = lab.records(requestIDs: moved.invocations.map(\.requestID)).map(\.executedVersion)
            transcript.claim("New worker code is a new version; the alias moves to it, and the lab allocates its provisioned concurrency again on that version",
                             unless: notAtOnce(moved),
                             holds: third.changed >= 2 && after != before && reallocation.environments == p && reallocation.environmentVersions == [after]
                                 && !executed.isEmpty && executed.allSatisfy { $0 == after } && moved.coldStarts == max(0, n - p - warmBeforeMove),
                             evidence: "version \(before) → \(after); \(reallocation.environments) provisioned environments on version \(reallocation.environmentVersions.joined(separator: ", ")); calls ran version \(Set(executed).sorted().joined(separator: ", ")) with \(moved.coldStarts) cold start\(moved.coldStarts == 1 ? "" : "s")")

            // 4. Everything goes.
            let last = try terraformRun("destroy", destroy: true, worker2.path, p)
            transcript.terraform(last, "Destroy", "Everything the stack made goes, in dependency order: provisioned concurrency, aliases, functions (their environments shut down), policies, roles.")
            let leftovers = Leftovers(functions: lab.functionNames, environments: lab.environments.count, roles: lab.iam.roleNames)
            transcript.claim("terraform destroy leaves nothing behind: no function, no execution environment, no role",
                             holds: last.destroyed == 10 && leftovers.functions.isEmpty && leftovers.environments == 0 && leftovers.roles.isEmpty,
                             evidence: "\(summary(last)); left: \(leftovers.functions.count) functions, \(leftovers.environments) environments, \(leftovers.roles.count) roles")

            transcript.summary()
            transcript.say("On AWS the same applies wait longer — a function's Pending state and provisioned concurrency's allocation take real time there — and the zips, the account's quota and the cost need care: chapters/running-on-aws.md.")
            transcript.recap()
            return Outcome(fanOut: n, provisioned: p, terraformVersion: version, terraform: terraform.executable, provider: provider,
                           pluginDirectory: terraform.pluginDirectory,
                           packageBytes: ["worker": worker1.bytes, "worker (release 2)": worker2.bytes, "orchestrator": orchestratorZip.bytes],
                           versionNeeds: ["worker": worker1.versionNeeds, "orchestrator": orchestratorZip.versionNeeds],
                           runs: runs, planAfterApplyIsEmpty: planEmpty, fanOutAttempts: attempts, steps: transcript.steps,
                           reallocation: reallocation, afterDestroy: leftovers, claims: transcript.claims)
        }
    }
}

import Foundation
import LambdaLab
import Timing
import Workbook

/// Chapter 7 — the article's stack, deployed with Terraform. The lab is the deployment target:
/// Terraform's AWS provider creates the roles, the two functions from their zips, versions and
/// aliases, then provisioned concurrency, a new version of the worker, and destroys it all — and
/// between the applies the orchestrator's alias fans out, cold and then warm.
enum Chapter7 {
    struct Options: Sendable {
        /// N: how many times the orchestrator invokes the worker at once.
        var fanOut = 10
        /// P: provisioned concurrency of the worker's alias in the second apply (default N).
        var provisioned: Int?
        /// Wraps each fan-out: a test runs them one at a time with other tests' measurements,
        /// while Terraform's minute of applying runs beside them.
        var aroundFanOut: @Sendable (_ fanOut: () async throws -> StepOutcome) async throws -> StepOutcome = { try await $0() }

        static let usage = """
            usage: swift run chapter7 [--fan-out N] [--provisioned P] [--json]
                   swift run chapter7 --package DIR
                   swift run chapter7 --results FILE [--json]

              --fan-out N      how many times the orchestrator invokes the worker at once, 1–50 (default 10)
              --provisioned P  provisioned concurrency on the worker's alias in the second apply, 1–50 (default N)
              --svg PATH       also write a picture of the run (SVG) to PATH
              --json           print only the Outcome, as one JSON object
              --package DIR    only build worker.zip and orchestrator.zip for provided.al2023 into DIR
              --results FILE   render the orchestrator's answer recorded on AWS, beside the same fan-out in the lab

            Needs Terraform on PATH; without it, says so in one line and exits with status 3.
            """

        init() {}

        init(arguments: [String]) throws {
            let options = try CommandLineOptions(arguments, valued: ["fan-out", "provisioned"])
            fanOut = try options.int("fan-out", default: fanOut, in: 1...50)
            provisioned = options.string("provisioned") == nil ? nil : try options.int("provisioned", default: fanOut, in: 1...50)
        }

        var provisionedOrDefault: Int { provisioned ?? fanOut }
    }

    /// One `terraform apply` or `destroy`: Terraform's own lines, condensed, and its summary.
    struct Run: Codable, Sendable {
        var name: String
        var lines: [String]
        var added: Int
        var changed: Int
        var destroyed: Int
        var seconds: Double
    }

    struct Reallocation: Codable, Sendable {
        var versionBefore: String
        var versionAfter: String
        /// The alias's provisioned environments once READY again, and the version they run.
        var environments: Int
        var environmentVersions: [String]
        /// Apply finished → the configuration READY again, measured.
        var readyAfterMs: Double
    }

    struct Leftovers: Codable, Sendable {
        var functions: [String]
        var environments: Int
        var roles: [String]
    }

    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 7
        var fanOut: Int
        var provisioned: Int
        var terraform: String
        var pluginDirectory: String?
        var packageBytes: [String: Int]
        /// Each bootstrap's symbol-version needs (empty for a static executable).
        var versionNeeds: [String: [String]]
        var runs: [Run]
        /// `terraform plan` right after the first apply found nothing to change.
        var planAfterApplyIsEmpty: Bool
        var steps: [StepOutcome]
        var reallocation: Reallocation
        var afterDestroy: Leftovers
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 7 · the article's stack, deployed with Terraform (N = \(fanOut), P = \(provisioned))" }
        func run(_ name: String) -> Run? { runs.first { $0.name == name } }
    }

    static let prefix = "fanout"
    static var worker: String { "\(prefix)-worker" }
    static var orchestrator: String { "\(prefix)-orchestrator" }

    /// `chapters/terraform/`, found from this source file: the chapter runs from a checkout.
    static let stack = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("chapters/terraform").path

    static func run(_ options: Options) async throws -> Outcome {
        let (n, p) = (options.fanOut, options.provisionedOrDefault)
        let terraform = try Terraform(stack: stack)
        defer { terraform.removeFolder() }
        // The same zips deploy to AWS: static executables that start on provided.al2023.
        let binaries = try DeploymentPackages.buildStaticBinaries()
        let worker1 = try DeploymentPackages.package("worker", binary: binaries.worker, into: terraform.folder)
        let worker2 = try DeploymentPackages.package("worker", binary: binaries.worker, into: terraform.folder, release: "2")
        let orchestratorZip = try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: terraform.folder)
        _ = try terraform.initialize()

        return try await Lab.with { lab in
            let endpoint = "http://127.0.0.1:\(try lab.startInvokeAPI())"
            func variables(_ workerZip: String, provisioned: Int) -> [String: String] {
                ["endpoint": endpoint, "name_prefix": prefix, "worker_zip": workerZip, "orchestrator_zip": orchestratorZip.path,
                 "fan_out_width": String(n), "provisioned_concurrency": String(provisioned)]
            }
            var runs: [Run] = []
            func record(_ name: String, _ body: () throws -> String) throws {
                let start = ContinuousClock.now
                let output = try body()
                let summary = Terraform.summary(output) ?? (0, 0, 0)
                runs.append(Run(name: name, lines: Terraform.condensed(output), added: summary.added, changed: summary.changed,
                                destroyed: summary.destroyed, seconds: (ContinuousClock.now - start).seconds))
            }
            // `{}` to the orchestrator's alias: the stack's FAN_OUT_FUNCTION and FAN_OUT_WIDTH decide.
            // The lesson needs the calls at once: a fan-out whose calls did not overlap (a busy
            // machine spread them out, and one call's environment served the next) is done again,
            // up to three times, when doing it again cannot change what it shows; otherwise, or if
            // it never overlaps, its claims say the machine could not show it.
            func fanOut(_ name: String, redoable: Bool) async throws -> StepOutcome {
                var step = StepOutcome(name: name, invocations: [], wallMs: 0, sendSpreadMs: 0)
                for _ in 0..<(redoable ? 3 : 1) {
                    step = try await options.aroundFanOut {
                        try await FanOutStep.run(lab, name: name, orchestrator: orchestrator, orchestratorQualifier: "live", target: nil, count: nil)
                    }
                    if step.arrivedAtOnce { break }
                }
                return step
            }
            /// On-demand environments of the worker's alias version, idle now: what calls beyond P reuse.
            func warmOnDemand() throws -> Int {
                let version = try lab.alias(worker, name: "live").functionVersion
                return lab.environments.filter { $0.functionName == worker && $0.version == version && $0.provisionedFor == nil && $0.phase == "idle" }.count
            }

            // 1. The stack, without provisioned concurrency; then a plan that must find nothing to do.
            try record("apply") { try terraform.apply(variables(worker1.path, provisioned: 0)) }
            let planEmpty = try terraform.planShowsNoChanges(variables(worker1.path, provisioned: 0))
            let cold = try await fanOut("cold fan-out", redoable: false)
            // 2. Provisioned concurrency on the worker's alias: Terraform waits for READY.
            try record("apply with provisioned concurrency") { try terraform.apply(variables(worker1.path, provisioned: p)) }
            // Done again, it shows the same: P calls on provisioned environments, the rest on the
            // on-demand ones the cold fan-out left warm.
            let warm = try await fanOut("on provisioned concurrency", redoable: true)
            // 3. New worker code: a new version, the alias moves, and the lab allocates the alias's
            //    provisioned concurrency again on it (Terraform makes no call for that).
            let before = try lab.alias(worker, name: "live").functionVersion
            try record("apply a new worker version") { try terraform.apply(variables(worker2.path, provisioned: p)) }
            let applied = ContinuousClock.now
            _ = try await lab.waitForProvisionedConcurrency(worker, qualifier: "live")
            let readyAfter = (ContinuousClock.now - applied).milliseconds
            let after = try lab.alias(worker, name: "live").functionVersion
            let provisionedNow = lab.environments.filter { $0.functionName == worker && $0.provisionedFor == "live" }
            // Calls beyond P need on-demand environments of the new version: none exist yet, so
            // they are cold; done again, they would not be — so this one is not done again.
            let warmBeforeMove = try warmOnDemand()
            let moved = try await fanOut("after the new version", redoable: false)
            // 4. Everything goes.
            try record("destroy") { try terraform.destroy(variables(worker2.path, provisioned: p)) }
            let leftovers = Leftovers(functions: lab.functionNames, environments: lab.environments.count, roles: lab.iam.roleNames)

            let steps = [cold, warm, moved]
            let reallocation = Reallocation(versionBefore: before, versionAfter: after, environments: provisionedNow.count,
                                            environmentVersions: Array(Set(provisionedNow.map(\.version))).sorted(), readyAfterMs: readyAfter)
            let executed = lab.records(requestIDs: moved.invocations.map(\.requestID)).map(\.executedVersion)
            return Outcome(fanOut: n, provisioned: p, terraform: terraform.executable, pluginDirectory: terraform.pluginDirectory,
                           packageBytes: ["worker": worker1.bytes, "worker (release 2)": worker2.bytes, "orchestrator": orchestratorZip.bytes],
                           versionNeeds: ["worker": worker1.versionNeeds, "orchestrator": orchestratorZip.versionNeeds],
                           runs: runs, planAfterApplyIsEmpty: planEmpty, steps: steps, reallocation: reallocation, afterDestroy: leftovers,
                           claims: packageClaims(worker: worker1, orchestrator: orchestratorZip) + claims(runs: runs, planEmpty: planEmpty, steps: steps, reallocation: reallocation, executedAfterMove: executed, warmBeforeMove: warmBeforeMove,
                                          leftovers: leftovers, n: n, p: p))
        }
    }
}

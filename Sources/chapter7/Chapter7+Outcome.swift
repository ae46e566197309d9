import Foundation
import LambdaLab
import Workbook

extension Chapter7 {
    /// What a run recorded, step by step: `--json` prints it, the tests read it.
    struct Outcome: Codable, Sendable, ChapterOutcome {
        var chapter = 7
        var fanOut: Int
        var provisioned: Int
        var terraformVersion: String
        var terraform: String
        /// The AWS provider's version as `terraform init` installed it.
        var provider: String?
        var pluginDirectory: String?
        var packageBytes: [String: Int]
        /// Each bootstrap's symbol-version needs (empty for a static executable).
        var versionNeeds: [String: [String]]
        var runs: [Run]
        /// `terraform plan` right after the first apply found nothing to change.
        var planAfterApplyIsEmpty: Bool
        /// How many times each fan-out was run before its calls overlapped (1 to 3).
        var fanOutAttempts: [String: Int]
        var steps: [StepOutcome]
        var reallocation: Reallocation
        var afterDestroy: Leftovers
        var claims: [Claim]

        var pictureTitle: String { "Lambda Lab · chapter 7 · the article's stack, deployed with Terraform (N = \(fanOut), P = \(provisioned))" }
        func run(_ name: String) -> Run? { runs.first { $0.name == name } }
    }

    /// One `terraform apply` or `destroy`: Terraform's own lines, condensed, its summary, and the
    /// calls its AWS provider made (from the provider's debug log; none for destroy).
    struct Run: Codable, Sendable {
        var name: String
        var lines: [String]
        var added: Int
        var changed: Int
        var destroyed: Int
        var seconds: Double
        var calls: [ProviderCall]
    }

    struct Reallocation: Codable, Sendable {
        var versionBefore: String
        var versionAfter: String
        /// The alias's provisioned environments once READY again, and the versions they run.
        var environments: Int
        var environmentVersions: [String]
        /// Apply finished → the configuration READY again, measured.
        var readyAfterMs: Double

        init(versionBefore: String, versionAfter: String, environments: [EnvironmentInfo], readyAfterMs: Double) {
            self.versionBefore = versionBefore
            self.versionAfter = versionAfter
            self.environments = environments.count
            environmentVersions = Set(environments.map(\.version)).sorted()
            self.readyAfterMs = readyAfterMs
        }
    }

    struct Leftovers: Codable, Sendable {
        var functions: [String]
        var environments: Int
        var roles: [String]
    }

    /// Where a `--results` file was recorded: the reader says so (`--recorded-on`), because the
    /// orchestrator's answer looks the same wherever it was made.
    enum Recording: String, CaseIterable, Codable, Sendable {
        case aws, lab

        /// "on AWS", "in the lab".
        var place: String { self == .aws ? "on AWS" : "in the lab" }
    }

    /// The stack's `name_prefix`, and the functions' names it gives.
    static let prefix = "fanout"
    static var worker: String { "\(prefix)-worker" }
    static var orchestrator: String { "\(prefix)-orchestrator" }

    /// `chapters/terraform/`, found from this source file: the chapter runs from a checkout.
    static let stack = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("chapters/terraform").path
}

import Foundation

/// Terraform as the chapter drives it: the real `terraform` binary, in a working folder of its own
/// with a copy of `chapters/terraform/`, its AWS provider from a local mirror when the machine has
/// one (so it works offline), and nothing in the repository touched.
struct Terraform {
    enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case failed(command: String, status: Int32, output: String)

        var description: String {
            switch self {
            case .notInstalled:
                "Terraform is not installed (no `terraform` on PATH). Install it (https://developer.hashicorp.com/terraform/install) and run chapter 7 again."
            case .failed(let command, let status, let output):
                "`terraform \(command)` failed (status \(status)):\n" + output.split(separator: "\n").suffix(25).joined(separator: "\n")
            }
        }
    }

    let executable: String
    let folder: String
    /// The local provider mirror used, if any (`-plugin-dir`).
    let pluginDirectory: String?
    private let environment: [String: String]

    /// Where a local mirror of the AWS provider may be: `LAB_TERRAFORM_PLUGIN_DIR`, then the usual
    /// places. Each is a folder holding `registry.terraform.io/hashicorp/aws`.
    static func pluginMirror() -> String? {
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let candidates = [ProcessInfo.processInfo.environment["LAB_TERRAFORM_PLUGIN_DIR"], "/opt/tf-plugins",
                          home + "/.terraform.d/plugins", "/usr/share/terraform/plugins", "/usr/local/share/terraform/plugins"]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/registry.terraform.io/hashicorp/aws") }
    }

    static func find() -> String? { Subprocess.find("terraform") }

    /// A working folder with the stack's files, and a CLI configuration that prefers the mirror.
    init(stack: String) throws {
        guard let executable = Terraform.find() else { throw Failure.notInstalled }
        self.executable = executable
        folder = NSTemporaryDirectory() + "lambda-lab-terraform-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: stack) where file.hasSuffix(".tf") {
            try FileManager.default.copyItem(atPath: stack + "/" + file, toPath: folder + "/" + file)
        }
        pluginDirectory = Terraform.pluginMirror()
        var environment = ProcessInfo.processInfo.environment
        if let mirror = pluginDirectory {
            let rc = folder + "/terraform.rc"
            try """
                provider_installation {
                  filesystem_mirror {
                    path    = "\(mirror)"
                    include = ["registry.terraform.io/hashicorp/aws"]
                  }
                  direct {
                    exclude = ["registry.terraform.io/hashicorp/aws"]
                  }
                }
                """.write(toFile: rc, atomically: true, encoding: .utf8)
            environment["TF_CLI_CONFIG_FILE"] = rc
        }
        environment["TF_IN_AUTOMATION"] = "1"
        environment["TF_INPUT"] = "0"
        // The lab checks no signature; the provider still wants credentials to sign with.
        environment["AWS_ACCESS_KEY_ID"] = "lab"
        environment["AWS_SECRET_ACCESS_KEY"] = "lab"
        environment.removeValue(forKey: "AWS_PROFILE")
        self.environment = environment
    }

    /// `terraform init`; returns the AWS provider's version it installed ("5.100.0").
    func initialize() throws -> String? {
        let output = try run(["init", "-no-color", "-input=false"] + (pluginDirectory.map { ["-plugin-dir=\($0)"] } ?? []))
        // "- Installed hashicorp/aws v5.100.0 (unauthenticated)"
        guard let range = output.range(of: "Installed hashicorp/aws v") else { return nil }
        return String(output[range.upperBound...].prefix { $0.isNumber || $0 == "." }).trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// "Terraform v1.11.4" → "1.11.4".
    func version() throws -> String {
        let output = try run(["version"])
        return output.split(separator: "\n").first.map { String($0.dropFirst("Terraform v".count)) } ?? "?"
    }

    /// `terraform apply`; with `providerLog`, the AWS provider writes its debug log there
    /// (`TF_LOG_PROVIDER=debug`): every call it makes and every answer, which `ProviderLog` reads.
    func apply(_ variables: [String: String], providerLog: String? = nil) throws -> String {
        var extra: [String: String] = [:]
        if let providerLog { extra = ["TF_LOG_PROVIDER": "debug", "TF_LOG_PATH": providerLog] }
        return try run(["apply", "-no-color", "-input=false", "-auto-approve"] + Terraform.flags(variables), extra: extra)
    }

    /// `plan -detailed-exitcode`: true when Terraform finds nothing to change.
    func planShowsNoChanges(_ variables: [String: String]) throws -> Bool {
        let (status, output) = try launch(["plan", "-no-color", "-input=false", "-detailed-exitcode"] + Terraform.flags(variables))
        switch status {
        case 0: return true
        case 2: return false
        default: throw Failure.failed(command: "plan", status: status, output: output)
        }
    }

    func destroy(_ variables: [String: String]) throws -> String {
        try run(["destroy", "-no-color", "-input=false", "-auto-approve"] + Terraform.flags(variables))
    }

    func removeFolder() { try? FileManager.default.removeItem(atPath: folder) }

    private static func flags(_ variables: [String: String]) -> [String] {
        variables.sorted { $0.key < $1.key }.flatMap { ["-var", "\($0.key)=\($0.value)"] }
    }

    private func run(_ arguments: [String], extra: [String: String] = [:]) throws -> String {
        let (status, output) = try launch(arguments, extra: extra)
        guard status == 0 else { throw Failure.failed(command: arguments.first ?? "", status: status, output: output) }
        return output
    }

    /// Runs terraform in the working folder.
    private func launch(_ arguments: [String], extra: [String: String] = [:]) throws -> (Int32, String) {
        try Subprocess.run(executable, arguments, in: folder, environment: environment.merging(extra) { $1 })
    }

    /// Terraform's own lines worth keeping: what it did to each resource and its summary.
    static func condensed(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            line.contains(" complete after ") || line.hasPrefix("Apply complete!") || line.hasPrefix("Destroy complete!")
        }
    }

    /// "Apply complete! Resources: 9 added, 0 changed, 0 destroyed." → (9, 0, 0).
    static func summary(_ output: String) -> (added: Int, changed: Int, destroyed: Int)? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Apply complete!") || $0.hasPrefix("Destroy complete!") }) else { return nil }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        if line.hasPrefix("Destroy"), let destroyed = numbers.first { return (0, 0, destroyed) }
        guard numbers.count >= 3 else { return nil }
        return (numbers[0], numbers[1], numbers[2])
    }
}

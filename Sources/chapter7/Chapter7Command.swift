import Console
import Foundation
import Workbook

/// Chapter 7's three forms, from one declaration of its options (`Chapter7.Options`, whose
/// `--help` lists all three): the run with Terraform, `--package DIR`, `--results FILE`.
@main
struct Chapter7Command {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            await ChapterMain.run(Chapter7.self)
            return
        }
        let options = CommandLineOptions.parseOrExit { try Chapter7.Options(arguments: arguments) }
        // `--package DIR`: only build the provided.al2023 zips, check them, and say where they are.
        if let folder = options.package {
            guard !arguments.contains("--json"), !arguments.contains(where: { $0.hasPrefix("--svg") }) else {
                Console.error("error: --package DIR takes no other option")
                exit(2)
            }
            exit(package(into: folder))
        }
        // `--results FILE`: a recorded fan-out beside the lab's. No Terraform needed.
        if options.results != nil {
            await ChapterMain.run(Chapter7Results.self)
            return
        }
        // No Terraform, no chapter: one line, and a status of its own (3) for scripts to tell it
        // apart from a failure (1) or a bad option (2).
        guard Terraform.find() != nil else {
            Console.error("chapter7: \(Terraform.Failure.notInstalled)")
            exit(3)
        }
        await ChapterMain.run(Chapter7.self)
    }

    /// Builds `worker.zip` and `orchestrator.zip` for provided.al2023 into `folder`: 0 when both
    /// bootstraps pass the AL2023 check, 1 otherwise.
    static func package(into folder: String) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let binaries = try DeploymentPackages.buildStaticBinaries()
            var passed = true
            for (function, binary) in [("worker", binaries.worker), ("orchestrator", binaries.orchestrator)] {
                let package = try DeploymentPackages.package(function, binary: binary, into: folder)
                let tooNew = DeploymentPackages.tooNew(package.versionNeeds)
                passed = passed && tooNew.isEmpty
                print("\(package.path)  \(package.bytes) bytes  bootstrap needs: \(package.versionNeeds.isEmpty ? "nothing (static)" : package.versionNeeds.joined(separator: " "))"
                      + (tooNew.isEmpty ? "" : "  — too new for AL2023: \(tooNew.joined(separator: " "))"))
            }
            return passed ? 0 : 1
        } catch {
            Console.error("chapter7 --package failed: \(error)")
            return 1
        }
    }
}

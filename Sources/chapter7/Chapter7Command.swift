import Console
import Foundation
import Workbook

@main
struct Chapter7Command {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        // `--package DIR`: only build the provided.al2023 zips, check them, and say where they are.
        if let flag = arguments.firstIndex(of: "--package") {
            guard flag + 1 < arguments.endIndex else {
                Console.error("error: --package needs a folder")
                exit(2)
            }
            exit(package(into: arguments[flag + 1]))
        }
        // `--results FILE`: a fan-out recorded on AWS, rendered beside the lab's. No Terraform needed.
        if arguments.contains(where: { $0 == "--results" || $0.hasPrefix("--results=") }) {
            await ChapterMain.run(name: "chapter7", usage: Chapter7.Options.usage, parse: Chapter7.ResultsOptions.init(arguments:),
                                  experiment: Chapter7.results, narrate: Chapter7.narrateResults)
            return
        }
        // No Terraform, no chapter: one line, and a status of its own (3) for scripts to tell it
        // apart from a failure (1) or a bad option (2).
        if !arguments.contains("--help"), !arguments.contains("-h"), Terraform.find() == nil {
            Console.error("chapter7: \(Terraform.Failure.notInstalled)")
            exit(3)
        }
        await ChapterMain.run(name: "chapter7", usage: Chapter7.Options.usage, parse: Chapter7.Options.init(arguments:),
                              experiment: Chapter7.run, narrate: Chapter7.narrate)
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

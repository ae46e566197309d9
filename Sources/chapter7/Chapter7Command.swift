import Console
import Foundation
import Workbook

@main
struct Chapter7Command {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        // No Terraform, no chapter: one line, and a status of its own (3) for scripts to tell it
        // apart from a failure (1) or a bad option (2).
        if !arguments.contains("--help"), !arguments.contains("-h"), Terraform.find() == nil {
            Console.error("chapter7: \(Terraform.Failure.notInstalled)")
            exit(3)
        }
        await ChapterMain.run(name: "chapter7", usage: Chapter7.Options.usage, parse: Chapter7.Options.init(arguments:),
                              experiment: Chapter7.run, narrate: Chapter7.narrate)
    }
}

import Foundation
import RuntimeAPI
import Workbook

@main
struct Chapter3Command {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let options = CommandLineOptions.parseOrExit { try Chapter3.Options(arguments: arguments) }
        if arguments.contains("--help") || arguments.contains("-h") {
            print(Chapter3.Options.usage)
            return
        }
        let json = arguments.contains("--json")
        Console.lineBufferStandardOutput()
        do {
            let outcome = try await Chapter3.run(options)
            if json { try Narrative.json(outcome) } else { Chapter3.narrate(outcome) }
        } catch {
            Console.error("chapter3 failed: \(error)")
            exit(1)
        }
    }
}

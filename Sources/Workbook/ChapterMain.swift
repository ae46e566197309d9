import Foundation
import RuntimeAPI

/// What every chapter's `main` does: parse options (a bad one: one line, exit 2), `--help`, run the
/// experiment, then print either the narrative or, with `--json`, only the Outcome.
public enum ChapterMain {
    public static func run<Options, Outcome: Encodable>(
        name: String, usage: String,
        parse: ([String]) throws -> Options,
        experiment: (Options) async throws -> Outcome,
        narrate: (Outcome) -> Void
    ) async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return
        }
        let options = CommandLineOptions.parseOrExit { try parse(arguments) }
        Console.lineBufferStandardOutput()
        do {
            let outcome = try await experiment(options)
            if arguments.contains("--json") { try Narrative.json(outcome) } else { narrate(outcome) }
        } catch {
            Console.error("\(name) failed: \(error)")
            exit(1)
        }
    }
}

import Console
import Foundation

/// What every chapter's Outcome offers besides its JSON: its steps, and a picture of them.
public protocol ChapterOutcome: Encodable {
    var steps: [StepOutcome] { get }
    /// The picture's title line.
    var pictureTitle: String { get }
    /// The SVG `--svg PATH` writes: by default the run's waterfall and latency strips.
    func picture() -> String
}

extension ChapterOutcome {
    public func picture() -> String { RunPicture.document(title: pictureTitle, steps: steps) }

    /// The step of that name (every chapter names its steps; asking for another is a bug).
    public func step(_ name: String) -> StepOutcome { steps.first { $0.name == name }! }
}

/// What every chapter's `main` does: parse options (a bad one: one line, exit 2), `--help`, run the
/// experiment, then print either the narrative or, with `--json`, only the Outcome; with
/// `--svg PATH`, also write the run's picture.
public enum ChapterMain {

    public static func run<Options, Outcome: ChapterOutcome>(
        name: String, usage: String,
        parse: ([String]) throws -> Options,
        experiment: (Options) async throws -> Outcome,
        narrate: (Outcome) -> Void
    ) async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return
        }
        let svgPath = CommandLineOptions.parseOrExit { try takeSVGPath(from: &arguments) }
        let options = CommandLineOptions.parseOrExit { try parse(arguments) }
        Console.lineBufferStandardOutput()
        do {
            let outcome = try await experiment(options)
            if arguments.contains("--json") { try Narrative.json(outcome) } else { narrate(outcome) }
            if let svgPath {
                try Data(outcome.picture().utf8).write(to: URL(fileURLWithPath: svgPath))
                if !arguments.contains("--json") { print("\nPicture of this run written to \(svgPath)") }
            }
        } catch {
            Console.error("\(name) failed: \(error)")
            exit(1)
        }
    }

    /// Removes `--svg PATH` (or `--svg=PATH`) from the arguments; the folder must exist, checked
    /// before the experiment runs rather than after.
    static func takeSVGPath(from arguments: inout [String]) throws -> String? {
        guard let index = arguments.firstIndex(where: { $0 == "--svg" || $0.hasPrefix("--svg=") }) else { return nil }
        let path: String
        if arguments[index] == "--svg" {
            guard index + 1 < arguments.count else { throw WorkbookError.invalidOption("--svg needs a file path") }
            path = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
        } else {
            path = String(arguments[index].dropFirst("--svg=".count))
            arguments.remove(at: index)
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw WorkbookError.invalidOption("--svg: no folder \(folder) to write \(path) into")
        }
        return path
    }
}

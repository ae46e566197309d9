import Console
import Foundation

/// What every chapter's Outcome offers besides its JSON: its steps, and a picture of them.
public protocol ChapterOutcome: Encodable, Sendable {
    var steps: [StepOutcome] { get }
    var claims: [Claim] { get }
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

/// A chapter: its options, and its experiment as one function read top to bottom — each step,
/// then what it prints, then the claims it decides.
public protocol Chapter {
    associatedtype Options: ChapterOptions
    associatedtype Outcome: ChapterOutcome
    static func run(_ options: Options, _ transcript: Transcript) async throws -> Outcome
}

extension Chapter {
    /// The experiment without printing (tests, `--json`): the same steps and claims.
    public static func run(_ options: Options) async throws -> Outcome {
        try await run(options, Transcript(printing: false))
    }
}

/// What every chapter's `main` does: parse options (a bad one: one line, exit 2), `--help`, run the
/// experiment — printing as it goes, or, with `--json`, only the Outcome at the end; with
/// `--svg PATH`, also write the run's picture; with `--watch`, serve the run live first.
public enum ChapterMain {
    /// The options every chapter has, handled here; `--help` prints them after the chapter's own.
    static let commonOptions = [("--svg PATH", "also write a picture of the run (SVG) to PATH"),
                                ("--json", "print only the Outcome, as one JSON object"),
                                ("--watch", "watch the run live in a browser: print the page's address, wait for Enter, then run"),
                                ("--watch-seconds S", "with --watch, start after S seconds instead of waiting for Enter"),
                                ("--help", "print this text")]
    static let runnerFlags: Set<String> = ["--json", "--help", "-h", "--watch"]
    static let runnerValued: Set<String> = ["--svg", "--watch-seconds"]

    /// Runs a chapter as its `main`: `--help`; the options (a bad one: one line, exit 2); the
    /// experiment, printing as it goes — or, with `--json`, only the Outcome at the end; with
    /// `--svg PATH`, the run's picture too.
    public static func run<C: Chapter>(_ chapter: C.Type) async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(C.Options.command.usage)
            return
        }
        let svgPath = CommandLineOptions.parseOrExit { try takeSVGPath(from: &arguments) }
        let watchSeconds = CommandLineOptions.parseOrExit { try takeWatchSeconds(from: &arguments) }
        let options = CommandLineOptions.parseOrExit { try C.Options(arguments: arguments) }
        let json = arguments.contains("--json")
        Console.lineBufferStandardOutput()
        if arguments.contains("--watch") || watchSeconds != nil { Watching.start(seconds: watchSeconds, toStandardError: json) }
        do {
            let outcome = try await C.run(options, Transcript(printing: !json))
            if json { try Narrative.json(outcome) }
            if let svgPath {
                try Data(outcome.picture().utf8).write(to: URL(fileURLWithPath: svgPath))
                if !json { print("\nPicture of this run written to \(svgPath)") }
            }
        } catch {
            Console.error("\(C.Options.command.name) failed: \(error)")
            exit(1)
        }
    }

    /// Removes `--watch-seconds S` from the arguments; nil if absent.
    static func takeWatchSeconds(from arguments: inout [String]) throws -> Double? {
        guard let index = arguments.firstIndex(where: { $0 == "--watch-seconds" || $0.hasPrefix("--watch-seconds=") }) else { return nil }
        let text: String
        if arguments[index] == "--watch-seconds" {
            guard index + 1 < arguments.count else { throw WorkbookError.invalidOption("--watch-seconds needs a number of seconds") }
            text = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
        } else {
            text = String(arguments[index].dropFirst("--watch-seconds=".count))
            arguments.remove(at: index)
        }
        guard let seconds = Double(text), (0...3_600).contains(seconds) else {
            throw WorkbookError.invalidOption("--watch-seconds must be a number of seconds from 0 to 3600, got '\(text)'")
        }
        return seconds
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

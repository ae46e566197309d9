import Foundation

/// A chapter's options, declared once: each option's name, its field, its range and its help. The
/// parser, the checks and `--help` all come from that one list, so they cannot disagree.
///
///     struct Options: ChapterOptions {
///         var concurrency = 10
///         static let command = Command<Options>("chapter3", [
///             .int("concurrency", \.concurrency, in: 1...100, "invocations the orchestrator sends at once"),
///         ])
///     }
public protocol ChapterOptions: Sendable {
    /// Every option at its default.
    init()
    static var command: Command<Self> { get }
    /// Checks across options (one option's range depends on another's value); throws
    /// `WorkbookError.invalidOption` with the sentence to print.
    func validate() throws
}

extension ChapterOptions {
    public func validate() throws {}

    /// The options these arguments ask for (`--json`, `--svg PATH` and `--help` are the runner's and
    /// are skipped here).
    public init(arguments: [String]) throws {
        self = try Self.command.parse(arguments)
    }
}

/// One `--name VALUE` option (or a `--name` flag) of a chapter.
public struct Option<Options>: Sendable {
    public let name: String
    let placeholder: String
    let help: String
    let set: @Sendable (inout Options, String) throws -> Void
    /// The default as `--help` prints it, read from `Options()`.
    let defaultText: @Sendable (Options) -> String?

    public init(_ name: String, placeholder: String, help: String,
                set: @escaping @Sendable (inout Options, String) throws -> Void,
                defaultText: @escaping @Sendable (Options) -> String?) {
        self.name = name
        self.placeholder = placeholder
        self.help = help
        self.set = set
        self.defaultText = defaultText
    }

    /// A whole number in `range`.
    public static func int(_ name: String, _ field: WritableKeyPath<Options, Int> & Sendable, in range: ClosedRange<Int>,
                           placeholder: String = "N", _ help: String) -> Option {
        Option(name, placeholder: placeholder, help: "\(help), \(range.lowerBound)–\(range.upperBound)", set: { options, text in
            options[keyPath: field] = try wholeNumber(name, text, in: range)
        }, defaultText: { String($0[keyPath: field]) })
    }

    /// A whole number in `range` that has no fixed default: nil until given (the help says what
    /// nil means).
    public static func int(_ name: String, _ field: WritableKeyPath<Options, Int?> & Sendable, in range: ClosedRange<Int>,
                           placeholder: String = "N", _ help: String, otherwise: String) -> Option {
        Option(name, placeholder: placeholder, help: "\(help), \(range.lowerBound)–\(range.upperBound)", set: { options, text in
            options[keyPath: field] = try wholeNumber(name, text, in: range)
        }, defaultText: { _ in otherwise })
    }

    /// A number of milliseconds in `range`.
    public static func milliseconds(_ name: String, _ field: WritableKeyPath<Options, Double> & Sendable, in range: ClosedRange<Double>,
                                    _ help: String) -> Option {
        Option(name, placeholder: "MS", help: "\(help), \(Int(range.lowerBound))–\(Int(range.upperBound))", set: { options, text in
            guard let number = Double(text), number.isFinite, range.contains(number) else {
                throw WorkbookError.invalidOption("--\(name) must be a number of milliseconds from \(Int(range.lowerBound)) to \(Int(range.upperBound)), got '\(text)'")
            }
            options[keyPath: field] = number
        }, defaultText: { format($0[keyPath: field]) })
    }

    /// A number in `range`.
    public static func number(_ name: String, _ field: WritableKeyPath<Options, Double> & Sendable, in range: ClosedRange<Double>,
                              placeholder: String = "X", _ help: String) -> Option {
        Option(name, placeholder: placeholder, help: "\(help), \(format(range.lowerBound))–\(format(range.upperBound))", set: { options, text in
            guard let number = Double(text), number.isFinite, range.contains(number) else {
                throw WorkbookError.invalidOption("--\(name) must be a number from \(format(range.lowerBound)) to \(format(range.upperBound)), got '\(text)'")
            }
            options[keyPath: field] = number
        }, defaultText: { format($0[keyPath: field]) })
    }

    /// One of a fixed set of words (an enum's raw values).
    public static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ field: WritableKeyPath<Options, Value> & Sendable, placeholder: String, _ help: String
    ) -> Option where Value.RawValue == String {
        let words = Value.allCases.map(\.rawValue)
        return Option(name, placeholder: placeholder, help: "\(help): \(words.joined(separator: " or "))", set: { options, text in
            guard let value = Value(rawValue: text) else {
                throw WorkbookError.invalidOption("--\(name) must be \(words.joined(separator: " or ")), got '\(text)'")
            }
            options[keyPath: field] = value
        }, defaultText: { $0[keyPath: field].rawValue })
    }

    static func wholeNumber(_ name: String, _ text: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(text), range.contains(number) else {
            throw WorkbookError.invalidOption("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// 40 → "40", 0.01 → "0.01".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A chapter's command line: its name, what it does, its options. `--svg PATH`, `--json` and
/// `--help` are every chapter's, handled by `ChapterMain`.
public struct Command<Options: ChapterOptions>: Sendable {
    public let name: String
    public let options: [Option<Options>]
    /// Lines after the options in `--help` (other forms of the command, what it needs).
    public let notes: String?

    public init(_ name: String, _ options: [Option<Options>], notes: String? = nil) {
        self.name = name
        self.options = options
        self.notes = notes
    }

    /// The `--help` text, generated from the declarations.
    public var usage: String {
        let defaults = Options()
        var rows = options.map { option -> (String, String) in
            let shown = option.defaultText(defaults).map { " (default \($0))" } ?? ""
            return ("--\(option.name) \(option.placeholder)", option.help + shown)
        }
        rows += ChapterMain.commonOptions
        let width = rows.map(\.0.count).max() ?? 0
        let synopsis = options.map { "[--\($0.name) \($0.placeholder)]" } + ["[--svg PATH]", "[--json]"]
        var lines = wrapped("usage: swift run \(name)", synopsis)
        lines.append("")
        for (left, right) in rows { lines.append("  " + left.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + right) }
        if let notes { lines += ["", notes] }
        return lines.joined(separator: "\n")
    }

    /// The synopsis on lines of at most 100 characters, continuation lines under the first option.
    private func wrapped(_ head: String, _ words: [String]) -> [String] {
        var lines: [String] = [], line = head
        let indent = String(repeating: " ", count: head.count)
        for word in words {
            if line.count + 1 + word.count > 100, line != head && line != indent {
                lines.append(line)
                line = indent
            }
            line += " " + word
        }
        lines.append(line)
        return lines
    }

    /// Parses `--name VALUE`, `--name=VALUE`; an unknown option or a missing value is an error,
    /// in one line. The runner's own options are skipped.
    public func parse(_ arguments: [String]) throws -> Options {
        var result = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if ChapterMain.runnerFlags.contains(argument) { continue }
            var name = argument, value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            if ChapterMain.runnerValued.contains(name) {
                if value == nil { index += 1 }
                continue
            }
            guard name.hasPrefix("--"), let option = options.first(where: { $0.name == name.dropFirst(2) }) else {
                throw WorkbookError.invalidOption("unknown option \(argument) (see --help)")
            }
            if value == nil {
                guard index < arguments.count else { throw WorkbookError.invalidOption("\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            try option.set(&result, value!)
        }
        try result.validate()
        return result
    }
}

import Foundation

/// A chapter's command line: `--name value` options with ranges, `--json`, `--help`.
/// Bad values are reported in one line; `exit(2)` is the caller's.
public struct CommandLineOptions {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    public private(set) var json = false
    public private(set) var help = false

    /// - Parameters:
    ///   - valued: the option names (without `--`) that take a value.
    ///   - flags: the option names that take none.
    public init(_ arguments: [String], valued: [String], flags known: [String] = []) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--json": json = true
            case "--help", "-h": help = true
            case _ where argument.hasPrefix("--") && known.contains(String(argument.dropFirst(2))): flags.insert(String(argument.dropFirst(2)))
            default:
                var name = argument
                var value: String?
                if let equals = argument.firstIndex(of: "=") {
                    name = String(argument[..<equals])
                    value = String(argument[argument.index(after: equals)...])
                }
                guard name.hasPrefix("--"), valued.contains(String(name.dropFirst(2))) else {
                    throw WorkbookError.invalidOption("unknown option \(argument) (see --help)")
                }
                guard let given = value ?? iterator.next() else { throw WorkbookError.invalidOption("\(name) needs a value") }
                values[String(name.dropFirst(2))] = given
            }
        }
    }

    public func string(_ name: String) -> String? { values[name] }

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    public func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw WorkbookError.invalidOption("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    public func milliseconds(_ name: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = values[name] else { return value }
        guard let number = Double(text), number.isFinite, range.contains(number) else {
            throw WorkbookError.invalidOption("--\(name) must be a number of milliseconds from \(Int(range.lowerBound)) to \(Int(range.upperBound)), got '\(text)'")
        }
        return number
    }

    public func number(_ name: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = values[name] else { return value }
        guard let number = Double(text), number.isFinite, range.contains(number) else {
            throw WorkbookError.invalidOption("--\(name) must be a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// `--db-handshake-ms` and `--db-query-ms`: the stand-in database's modeled latency, which every
    /// chapter that uses it lets the reader change (0 to 10 s each).
    public func databaseLatency(handshakeMs: Double, queryMs: Double) throws -> (handshakeMs: Double, queryMs: Double) {
        (try milliseconds("db-handshake-ms", default: handshakeMs, in: 0...10_000), try milliseconds("db-query-ms", default: queryMs, in: 0...10_000))
    }

    /// Parses, or prints the one-line error and exits with status 2.
    public static func parseOrExit<T>(_ body: () throws -> T) -> T {
        do {
            return try body()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(2)
        }
    }
}

import Foundation
import LambdaLab

struct LabOptionsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `swift run lab`'s options, from the command line and an optional JSON file (`--config`).
/// The command line wins over the file.
struct LabOptions {
    struct Function: Codable {
        var command: String
        var cwd: String?
        var env: [String: String]?
        /// Seconds (AWS default 3).
        var timeout: Int?
        /// MB (AWS default 128).
        var memorySize: Int?
        var handler: String?
    }

    /// The JSON config file's shape.
    struct File: Codable {
        var port: Int?
        var accountConcurrency: Int?
        var idleTimeoutSeconds: Double?
        var workbookFunctions: Bool?
        var functions: [String: Function]?
    }

    var port: UInt16 = 9001
    var accountConcurrency = 1_000
    var idleTimeoutSeconds = 600.0
    /// Scales the asynchronous queue's retry waits and event age (1 = AWS's own times).
    var asyncTimeScale = 1.0
    var workbookFunctions = true
    var dbHandshakeMs = 40.0
    var dbQueryMs = 5.0
    var functions: [String: Function] = [:]
    /// Keeps functions deployed through the API (CreateFunction, Terraform) across restarts.
    var stateDirectory: String?
    /// Check SigV4 signatures against the lab's own dummy credentials, as Lambda checks real ones.
    var verifySignatures = false
    /// Functions to run on Lambda Managed Instances, with their invocations per environment.
    var managedInstances: [String: Int] = [:]
    /// Scales the Managed Instances scaler's model times (1 = the model's own).
    var managedTimeScale = 1.0
    var help = false

    static let usage = """
        usage: swift run lab [options]

        Serves the Lambda Invoke API and control plane on 127.0.0.1, every execution environment a real
        process. Deploys the workbook's functions (worker, orchestrator) unless --no-workbook-functions.

          --port N                     port on 127.0.0.1, 0 = any free port (default 9001)
          --function NAME=COMMAND      host a program that speaks the Runtime API (repeatable), e.g.
                                       --function hello='python3 -m awslambdaric app.handler'
          --cwd NAME=DIR               its working directory (LAMBDA_TASK_ROOT)
          --env NAME:KEY=VALUE         an environment variable of its configuration (repeatable)
          --timeout NAME=SECONDS       its timeout, 1–900 (default 3)
          --memory NAME=MB             its Memory Size, 128–10240 (default 128)
          --handler NAME=HANDLER       its _HANDLER (default: the command's last word)
          --config FILE                the same in JSON: {"port":9001,"accountConcurrency":1000,
                                       "idleTimeoutSeconds":600,"workbookFunctions":true,
                                       "functions":{"hello":{"command":"…","cwd":"…","env":{},"timeout":3,"memorySize":128}}}
          --account-concurrency N      account concurrency limit (AWS default 1000)
          --idle-timeout SECONDS       how long an idle environment is kept (default 600)
          --async-time-scale X         scale Event retries' waits and maximum age (default 1 = AWS's: ~1 and ~2 min
                                       after function errors, 1 s to 5 min after throttles); 0.01 = 100× faster
          --no-workbook-functions      deploy only the functions given here
          --state-dir DIR              keep functions deployed through the API (CreateFunction, Terraform)
                                       in DIR, and bring them back when the lab starts again
          --verify-signatures          check AWS Signature Version 4 as Lambda does: Invoke must be signed,
                                       and any signed call signed right, with the credentials the lab gives
                                       its functions (AWS_ACCESS_KEY_ID=LABACCESSKEY,
                                       AWS_SECRET_ACCESS_KEY=lab-secret); wrong: 403 InvalidSignatureException
          --managed-instances NAME=K   run NAME on Lambda Managed Instances: a capacity provider, K invocations
                                       at once per execution environment (1–1600), version 1 published and
                                       its 3 environments started; invoke NAME:1 (repeatable)
          --managed-time-scale X       scale the Managed Instances scaler's times (default 1: looks every 60 s,
                                       adds environments 30 s after deciding, removes one after 5 quiet
                                       minutes — the lab's model; AWS publishes none); 0.01 = 100× faster
          --db-handshake-ms MS         the workbook worker's modeled database handshake (default 40)
          --db-query-ms MS             the workbook worker's modeled query round trip (default 5)
        """

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        var pending: [(String, String)] = []
        while let argument = iterator.next() {
            if argument == "--help" || argument == "-h" { help = true; continue }
            if argument == "--no-workbook-functions" { workbookFunctions = false; continue }
            if argument == "--verify-signatures" { verifySignatures = true; continue }
            var name = argument, value: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard name.hasPrefix("--") else { throw LabOptionsError("unexpected argument \(argument) (see --help)") }
            guard let given = value ?? iterator.next() else { throw LabOptionsError("\(name) needs a value") }
            pending.append((name, given))
        }
        // The config file first, so the command line can override it.
        if let file = pending.last(where: { $0.0 == "--config" })?.1 { try apply(file: file) }
        for (name, value) in pending where name != "--config" { try apply(name, value) }
    }

    private mutating func apply(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw LabOptionsError("cannot read config file \(path)") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch { throw LabOptionsError("config file \(path): \(error)") }
        if let port = file.port { self.port = try Self.port(String(port)) }
        if let concurrency = file.accountConcurrency { accountConcurrency = concurrency }
        if let idle = file.idleTimeoutSeconds { idleTimeoutSeconds = idle }
        if let workbook = file.workbookFunctions { workbookFunctions = workbook }
        for (name, function) in file.functions ?? [:] { functions[name] = function }
    }

    private static func port(_ text: String) throws -> UInt16 {
        guard let port = UInt16(text) else { throw LabOptionsError("--port must be 0–65535, got '\(text)'") }
        return port
    }

    private static func number(_ name: String, _ text: String, in range: ClosedRange<Double>) throws -> Double {
        guard let value = Double(text), range.contains(value) else {
            throw LabOptionsError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// `NAME=VALUE` → (NAME, VALUE), for per-function options.
    private static func pair(_ option: String, _ text: String, separator: Character = "=") throws -> (String, String) {
        guard let split = text.firstIndex(of: separator), split != text.startIndex else {
            throw LabOptionsError("\(option) wants NAME\(separator)VALUE, got '\(text)'")
        }
        return (String(text[..<split]), String(text[text.index(after: split)...]))
    }

    private mutating func function(_ option: String, _ name: String) throws -> Function {
        guard let function = functions[name] else { throw LabOptionsError("\(option) names \(name), but no --function \(name)=… comes first") }
        return function
    }

    private mutating func apply(_ option: String, _ value: String) throws {
        switch option {
        case "--port": port = try Self.port(value)
        case "--account-concurrency": accountConcurrency = Int(try Self.number(option, value, in: 1...100_000))
        case "--idle-timeout": idleTimeoutSeconds = try Self.number(option, value, in: 0.1...86_400)
        case "--async-time-scale": asyncTimeScale = try Self.number(option, value, in: 0.0001...1)
        case "--db-handshake-ms": dbHandshakeMs = try Self.number(option, value, in: 0...10_000)
        case "--db-query-ms": dbQueryMs = try Self.number(option, value, in: 0...10_000)
        case "--state-dir": stateDirectory = URL(fileURLWithPath: value).standardizedFileURL.path
        case "--managed-time-scale": managedTimeScale = try Self.number(option, value, in: 0.0001...1)
        case "--managed-instances":
            let (name, concurrency) = try Self.pair(option, value)
            guard let k = Int(concurrency), (1...1_600).contains(k) else {
                throw LabOptionsError("--managed-instances \(name): K must be a whole number from 1 to 1600, got '\(concurrency)'")
            }
            managedInstances[name] = k
        case "--function":
            let (name, command) = try Self.pair(option, value)
            guard FunctionReference.isValidName(name) else { throw LabOptionsError("invalid function name \(name)") }
            guard !(try CommandSplitter.split(command)).isEmpty else { throw LabOptionsError("--function \(name) has an empty command") }
            functions[name] = Function(command: command)
        case "--cwd":
            let (name, directory) = try Self.pair(option, value)
            var function = try function(option, name)
            function.cwd = directory
            functions[name] = function
        case "--env":
            let (name, assignment) = try Self.pair(option, value, separator: ":")
            let (key, setting) = try Self.pair(option, assignment)
            var function = try function(option, name)
            function.env = (function.env ?? [:]).merging([key: setting]) { _, new in new }
            functions[name] = function
        case "--timeout":
            let (name, seconds) = try Self.pair(option, value)
            var function = try function(option, name)
            function.timeout = Int(try Self.number(option, seconds, in: 1...900))
            functions[name] = function
        case "--memory":
            let (name, megabytes) = try Self.pair(option, value)
            var function = try function(option, name)
            function.memorySize = Int(try Self.number(option, megabytes, in: 128...10_240))
            functions[name] = function
        case "--handler":
            let (name, handler) = try Self.pair(option, value)
            var function = try function(option, name)
            function.handler = handler
            functions[name] = function
        default:
            throw LabOptionsError("unknown option \(option) (see --help)")
        }
    }

    /// The function configurations for the lab, from `functions`.
    func configurations() throws -> [FunctionConfiguration] {
        try functions.keys.sorted().map { name in
            let function = functions[name]!
            let command = try CommandSplitter.split(function.command)
            let directory = function.cwd.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            if let directory, !FileManager.default.fileExists(atPath: directory) {
                throw LabOptionsError("--cwd \(name): no such directory \(directory)")
            }
            return FunctionConfiguration(name: name, command: command, environment: function.env ?? [:], workingDirectory: directory,
                                         memorySizeMB: function.memorySize ?? 128, timeout: .seconds(function.timeout ?? 3),
                                         handler: function.handler ?? command.last!, runtime: "provided.al2023")
        }
    }
}

import Foundation
import Testing
@testable import lab

@Suite("swift run lab: its command line")
struct LabCommandTests {
    @Test("commands split like a simple shell: spaces, quotes, backslashes")
    func splitting() throws {
        #expect(try CommandSplitter.split("python3 -m awslambdaric app.handler") == ["python3", "-m", "awslambdaric", "app.handler"])
        #expect(try CommandSplitter.split(#"sh -c "echo 'a b'"  x\ y"#) == ["sh", "-c", "echo 'a b'", "x y"])
        #expect(throws: LabOptionsError.self) { try CommandSplitter.split("unbalanced 'quote") }
    }

    @Test("--function, --cwd, --env, --timeout, --memory build a function configuration")
    func functionOptions() throws {
        let options = try LabOptions(arguments: ["--port", "0", "--function", "hello=python3 -m awslambdaric app.handler", "--cwd", "hello=/tmp",
                                                 "--env", "hello:GREETING=hi there", "--timeout", "hello=10", "--memory", "hello=512", "--no-workbook-functions"])
        #expect(options.port == 0)
        #expect(!options.workbookFunctions)
        let configuration = try #require(try options.configurations().first)
        #expect(configuration.name == "hello")
        #expect(configuration.command == ["python3", "-m", "awslambdaric", "app.handler"])
        #expect(configuration.workingDirectory == "/tmp")
        #expect(configuration.environment == ["GREETING": "hi there"])
        #expect(configuration.timeout == .seconds(10))
        #expect(configuration.memorySizeMB == 512)
        #expect(configuration.handler == "app.handler")
    }

    @Test("a JSON config file gives the same, and the command line overrides it")
    func configFile() throws {
        let path = NSTemporaryDirectory() + "lab-config-\(getpid()).json"
        try Data(#"{"port": 9100, "idleTimeoutSeconds": 5, "functions": {"echo": {"command": "cat", "timeout": 7}}}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try LabOptions(arguments: ["--config", path, "--port", "9200"])
        #expect(options.port == 9200)
        #expect(options.idleTimeoutSeconds == 5)
        #expect(try options.configurations().map(\.name) == ["echo"])
        #expect(try options.configurations().first?.timeout == .seconds(7))
    }

    @Test("bad options are refused with a message", arguments: [
        ["--port", "70000"], ["--nope", "1"], ["--cwd", "ghost=/tmp"], ["--function", "bad name=cat"], ["--timeout"],
        ["--function", "f=cat", "--timeout", "f=901"], ["--config", "/no/such/file.json"], ["stray"],
    ])
    func badOptions(arguments: [String]) {
        #expect(throws: LabOptionsError.self) { try LabOptions(arguments: arguments) }
    }
}

import Foundation
import LabTestSupport
import HTTP
import LambdaAPI
import Testing
import Workbook
@testable import LambdaLab

@Suite("No child process outlives the lab", .serialized, .timeLimit(.minutes(10)))
struct LifecycleTests {
    @Test("after shutdown every environment's process is gone")
    func shutdownReapsEverything() async throws {
        let pids = try await withTestLab { lab -> [pid_t] in
            try lab.deploy(plainWorker())
            async let a = lab.invoke("worker", payload: json(["hangMs": 200]))
            async let b = lab.invoke("worker", payload: json(["hangMs": 200]))
            async let c = lab.invoke("worker", payload: json(["hangMs": 200]))
            _ = try await [a, b, c]
            let pids = lab.environments.compactMap(\.pid)
            #expect(pids.count == 3)
            #expect(pids.allSatisfy(isAlive))
            return pids
        }
        for pid in pids { #expect(!isAlive(pid), "environment process \(pid) survived the lab") }
    }

    @Test("killing the lab process with SIGKILL still takes every environment with it")
    func sigkillTakesEnvironments() async throws {
        try await exclusively {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try FunctionBinaries.path(of: "lab"))
            process.arguments = ["--port", "0"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            // Readiness is the line that names the bound port.
            let port = try labPort(output.fileHandleForReading)
            let response = try HTTPClient(port: port).send(HTTPRequest(
                method: "POST", target: InvokeAPIPath.invocations("orchestrator"), body: Array(#"{"function":"worker","count":3}"#.utf8)))
            #expect(response.status == 200)
            let descendants = children(of: process.processIdentifier)
            #expect(descendants.count >= 5)   // watchdog + orchestrator + 3 workers
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            for pid in descendants { #expect(waitForExit(pid), "process \(pid) outlived the killed lab") }
        }
    }
}

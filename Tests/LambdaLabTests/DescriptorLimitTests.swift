import Foundation
import LabTestSupport
import HTTP
import LambdaAPI
import Synchronization
import Testing
import Workbook

/// A lab short of file descriptors answers every caller — with the function's answer or with AWS's
/// service error — never blames the function, never hangs, and keeps serving afterwards.
@Suite("Running out of file descriptors", .serialized, .timeLimit(.minutes(10)))
struct DescriptorLimitTests {
    @Test("a burst of 60 slow invocations at ulimit -n 128: every caller answered, no function error, the lab serves on")
    func burstAtLowLimit() async throws {
        try await exclusively {
            let lab = try FunctionBinaries.path(of: "lab")
            let worker = try FunctionBinaries.path(of: "worker")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n 128 && exec \"$0\" --port 0 --function plain=\"$1\"", lab, worker]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
            let port = try labPort(output.fileHandleForReading)
            // Keep reading what the lab prints, so its log never fills the pipe and blocks it.
            let lines = Mutex<[String]>([])
            Thread {
                while case let data = output.fileHandleForReading.availableData, !data.isEmpty {
                    lines.withLock { $0.append(String(decoding: data, as: UTF8.self)) }
                }
            }.start()

            // 60 callers at once, each call holding its environment for 300 ms.
            let sockets = try (0..<60).map { _ in try Socket.connect(port: port) }
            let body = Array(#"{"hangMs":300}"#.utf8)
            for socket in sockets {
                try socket.send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("plain"), body: body).serialized(host: "127.0.0.1:\(port)"))
            }
            var answered = 0, succeeded = 0, serviceErrors = 0, functionErrors: [String] = []
            for socket in sockets {
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                guard let response = try? HTTPReader(socket).readResponse() else { continue }
                answered += 1
                if let error = response.headers[AmazonHeaders.functionError] { functionErrors.append(error + " " + response.bodyText) }
                else if response.status == 200 { succeeded += 1 }
                else if response.headers[AmazonHeaders.errorType] != nil { serviceErrors += 1 }
            }
            print("ulimit -n 128, 60 at once: \(succeeded) succeeded, \(serviceErrors) answered with the lab's error, \(functionErrors.count) function errors")
            #expect(answered == 60)
            #expect(functionErrors.isEmpty, "\(functionErrors.prefix(3))")
            #expect(succeeded + serviceErrors == 60)
            #expect(succeeded > 0)
            // And once the callers let go of their connections, it serves as before.
            for socket in sockets { socket.close() }
            let after = try HTTPClient(port: port).send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("plain"), body: Array("{}".utf8)))
            #expect(after.status == 200 && after.headers[AmazonHeaders.functionError] == nil)
        }
    }
}

extension DescriptorLimitTests {
    @Test("at ulimit -n 1024, with 2,000 idle connections held, a new caller is told at once that the lab is out of descriptors")
    func idleConnectionsFillTheTable() async throws {
        try await exclusively {
            let lab = try FunctionBinaries.path(of: "lab")
            let worker = try FunctionBinaries.path(of: "worker")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n 1024 && exec \"$0\" --port 0 --function plain=\"$1\"", lab, worker]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
            let port = try labPort(output.fileHandleForReading)
            Thread { while !output.fileHandleForReading.availableData.isEmpty {} }.start()
            // 2,000 connections that never send a thing: the lab holds what it can, the rest wait
            // in its listener's backlog.
            let idle = try (0..<2_000).map { _ in try Socket.connect(port: port) }
            defer { for socket in idle { socket.close() } }
            let started = ContinuousClock.now
            let answer = try HTTPClient(port: port).send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("plain"), body: Array("{}".utf8)))
            let waited = ContinuousClock.now - started
            #expect(answer.status == 500 && answer.headers[AmazonHeaders.errorType] == "ServiceException", "\(answer.status) \(answer.bodyText)")
            #expect(answer.bodyText.contains("out of file descriptors"))
            // Every client waiting in the backlog is answered in one go, not one per pause (6.1 s
            // before): a wide margin over the 20 ms the listener rests between rounds.
            #expect(waited < .seconds(2), "the new caller waited \(waited)")
        }
    }
}

struct LabTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

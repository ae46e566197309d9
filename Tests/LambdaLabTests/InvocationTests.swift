import Foundation
import LabTestSupport
import HTTP
import Testing
@testable import LambdaLab

@Suite("Invocations through real execution environments", .serialized, .timeLimit(.minutes(10)))
struct InvocationTests {
    @Test("warm invocations reuse the environment and its memory; only the first REPORT has Init Duration")
    func warmReuse() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            var counts: [Int] = []
            var records: [InvocationRecord] = []
            for _ in 0..<3 {
                let result = try await lab.invoke("worker")
                counts.append(decode(result.payload)["invocationCount"] as? Int ?? -1)
                records.append(try #require(result.record))
            }
            #expect(counts == [1, 2, 3])
            #expect(Set(records.map(\.environmentID)).count == 1)
            #expect(records.map(\.coldStart) == [true, false, false])
            #expect(records[0].logLines.last!.contains("\tInit Duration: "))
            #expect(!records[1].logLines.last!.contains("Init Duration"))
            #expect(records[0].logLines.last!.hasPrefix("REPORT RequestId: \(records[0].requestID)\tDuration: "))
            #expect(records[0].initDuration! > .zero)
        }
    }

    @Test("an environment serves one request at a time: a second concurrent invocation starts a second environment")
    func oneRequestPerEnvironment() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            _ = try await lab.invoke("worker")   // one warm, idle environment
            // Two calls that each hold their environment for 300 ms, sent together.
            async let first = lab.invoke("worker", payload: json(["hangMs": 300]))
            async let second = lab.invoke("worker", payload: json(["hangMs": 300]))
            let records = try await [first.record, second.record]
            #expect(records[0]?.environmentID != records[1]?.environmentID)
            #expect(records.filter { $0?.coldStart == true }.count == 1)
            #expect(lab.environmentsStarted == 2)
        }
    }

    @Test("a handler error answers 200 with X-Amz-Function-Error: Unhandled and AWS's error body; the environment stays")
    func handlerError() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            let response = try invokeOverHTTP(lab, "worker", body: json(["fail": "boom"]))
            #expect(response.status == 200)
            #expect(response.headers["X-Amz-Function-Error"] == "Unhandled")
            #expect(response.headers["X-Amz-Executed-Version"] == "$LATEST")
            let body = decode(response.body)
            #expect(body["errorType"] as? String == "WorkerError")
            #expect(body["errorMessage"] as? String == "boom")
            let next = try invokeOverHTTP(lab, "worker")
            #expect(next.headers["X-Amz-Function-Error"] == nil)
            #expect(lab.environmentsStarted == 1)
        }
    }

    @Test("a crashing runtime gives Runtime.ExitError; the next invocation cold-starts a new environment")
    func crash() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            let crashed = try await lab.invoke("worker", payload: json(["exit": 3]))
            #expect(crashed.functionError == "Unhandled")
            #expect(decode(crashed.payload)["errorType"] as? String == "Runtime.ExitError")
            #expect((decode(crashed.payload)["errorMessage"] as? String)?.hasSuffix("Runtime exited with error: exit status 3") == true)
            let next = try await lab.invoke("worker")
            #expect(next.record?.coldStart == true)
            #expect(next.functionError == nil)
        }
    }

    @Test("an idle environment killed from outside around an invoke: the invocation runs in a new environment, it does not fail")
    func killedWhileIdle() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            // The environment that just answered is idle again, and the worker reports its own pid.
            var last = try await lab.invoke("worker")
            func idleProcess() throws -> (pid: pid_t, environmentID: String) {
                (pid_t(try #require(decode(last.payload)["pid"] as? Int)), try #require(last.record?.environmentID))
            }
            // Killed and gone just before the invoke: the lab may not have seen the exit yet, and
            // may not even have read the end of its connection; the event must not be sent into it.
            for round in 0..<6 {
                let idle = try idleProcess()
                kill(idle.pid, SIGKILL)
                #expect(waitForExit(idle.pid))
                last = try await lab.invoke("worker")
                #expect(last.functionError == nil, "round \(round): \(String(decoding: last.payload, as: UTF8.self))")
                #expect(last.record?.environmentID != idle.environmentID)
            }
            // Killed with the event unread in its socket: the process is stopped first, and the
            // event is handed out on this thread before `invoke(_:qualifier:payload:completion:)`
            // returns, so the kill that follows finds it there.
            for round in 0..<3 {
                let idle = try idleProcess()
                kill(idle.pid, SIGSTOP)
                #expect(waitForStop(idle.pid))
                let answer = await withCheckedContinuation { (done: CheckedContinuation<Result<InvocationResult, LabError>, Never>) in
                    lab.invoke("worker", qualifier: nil, payload: Array("{}".utf8)) { done.resume(returning: $0) }
                    kill(idle.pid, SIGKILL)
                }
                last = try answer.get()
                #expect(last.functionError == nil, "round \(round): \(String(decoding: last.payload, as: UTF8.self))")
                #expect(last.record?.coldStart == true)
                #expect(last.record?.environmentID != idle.environmentID)
            }
        }
    }

    @Test("a function that outruns its timeout gets Sandbox.Timedout and its environment is discarded")
    func timeout() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker(timeout: .seconds(1)))
            let result = try await lab.invoke("worker", payload: json(["hangMs": 5_000]))
            let body = decode(result.payload)
            #expect(result.functionError == "Unhandled")
            #expect(body["errorType"] as? String == "Sandbox.Timedout")
            #expect((body["errorMessage"] as? String)?.hasSuffix("Task timed out after 1.00 seconds") == true)
            #expect(result.record?.logLines.contains { $0.hasSuffix("Task timed out after 1.00 seconds") } == true)
            let next = try await lab.invoke("worker")
            #expect(next.record?.coldStart == true)
        }
    }

    @Test("Tail returns the invocation's log, base64: START, END and REPORT")
    func tailLogs() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            let response = try invokeOverHTTP(lab, "worker", headers: ["X-Amz-Log-Type": "Tail"])
            let log = String(decoding: Data(base64Encoded: try #require(response.headers["X-Amz-Log-Result"]))!, as: UTF8.self)
            #expect(log.contains("START RequestId: \(response.headers["x-amzn-RequestId"]!) Version: $LATEST"))
            #expect(log.contains("END RequestId: "))
            #expect(log.contains("REPORT RequestId: "))
        }
    }
}

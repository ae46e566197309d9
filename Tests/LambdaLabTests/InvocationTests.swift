import Foundation
import LabTestSupport
import RuntimeAPI
import Testing
@testable import LambdaLab

@Suite("Invocations through real execution environments", .serialized, .timeLimit(.minutes(2)))
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
            _ = try await lab.invoke("worker")
            // Killed and gone just before the invoke: the lab may not have seen the exit yet, and
            // may not even have read the end of its connection; the event must not be sent into it.
            for round in 0..<6 {
                // The lab records the process just after the spawn; a runtime may be idle before that.
                #expect(await waitUntil { lab.environments.contains { $0.phase == "idle" && $0.pid != nil } })
                let idle = try #require(lab.environments.first { $0.phase == "idle" && $0.pid != nil })
                let pid = try #require(idle.pid)
                kill(pid, SIGKILL)
                #expect(waitForExit(pid))
                let result = try await lab.invoke("worker")
                #expect(result.functionError == nil, "round \(round): \(String(decoding: result.payload, as: UTF8.self))")
                #expect(result.record?.environmentID != idle.id)
            }
            // Killed just after the event was written to it, before it could read it: the process
            // is stopped first, so the event is certainly still unread in its socket when it dies.
            for round in 0..<3 {
                #expect(await waitUntil { lab.environments.contains { $0.phase == "idle" && $0.pid != nil } })
                let idle = try #require(lab.environments.first { $0.phase == "idle" && $0.pid != nil })
                let pid = try #require(idle.pid)
                kill(pid, SIGSTOP)
                #expect(await waitUntil { processState(pid) == "T" })
                async let result = lab.invoke("worker")
                #expect(await waitUntil { lab.environments.contains { $0.id == idle.id && $0.phase == "invoking" } })
                // The event is written right after it is routed, on the same thread; give that
                // write a moment so the kill finds it in the socket (were it later, the lab would
                // see the socket closed and hold it back, which reroutes it too).
                try await Task.sleep(for: .milliseconds(20))
                kill(pid, SIGKILL)
                let answer = try await result
                #expect(answer.functionError == nil, "round \(round): \(String(decoding: answer.payload, as: UTF8.self))")
                #expect(answer.record?.coldStart == true)
                #expect(answer.record?.environmentID != idle.id)
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

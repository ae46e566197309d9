import Foundation
import LabTestSupport
import Testing
@testable import LambdaLab

/// An execution environment with K slots runs K invocations at once (Lambda Managed Instances'
/// `PerExecutionEnvironmentMaxConcurrency`, told to the runtime in `AWS_LAMBDA_MAX_CONCURRENCY`).
/// The runtime here is a few lines of Python, not the workbook's: any runtime that parks K
/// `GET /next` at once must get K invocations at once.
@Suite("Environments with several slots", .serialized, .timeLimit(.minutes(10)),
       .enabled(if: Installed.python3, "python3 is not installed (the runtime is a Python script)"))
struct SlotsTests {
    /// K + 1 threads, each with its own connection, each parking a `GET /next`; every invocation is
    /// held `holdMs` (from its event), then answered with the thread's number and the variable.
    static let runtime = #"""
    import http.client, json, os, sys, threading, time
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    slots = os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1")
    def worker(number):
        api = http.client.HTTPConnection(host, int(port))
        while True:
            api.request("GET", "/2018-06-01/runtime/invocation/next")
            answer = api.getresponse()
            event = json.loads(answer.read() or b"{}")
            request = answer.getheader("Lambda-Runtime-Aws-Request-Id")
            print(f"worker {number} runs {request}", flush=True)
            time.sleep(event.get("holdMs", 0) / 1000)
            body = json.dumps({"worker": number, "slots": slots, "pid": os.getpid()}).encode()
            api.request("POST", f"/2018-06-01/runtime/invocation/{request}/response", body)
            api.getresponse().read()
    for number in range(int(slots) + 1):
        threading.Thread(target=worker, args=(number,), daemon=True).start()
    threading.Event().wait()
    """#

    static func function(slots: Int) -> FunctionConfiguration {
        var function = FunctionConfiguration(name: "slots", command: ["python3", "-c", runtime], timeout: .seconds(10))
        function.perEnvironmentMaxConcurrency = slots
        return function
    }

    static func invokeAtOnce(_ lab: Lab, _ count: Int, holdMs: Int) async throws -> [InvocationResult] {
        try await withThrowingTaskGroup(of: InvocationResult.self) { group in
            for _ in 0..<count { group.addTask { try await lab.invoke("slots", payload: Array("{\"holdMs\":\(holdMs)}".utf8)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("3 slots: 3 invocations at once run in one environment, side by side, each on its own parked next; the runtime is told 3")
    func threeAtOnce() async throws {
        try await withTestLab { lab in
            try lab.deploy(Self.function(slots: 3))
            _ = try await lab.invoke("slots")   // the environment is up, its K + 1 nexts parked
            let results = try await Self.invokeAtOnce(lab, 3, holdMs: 600)
            let records = results.compactMap(\.record)
            let answers = results.map { decode($0.payload) }
            #expect(Set(records.map(\.environmentID)).count == 1)
            #expect(lab.environmentsStarted == 1)
            #expect(Set(answers.compactMap { $0["worker"] as? Int }).count == 3, "\(answers)")
            #expect(answers.allSatisfy { $0["slots"] as? String == "3" })
            // Side by side: every one was handed out before any of the others ended.
            let starts = records.map(\.handlerStartedAt), ends = records.map { $0.handlerStartedAt + $0.duration }
            #expect(starts.max()! < ends.min()!, "handed out \(starts), ended \(ends)")
        }
    }

    @Test("a 4th invocation while 3 run does not go to the full environment's 4th parked next: it starts a second one")
    func fullEnvironment() async throws {
        try await withTestLab { lab in
            try lab.deploy(Self.function(slots: 3))
            _ = try await lab.invoke("slots")
            let results = try await Self.invokeAtOnce(lab, 4, holdMs: 600)
            let byEnvironment = Dictionary(grouping: results.compactMap(\.record), by: \.environmentID).mapValues(\.count)
            #expect(byEnvironment.values.sorted() == [1, 3], "\(byEnvironment)")
            #expect(results.compactMap(\.record).filter(\.coldStart).count == 1)
            #expect(lab.environmentsStarted == 2)
        }
    }

    @Test("one slot, Lambda's default: the runtime is not told a concurrency, and 2 at once take 2 environments")
    func oneSlot() async throws {
        try await withTestLab { lab in
            try lab.deploy(Self.function(slots: 1))
            let results = try await Self.invokeAtOnce(lab, 2, holdMs: 300)
            #expect(Set(results.compactMap(\.record?.environmentID)).count == 2)
            #expect(results.allSatisfy { decode($0.payload)["slots"] as? String == "1" })
        }
    }
}

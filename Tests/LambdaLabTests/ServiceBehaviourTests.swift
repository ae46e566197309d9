import Foundation
import LabTestSupport
import HTTP
import LambdaAPI
import Synchronization
import Testing
@testable import LambdaLab

/// The smaller ways a service must behave: callers always answered, log lines in AWS's order.
@Suite("The lab behaves like a service", .serialized, .timeLimit(.minutes(10)))
struct ServiceBehaviourTests {
    @Test("a caller waiting when the lab stops gets 500 ServiceException, not a closed connection")
    func shutdownAnswersCallers() async throws {
        let watcher = LogWatcher()
        var configuration = LabConfiguration()
        configuration.log = watcher.log
        let lab = try Lab(configuration: configuration)
        defer { lab.shutdown() }
        try await exclusively {
            let port = try lab.startInvokeAPI()
            try lab.deploy(plainWorker(timeout: .seconds(10)))
            let socket = try Socket.connect(port: port)
            try socket.send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("worker"), body: json(["hangMs": 3_000]))
                .serialized(host: "127.0.0.1:\(port)"))
            // Readiness: the invocation is running — its START is logged when its event is handed out.
            await watcher.waitForLine(startingWith: "START RequestId:")
            lab.shutdown()
            let response = try HTTPReader(socket).readResponse()
            #expect(response.status == 500)
            #expect(response.headers[AmazonHeaders.errorType] == "ServiceException")
        }
    }

    @Test("a crash logs START, END, REPORT and only then SHUTDOWN")
    func crashLogOrder() async throws {
        let lines = Mutex<[String]>([])
        var configuration = LabConfiguration()
        configuration.log = { line in if line.isPlatform { lines.withLock { $0.append(line.text) } } }
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            let crashed = try await lab.invoke("worker", payload: json(["exit": 3]))
            // The SHUTDOWN line is written before the environment counts as gone.
            await lab.waitUntilGone(try #require(crashed.record?.environmentID))
            let kinds = lines.withLock { $0 }.map { String($0.replacingOccurrences(of: "[lab] ", with: "").prefix { $0 != " " }) }
            #expect(kinds == ["START", "END", "REPORT", "SHUTDOWN"], "\(kinds)")
        }
    }

    @Test("an Init error logs START before END and REPORT")
    func initErrorLogOrder() async throws {
        let lines = Mutex<[String]>([])
        var configuration = LabConfiguration()
        configuration.log = { line in if line.isPlatform { lines.withLock { $0.append(line.text) } } }
        try await withTestLab(configuration) { lab in
            var function = try plainWorker()
            // The worker fails its Init when its database cannot be reached.
            function.environment["WORKER_DB_ADDRESS"] = "127.0.0.1:1"
            try lab.deploy(function)
            let result = try await lab.invoke("worker")
            #expect(result.functionError == "Unhandled")
            let kinds = lines.withLock { $0 }.filter { !$0.hasPrefix("[lab]") }.map { String($0.prefix { $0 != " " }) }
            #expect(kinds == ["START", "END", "REPORT"], "\(kinds)")
        }
    }
}

/// An on-demand Init that outruns its limit is re-run inside the first invocation
/// (chapters/aws-facts.md#init-phase).
@Suite("Suppressed init", .serialized, .timeLimit(.minutes(10)))
struct SuppressedInitTests {
    static func lab() -> LabConfiguration {
        var configuration = LabConfiguration()
        configuration.initTimeout = .milliseconds(400)   // AWS's 10 s, scaled down
        return configuration
    }

    @Test("an Init over the limit is re-run in a new environment inside the invocation: no Init Duration, Duration includes it")
    func rerunInsideInvocation() async throws {
        try await withTestLab(Self.lab()) { lab in
            var function = try plainWorker(timeout: .seconds(10))
            // Init takes 1.5 s against a 0.4 s limit: a wide margin, so a deadline thread that a
            // busy machine wakes late still finds Init unfinished.
            function.environment["WORKER_INIT_SLEEP_MS"] = "1500"
            try lab.deploy(function)
            let result = try await lab.invoke("worker")
            let record = try #require(result.record)
            #expect(result.functionError == nil)
            #expect(record.coldStart && record.initDuration == nil)
            #expect(record.duration >= .milliseconds(1_500))
            #expect(record.billedDurationMs >= 1_500)
            #expect(!record.logLines.last!.contains("Init Duration"))
            #expect(lab.environmentsStarted == 2)
        }
    }

    @Test("a re-run Init that outruns the function timeout ends the invocation with Sandbox.Timedout")
    func rerunTimesOut() async throws {
        try await withTestLab(Self.lab()) { lab in
            var function = try plainWorker(timeout: .seconds(1))
            function.environment["WORKER_INIT_SLEEP_MS"] = "1500"
            try lab.deploy(function)
            let result = try await lab.invoke("worker")
            #expect(result.functionError == "Unhandled")
            #expect(result.payloadText.contains("Sandbox.Timedout") && result.payloadText.contains("Task timed out after 1.00 seconds"))
            #expect(result.record?.duration ?? .zero >= .milliseconds(1000))
        }
    }
}


@Suite("Misbehaving runtimes", .serialized, .timeLimit(.minutes(10)))
struct MisbehavingRuntimeTests {
    static let connect = #"exec 3<>/dev/tcp/127.0.0.1/${AWS_LAMBDA_RUNTIME_API##*:}; "#
    static let next = #"printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' >&FD; "#
    /// Reads a response head from FD and sets `id` from Lambda-Runtime-Aws-Request-Id.
    static let readHead = #"id=; len=0; while IFS= read -r line <&FD; do line=${line%$'\r'}; [ -z "$line" ] && break; echo "runtime read: $line"; case "$line" in [Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d:*) id=${line#*: };; [Cc]ontent-[Ll]ength:*) len=${line#*: };; esac; done; [ "$len" -gt 0 ] && read -r -N "$len" body <&FD; "#

    static func function(_ script: String, timeout: Duration = .seconds(10)) -> FunctionConfiguration {
        FunctionConfiguration(name: "bash", command: ["/bin/bash", "-c", script], timeout: timeout)
    }

    @Test("a response over 16 MB fails the invocation at once with Function.ResponseSizeTooLarge, not at its timeout")
    func hugeResponse() async throws {
        let script = Self.connect + Self.next.replacingOccurrences(of: "FD", with: "3") + Self.readHead.replacingOccurrences(of: "FD", with: "3")
            + #"printf "POST /2018-06-01/runtime/invocation/$id/response HTTP/1.1\r\nHost: x\r\nContent-Length: 17000000\r\n\r\n" >&3; "#
            + #"head -c 17000000 /dev/zero >&3; sleep 30"#
        try await withTestLab { lab in
            try lab.deploy(Self.function(script))
            let result = try await lab.invoke("bash")
            #expect(result.functionError == "Unhandled")
            #expect(result.payloadText.contains("Function.ResponseSizeTooLarge"), "\(result.payloadText)")
            #expect((result.record?.duration ?? .seconds(99)) < .seconds(9))
        }
    }

    @Test("a runtime may park more nexts than its slot: each waits, and invocations go to the oldest first")
    func moreNextsThanSlots() async throws {
        // Invocation 1 on connection 3; then a next parked on 3 and, later, one on 4: two parked
        // nexts for one slot. Invocation 2 goes to the older (3), invocation 3 to the other (4).
        let respond = #"printf "POST /2018-06-01/runtime/invocation/$id/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" >&FD; "#
            + Self.readHead.replacingOccurrences(of: "FD", with: "FD")
        func on(_ fd: String, _ text: String) -> String { text.replacingOccurrences(of: "FD", with: fd) }
        let script = Self.connect + on("3", Self.next) + on("3", Self.readHead) + on("3", respond)
            + on("3", Self.next) + "sleep 0.2; "
            + #"exec 4<>/dev/tcp/127.0.0.1/${AWS_LAMBDA_RUNTIME_API##*:}; "# + on("4", Self.next) + #"echo "two nexts parked"; "#
            + on("3", Self.readHead) + #"echo "invocation $id on the older next"; "# + on("3", respond)
            + on("4", Self.readHead) + #"echo "invocation $id on the other next"; "# + on("4", respond) + "sleep 30"
        let watcher = LogWatcher()
        var configuration = LabConfiguration()
        configuration.log = watcher.log
        try await withTestLab(configuration) { lab in
            try lab.deploy(Self.function(script))
            #expect(try await lab.invoke("bash").functionError == nil)
            // Readiness: the runtime says both of its nexts are sent.
            await watcher.waitForLine(startingWith: "two nexts parked")
            let second = try await lab.invoke("bash")
            let third = try await lab.invoke("bash")
            #expect(second.functionError == nil && third.functionError == nil, "\(second.payloadText) \(third.payloadText)")
            #expect(watcher.lines.contains("invocation \(second.requestID) on the older next"), "\(watcher.lines)")
            #expect(watcher.lines.contains("invocation \(third.requestID) on the other next"), "\(watcher.lines)")
            #expect(lab.environmentsStarted == 1)
        }
    }
}


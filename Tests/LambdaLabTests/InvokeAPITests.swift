import Foundation
import LabTestSupport
import HTTP
import LambdaAPI
import Testing
@testable import LambdaLab

@Suite("Invoke API and Runtime API: AWS's errors, and the lab keeps serving", .serialized, .timeLimit(.minutes(10)))
struct InvokeAPITests {
    @Test("an unknown function gets 404 ResourceNotFoundException with a capital-M Message")
    func unknownFunction() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            let response = try invokeOverHTTP(lab, "nope")
            #expect(response.status == 404)
            #expect(response.headers["X-Amzn-ErrorType"] == "ResourceNotFoundException")
            #expect(decode(response.body)["Message"] as? String == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope")
        }
    }

    @Test("a body that is not JSON gets 400 InvalidRequestContentException")
    func notJSON() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            let response = try invokeOverHTTP(lab, "worker", body: Array("{not json".utf8))
            #expect(response.status == 400)
            #expect(response.headers["X-Amzn-ErrorType"] == "InvalidRequestContentException")
            #expect(lab.environmentsStarted == 0)
        }
    }

    @Test("an explicit Content-Type that is not JSON gets 415 UnsupportedMediaTypeException; none, or JSON, is fine")
    func mediaType() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            let refused = try invokeOverHTTP(lab, "worker", headers: ["Content-Type": "text/plain"])
            #expect(refused.status == 415)
            #expect(refused.headers["X-Amzn-ErrorType"] == "UnsupportedMediaTypeException")
            #expect(decode(refused.body)["message"] as? String == "The content type of the Invoke request body is not JSON.")
            #expect(try invokeOverHTTP(lab, "worker", headers: ["Content-Type": "application/json; charset=utf-8"]).status == 200)
            #expect(try invokeOverHTTP(lab, "worker").status == 200)
        }
    }

    @Test("a payload over 6 MB gets 413 RequestTooLargeException, and the next call still works")
    func tooLarge() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            let big = Array("\"".utf8) + [UInt8](repeating: 97, count: 6 * 1024 * 1024) + Array("\"".utf8)
            let response = try invokeOverHTTP(lab, "worker", body: big)
            #expect(response.status == 413)
            #expect(response.headers["X-Amzn-ErrorType"] == "RequestTooLargeException")
            #expect(try invokeOverHTTP(lab, "worker").status == 200)
        }
    }

    @Test("DryRun answers 204 and Event 202 without waiting; a qualifier that does not exist is 404")
    func invocationTypes() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            #expect(try invokeOverHTTP(lab, "worker", headers: ["X-Amz-Invocation-Type": "DryRun"]).status == 204)
            #expect(try invokeOverHTTP(lab, "worker", headers: ["X-Amz-Invocation-Type": "Event"]).status == 202)
            #expect(try invokeOverHTTP(lab, "worker:nope").status == 404)
            #expect(try invokeOverHTTP(lab, "worker", headers: ["X-Amz-Invocation-Type": "Sometimes"]).status == 400)
        }
    }

    @Test("malformed HTTP to the Invoke API gets a 400 and the lab keeps serving")
    func hostileInvokeAPI() async throws {
        try await withTestLab { lab in
            let port = try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            for raw in ["BLAH\r\n\r\n", "POST /2015-03-31/functions/worker/invocations HTTP/1.1\r\nContent-Length: x\r\n\r\n"] {
                let socket = try Socket.connect(port: port)
                try socket.send(Array(raw.utf8))
                _ = shutdown(socket.fd, Int32(SHUT_WR))
                // Each must be answered with a 4xx before the lab closes the connection.
                let answer = try HTTPReader(socket).readResponse()
                #expect((400..<500).contains(answer.status), "\(raw.debugDescription) → \(answer.status)")
            }
            // Empty lines before a request are ignored (RFC 9112 §2.2); then the client closed
            // without a request, so there is nothing to answer: the lab just closes too.
            let socket = try Socket.connect(port: port)
            try socket.send(Array("\r\n\r\n\r\n".utf8))
            _ = shutdown(socket.fd, Int32(SHUT_WR))
            #expect(throws: HTTPError.self) { try HTTPReader(socket).readResponse() }
            #expect(try invokeOverHTTP(lab, "worker").status == 200)
        }
    }

    @Test("a Runtime API endpoint answers garbage with 400, an unknown request ID with 400 InvalidRequestID, and keeps serving")
    func hostileRuntimeAPI() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            _ = try await lab.invoke("worker")
            let port = try #require(lab.environments.first?.runtimeAPIPort)
            let socket = try Socket.connect(port: port)
            try socket.send(Array("NOT HTTP AT ALL\r\n\r\n".utf8))
            #expect(try HTTPReader(socket).readResponse().status == 400)
            let client = HTTPClient(port: port)
            let bogus = try client.send(HTTPRequest(method: "POST", target: RuntimeAPIPath.response("no-such-id"), body: Array("{}".utf8)))
            #expect(bogus.status == 400)
            #expect(decode(bogus.body)["errorType"] as? String == "InvalidRequestID")
            let unknown = try client.send(HTTPRequest(method: "GET", target: "/2018-06-01/runtime/nothing"))
            #expect(unknown.status == 404)
            let result = try await lab.invoke("worker")
            #expect(result.functionError == nil)
            #expect(result.record?.coldStart == false)
        }
    }
}

/// The front door is one loop for every caller: a caller that misbehaves must cost the others
/// nothing.
@Suite("Invoke API: one caller cannot stall the others", .serialized, .timeLimit(.minutes(10)))
struct FrontDoorFairnessTests {
    /// A runtime whose every answer is 1 MB.
    static let bigAnswers = FunctionConfiguration(name: "big", command: ["python3", "-c", #"""
        import http.client, os
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        api = http.client.HTTPConnection(host, int(port))
        body = b'"' + b"x" * (1024 * 1024) + b'"'
        while True:
            api.request("GET", "/2018-06-01/runtime/invocation/next")
            answer = api.getresponse(); answer.read()
            api.request("POST", f"/2018-06-01/runtime/invocation/{answer.getheader('Lambda-Runtime-Aws-Request-Id')}/response", body)
            api.getresponse().read()
        """#])

    @Test("3 callers that pipeline 50 invokes of 1 MB answers and never read: the lab stops reading them, and another caller is served as fast as alone",
          .enabled(if: Installed.python3, "python3 is not installed (the function is a Python script)"))
    func stalledClients() async throws {
        let watcher = LogWatcher()
        var configuration = LabConfiguration()
        configuration.log = { line in if line.functionName == "big" { watcher.record(line.text) } }
        try await withTestLab(configuration) { lab in
            let port = try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            try lab.deploy(Self.bigAnswers)
            let caller = HTTPClient(port: port)
            let request = HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("worker"), body: Array("{}".utf8))
            func medianLatency() throws -> Duration {
                var latencies: [Duration] = []
                for _ in 0..<20 {
                    let sent = ContinuousClock.now
                    #expect(try caller.send(request).status == 200)
                    latencies.append(ContinuousClock.now - sent)
                }
                return latencies.sorted()[10]
            }
            let alone = try medianLatency()
            // Each stalled caller writes 50 requests at once and reads nothing.
            let big = HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("big"), body: Array("{}".utf8)).serialized(host: "127.0.0.1:\(port)")
            let stalled = try (0..<3).map { _ in try Socket.connect(port: port) }
            defer { for socket in stalled { socket.close() } }
            for socket in stalled {
                for _ in 0..<50 { _ = try big.withUnsafeBytes { try socket.sendNow($0) } }
            }
            // Readiness: each stalled caller has had an invocation run (its REPORT is logged); from
            // there its 1 MB answers fill its socket, and the lab stops reading it.
            await watcher.waitForLines(3, startingWith: "REPORT")
            let beside = try medianLatency()
            let ran = lab.records.filter { $0.functionName == "big" }.count
            #expect(ran < 3 * 50, "the lab ran \(ran) of the stalled callers' 150 invokes: it kept reading them")
            #expect(beside < alone * 20 + .milliseconds(5), "alone \(alone), beside 3 stalled callers \(beside)")
        }
    }
}

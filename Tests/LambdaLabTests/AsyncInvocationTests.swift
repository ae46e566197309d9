import Foundation
import LabTestSupport
import HTTP
import LambdaAPI
import Synchronization
import Testing
@testable import LambdaLab

/// Asynchronous invocation: every accepted event ends in exactly one of succeeded, sent to the
/// on-failure destination, or dropped with a log line. AWS's waits are scaled by 1/1000 here
/// (a minute becomes 60 ms).
@Suite("Asynchronous invocations: queued, retried, never lost", .serialized, .timeLimit(.minutes(10)))
struct AsyncInvocationTests {
    static func configuration(log: (@Sendable (LogLine) -> Void)? = nil) -> LabConfiguration {
        var configuration = LabConfiguration()
        configuration.asyncTimeScale = 0.001
        configuration.log = log
        return configuration
    }

    /// Waits until no event of `function` is queued: resumed by the last event's ending.
    func settled(_ lab: Lab, _ function: String) async throws -> EventCounts {
        await lab.waitForQueuedEvents(function)
        return lab.eventCounts(function)
    }

    @Test("30 events to a function with reserved concurrency 1: all accepted, throttled ones wait and run, none lost")
    func throttledEventsAllRun() async throws {
        var configuration = Self.configuration()
        configuration.asyncTimeScale = 0.0002   // throttled events back off to at most 60 ms
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            _ = try lab.putReservedConcurrency("worker", 1)
            for _ in 0..<30 { try lab.invokeAsync("worker", payload: json(["hangMs": 20])) }
            let counts = try await settled(lab, "worker")
            #expect(counts.accepted == 30)
            #expect(counts.succeeded == 30)
            #expect(counts.dropped == 0 && counts.sentToDestination == 0)
            #expect(counts.retriedAfterThrottle > 0)
            #expect(lab.records.filter { $0.functionName == "worker" }.count == 30)
        }
    }

    @Test("the queue keeps a throttled function busy: with reserved concurrency 1 and AWS's own timings, 100 events of 50 ms run back to back, none too old")
    func drainsAtCapacity() async throws {
        var configuration = LabConfiguration()
        configuration.asyncTimeScale = 1   // AWS's waits: 1 s, 2 s, 4 s… between retries of a throttled event
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            _ = try lab.putReservedConcurrency("worker", 1)
            let started = ContinuousClock.now
            for _ in 0..<100 { try lab.invokeAsync("worker", payload: json(["hangMs": 50])) }
            let counts = try await settled(lab, "worker")
            let wall = ContinuousClock.now - started
            let work = lab.records.filter { $0.functionName == "worker" }.reduce(Duration.zero) { $0 + $1.duration }
            #expect(counts.succeeded == 100 && counts.dropped == 0 && counts.sentToDestination == 0)
            #expect(lab.eventEndings("worker").allSatisfy { $0.condition == "Success" })
            // A slot that frees takes the oldest waiting event at once: the queue's wall time is the
            // work it ran plus the lab's own per-event cost, not waves of backoff (before, 11 of the
            // 100 ran in the first minute). Twice the work and a second is a wide margin for a busy machine.
            #expect(wall < work * 2 + .seconds(1), "100 events took \(wall) for \(work) of work")
        }
    }

    @Test("a failing event runs 3 times (2 retries), then its record goes to the on-failure destination")
    func retriesThenDestination() async throws {
        try await withTestLab(Self.configuration()) { lab in
            try lab.deploy(plainWorker())
            try lab.deploy(plainWorker(name: "sink"))
            _ = try lab.putEventInvokeConfig("worker", qualifier: nil, EventInvokeConfig(onFailure: lab.arn("sink")))
            let event = try lab.invokeAsync("worker", payload: json(["fail": "boom"]))
            let counts = try await settled(lab, "worker")
            #expect(counts.accepted == 1 && counts.sentToDestination == 1 && counts.succeeded == 0 && counts.dropped == 0)
            #expect(counts.retriedAfterError == 2)
            let runs = lab.records.filter { $0.functionName == "worker" && $0.functionError == "Unhandled" }
            #expect(runs.count == 3)
            // As on AWS, every run of an event has the event's own request ID.
            #expect(runs.allSatisfy { $0.requestID == event }, "\(runs.map(\.requestID)) for event \(event)")
            let sink = try await settled(lab, "sink")
            #expect(sink.accepted == 1 && sink.succeeded == 1)
        }
    }

    @Test("MaximumRetryAttempts 0 and no destination: one run, then dropped with a log line that says why")
    func droppedWithReason() async throws {
        let lines = Mutex<[String]>([])
        try await withTestLab(Self.configuration(log: { line in lines.withLock { $0.append(line.text) } })) { lab in
            try lab.deploy(plainWorker())
            _ = try lab.putEventInvokeConfig("worker", qualifier: nil, EventInvokeConfig(maximumRetryAttempts: 0))
            let requestID = try lab.invokeAsync("worker", payload: json(["fail": "boom"]))
            let counts = try await settled(lab, "worker")
            #expect(counts.dropped == 1 && counts.retriedAfterError == 0)
            #expect(lines.withLock { $0 }.contains { $0.contains("Event \(requestID) dropped after 1 invocation(s): RetriesExhausted; no on-failure destination") })
        }
    }

    @Test("reserved concurrency 0: the event goes straight to the destination, never run")
    func zeroReservedConcurrency() async throws {
        try await withTestLab(Self.configuration()) { lab in
            try lab.deploy(plainWorker())
            try lab.deploy(plainWorker(name: "sink"))
            _ = try lab.putReservedConcurrency("worker", 0)
            _ = try lab.putEventInvokeConfig("worker", qualifier: nil, EventInvokeConfig(onFailure: lab.arn("sink")))
            try lab.invokeAsync("worker", payload: json(["key": "x"]))
            let counts = try await settled(lab, "worker")
            #expect(counts.sentToDestination == 1)
            #expect(lab.records.filter { $0.functionName == "worker" }.isEmpty)
        }
    }

    @Test("the invocation record has AWS's shape: version, requestContext with condition and count, payloads")
    func invocationRecordShape() async throws {
        try await withTestLab(Self.configuration()) { lab in
            try lab.deploy(plainWorker())
            var event = QueuedEvent(requestID: RequestID("r-1"), functionName: "worker", qualifier: nil, payload: json(["key": "a"]), acceptedAt: .now)
            event.invocations = 3
            let result = InvocationResult(requestID: "x", executedVersion: "$LATEST", payload: Array(#"{"errorMessage":"boom","errorType":"WorkerError"}"#.utf8),
                                          functionError: "Unhandled", record: nil)
            let record = decode(lab.invocationRecord(event, condition: "RetriesExhausted", result: result, status: 200))
            #expect(record["version"] as? String == "1.0")
            let context = try #require(record["requestContext"] as? [String: Any])
            #expect(context["requestId"] as? String == "r-1")
            #expect(context["condition"] as? String == "RetriesExhausted")
            #expect(context["approximateInvokeCount"] as? Int == 3)
            #expect(context["functionArn"] as? String == "arn:aws:lambda:us-east-1:000000000000:function:worker:$LATEST")
            #expect((record["requestPayload"] as? [String: Any])?["key"] as? String == "a")
            #expect((record["responseContext"] as? [String: Any])?["functionError"] as? String == "Unhandled")
            #expect((record["responsePayload"] as? [String: Any])?["errorType"] as? String == "WorkerError")
        }
    }

    @Test("events still queued when the lab stops are counted as dropped and logged, not lost silently")
    func shutdownReportsQueued() async throws {
        let lines = Mutex<[String]>([])
        var configuration = Self.configuration(log: { line in lines.withLock { $0.append(line.text) } })
        configuration.asyncTimeScale = 1   // AWS's own waits: the throttled events will still be waiting
        let counts = try await withTestLab(configuration) { lab -> EventCounts in
            try lab.deploy(plainWorker())
            _ = try lab.putReservedConcurrency("worker", 1)
            for _ in 0..<5 { try lab.invokeAsync("worker", payload: json(["hangMs": 200])) }
            lab.shutdown()
            return lab.eventCounts("worker")
        }
        #expect(counts.accepted == 5 && counts.queued == 0)
        #expect(counts.dropped + counts.succeeded == 5 && counts.dropped >= 4)
        #expect(lines.withLock { $0 }.contains { $0.contains("queued event(s) dropped: the lab stopped before they could run") })
    }

    @Test("Put/Get/Delete FunctionEventInvokeConfig over HTTP, with AWS's validation")
    func controlPlane() async throws {
        try await withTestLab(Self.configuration()) { lab in
            let port = try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            try lab.deploy(plainWorker(name: "sink"))
            let client = HTTPClient(port: port)
            let path = "/2019-09-25/functions/worker/event-invoke-config"
            let put = try client.send(HTTPRequest(method: "PUT", target: path, body: json([
                "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 120,
                "DestinationConfig": ["OnFailure": ["Destination": lab.arn("sink")]]])))
            #expect(put.status == 200)
            let got = decode(try client.send(HTTPRequest(method: "GET", target: path)).body)
            #expect(got["MaximumRetryAttempts"] as? Int == 1 && got["MaximumEventAgeInSeconds"] as? Int == 120)
            #expect(((got["DestinationConfig"] as? [String: Any])?["OnFailure"] as? [String: Any])?["Destination"] as? String == lab.arn("sink"))
            let bad = try client.send(HTTPRequest(method: "PUT", target: path, body: json(["MaximumRetryAttempts": 3])))
            #expect(bad.status == 400)
            let nowhere = try client.send(HTTPRequest(method: "PUT", target: path, body: json(["DestinationConfig": ["OnFailure": ["Destination": lab.arn("nope")]]])))
            #expect(nowhere.status == 400)
            // A function cannot be its own destination (a loop of records with nothing to end it).
            let itself = try client.send(HTTPRequest(method: "PUT", target: path, body: json(["DestinationConfig": ["OnFailure": ["Destination": lab.arn("worker")]]])))
            #expect(itself.status == 400)
            #expect(try client.send(HTTPRequest(method: "DELETE", target: path)).status == 204)
            #expect(try client.send(HTTPRequest(method: "GET", target: path)).status == 404)
            let event = try client.send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations("worker"),
                                                    headers: [AmazonHeaders.invocationType: "Event"], body: json(["key": "a"])))
            #expect(event.status == 202)
            #expect(try await settled(lab, "worker").succeeded == 1)
        }
    }
}

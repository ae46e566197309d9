import Foundation
import LabRuntime
import HTTP
import Testing

/// Every LabRuntime test, one at a time: a runtime sets `_X_AMZN_TRACE_ID` in the process's
/// environment, which is shared by all tests, and `setenv` races with a concurrent `getenv`.
@Suite("LabRuntime against a scripted Runtime API", .serialized)
struct LabRuntimeTests {}

struct Greeting: Codable {
    var name: String
    var count: Int
}

struct Reply: Codable {
    var message: String
    var doubled: Int
}

/// Only optional fields, as events often have: an Invoke without a payload still decodes.
struct Options: Decodable {
    var verbose: Bool?
}

/// A client on the scripted API, with a fixed environment rather than the test process's own.
func client(_ api: ScriptedRuntimeAPI, environment: [String: String] = [:]) throws -> LambdaRuntimeClient {
    try LambdaRuntimeClient(endpoint: api.endpoint, environment: environment)
}

extension LabRuntimeTests {
    @Suite("Invocations")
    struct InvocationTests {
        @Test("a Codable event is decoded and the output posted as JSON to /response/{id}")
        func codableEventAndOutput() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-1", body: #"{"name":"Ada","count":2}"#)])
            defer { api.stop() }
            let runtime = LambdaRuntime { (event: Greeting, _: LambdaContext) in
                Reply(message: "hello \(event.name)", doubled: event.count * 2)
            }
            try runtime.processNextInvocation(with: client(api))

            let received = api.received
            #expect(received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/req-1/response"])
            #expect(received.last?.bodyText == #"{"doubled":4,"message":"hello Ada"}"#)
            #expect(received.last?.request.headers["Content-Type"] == "application/json")
        }

        @Test("the context carries the /next headers and the Lambda environment variables")
        func contextFromHeaders() throws {
            let deadline = Int64(Date().timeIntervalSince1970 * 1000) + 60_000
            let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            let api = try ScriptedRuntimeAPI(script: [.event(
                id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd", deadlineMs: deadline,
                arn: "arn:aws:lambda:us-east-2:123456789012:function:worker:live",
                traceID: trace, clientContext: #"{"client":{"app_title":"lab"}}"#, cognitoIdentity: #"{"cognitoIdentityId":"id"}"#)])
            defer { api.stop() }
            let environment = [
                "AWS_LAMBDA_FUNCTION_NAME": "worker", "AWS_LAMBDA_FUNCTION_VERSION": "7",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/worker",
                "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[7]0123456789abcdef",
            ]
            var seen: LambdaContext?
            var traceVariable: String?
            try client(api, environment: environment).processNextInvocation { _, context in
                seen = context
                traceVariable = getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) }
                return []
            }

            let context = try #require(seen)
            #expect(context.requestID == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
            #expect(context.deadlineMs == deadline)
            #expect(context.invokedFunctionARN == "arn:aws:lambda:us-east-2:123456789012:function:worker:live")
            #expect(context.traceID == trace)
            #expect(context.clientContext == #"{"client":{"app_title":"lab"}}"#)
            #expect(context.cognitoIdentity == #"{"cognitoIdentityId":"id"}"#)
            #expect(context.functionName == "worker")
            #expect(context.functionVersion == "7")
            #expect(context.memoryLimitMB == 512)
            #expect(context.logGroupName == "/aws/lambda/worker")
            #expect(context.logStreamName == "2026/01/01/[7]0123456789abcdef")
            let remaining = context.getRemainingTime()
            #expect(remaining > .seconds(50) && remaining <= .seconds(60))
            // Set for the X-Ray SDKs, for the duration of the invocation.
            #expect(traceVariable == trace)
            #expect(api.received.last?.line == "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response")
        }

        @Test("an empty event decodes as {}")
        func emptyEventDecodesAsEmptyObject() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-empty", body: "")])
            defer { api.stop() }
            let runtime = LambdaRuntime { (options: Options, _: LambdaContext) in
                Reply(message: options.verbose == nil ? "defaults" : "verbose given", doubled: 0)
            }
            try runtime.processNextInvocation(with: client(api))

            #expect(api.received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                                 "POST /2018-06-01/runtime/invocation/req-empty/response"])
            #expect(api.received.last?.bodyText == #"{"doubled":0,"message":"defaults"}"#)
        }

        @Test("two invocations in a row, on one kept-alive connection, with state kept between them")
        func twoInvocationsOnOneConnection() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "first", body: #"{"name":"a","count":1}"#),
                                                      .event(id: "second", body: #"{"name":"b","count":5}"#)])
            defer { api.stop() }
            var invocations = 0
            let runtime = LambdaRuntime { (event: Greeting, context: LambdaContext) in
                invocations += 1
                return Reply(message: "\(context.requestID) #\(invocations)", doubled: event.count * 2)
            }
            let client = try client(api)
            try runtime.processNextInvocation(with: client)
            try runtime.processNextInvocation(with: client)

            let received = api.received
            #expect(received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/first/response",
                                             "GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/second/response"])
            #expect(received.map(\.connection) == [1, 1, 1, 1])
            #expect(received.filter { $0.request.method == "POST" }.map(\.bodyText)
                == [#"{"doubled":2,"message":"first #1"}"#, #"{"doubled":10,"message":"second #2"}"#])
        }

        @Test("a LambdaHandler type serves the invocation")
        func handlerType() throws {
            struct Doubler: LambdaHandler {
                let greeting: String
                func handle(_ event: Greeting, context: LambdaContext) throws -> Reply {
                    Reply(message: "\(greeting) \(event.name)", doubled: event.count * 2)
                }
            }
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-h", body: #"{"name":"Grace","count":21}"#)])
            defer { api.stop() }
            try LambdaRuntime(lambdaHandler: Doubler(greeting: "hi")).processNextInvocation(with: client(api))

            #expect(api.received.last?.line == "POST /2018-06-01/runtime/invocation/req-h/response")
            #expect(api.received.last?.bodyText == #"{"doubled":42,"message":"hi Grace"}"#)
        }

        @Test("a handler without output posts an empty response")
        func voidOutput() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-v", body: #"{"name":"x","count":3}"#)])
            defer { api.stop() }
            var seen: Greeting?
            let runtime = LambdaRuntime { (event: Greeting, _: LambdaContext) in seen = event }
            try runtime.processNextInvocation(with: client(api))

            #expect(seen?.count == 3)
            #expect(api.received.last?.line == "POST /2018-06-01/runtime/invocation/req-v/response")
            #expect(api.received.last?.request.body == [])
        }

        @Test("a raw handler gets the event's bytes as they came, and its bytes are posted as they are")
        func rawBytes() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "raw-1", body: "not json"), .event(id: "raw-2", body: "")])
            defer { api.stop() }
            var events: [[UInt8]] = []
            let runtime = LambdaRuntime(rawHandler: { bytes, _ in
                events.append(bytes)
                return Array(bytes.reversed())
            })
            let client = try client(api)
            try runtime.processNextInvocation(with: client)
            try runtime.processNextInvocation(with: client)

            // No `{}` for an empty event: that is the Codable adapter's doing, not the loop's.
            #expect(events == [Array("not json".utf8), []])
            let posts = api.received.filter { $0.request.method == "POST" }
            #expect(posts.map(\.line) == ["POST /2018-06-01/runtime/invocation/raw-1/response",
                                          "POST /2018-06-01/runtime/invocation/raw-2/response"])
            #expect(posts.map(\.bodyText) == ["nosj ton", ""])
        }
    }
}

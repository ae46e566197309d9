import Foundation
import LabRuntime
import HTTP
import LambdaAPI
import Testing

/// A plain Swift error: its type's name becomes the errorType.
struct OutOfCoffee: Error, CustomStringConvertible {
    var description: String { "no coffee left" }
}

struct Order: Decodable {
    var drink: String
}

extension LabRuntimeTests {
    @Suite("Errors")
    struct ErrorTests {
        @Test("a thrown FunctionError posts to /error with its type in the header and the AWS error body")
        func functionError() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-f", body: #"{"drink":"tea"}"#)])
            defer { api.stop() }
            let runtime = LambdaRuntime { (_: Order, _: LambdaContext) throws -> Reply in
                throw FunctionError(type: "WorkerError", message: #"the "pot" is empty"#)
            }
            try runtime.processNextInvocation(with: client(api))

            let received = api.received
            #expect(received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/req-f/error"])
            let post = try #require(received.last)
            #expect(post.request.headers["Lambda-Runtime-Function-Error-Type"] == "WorkerError")
            #expect(post.request.headers["Content-Type"] == "application/vnd.aws.lambda.error+json")
            #expect(post.bodyText == #"{"errorMessage":"the \"pot\" is empty","errorType":"WorkerError"}"#)
        }

        @Test("a plain error is reported under its type's name, and the next invocation is served")
        func plainErrorThenNextInvocation() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-a", body: #"{"drink":"coffee"}"#),
                                                      .event(id: "req-b", body: #"{"drink":"tea"}"#)])
            defer { api.stop() }
            let runtime = LambdaRuntime { (order: Order, _: LambdaContext) throws -> Reply in
                if order.drink == "coffee" { throw OutOfCoffee() }
                return Reply(message: order.drink, doubled: 0)
            }
            let client = try client(api)
            try runtime.processNextInvocation(with: client)
            try runtime.processNextInvocation(with: client)

            let received = api.received
            #expect(received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/req-a/error",
                                             "GET /2018-06-01/runtime/invocation/next",
                                             "POST /2018-06-01/runtime/invocation/req-b/response"])
            #expect(received[1].request.headers["Lambda-Runtime-Function-Error-Type"] == "OutOfCoffee")
            #expect(received[1].bodyText == #"{"errorMessage":"no coffee left","errorType":"OutOfCoffee"}"#)
            #expect(received[3].bodyText == #"{"doubled":0,"message":"tea"}"#)
        }

        @Test("an event that does not decode is the function's error (DecodingError); the handler is not called")
        func undecodableEvent() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-d", body: #"{"drink":42}"#)])
            defer { api.stop() }
            var called = false
            let runtime = LambdaRuntime { (_: Order, _: LambdaContext) -> Reply in
                called = true
                return Reply(message: "", doubled: 0)
            }
            try runtime.processNextInvocation(with: client(api))

            #expect(!called)
            #expect(api.received.last?.line == "POST /2018-06-01/runtime/invocation/req-d/error")
            #expect(api.received.last?.request.headers["Lambda-Runtime-Function-Error-Type"] == "DecodingError")
        }

        @Test("a handler's own network error is the function's error, not a Runtime API failure")
        func handlerSocketError() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "req-s", body: "{}")])
            defer { api.stop() }
            var thrown: String?
            try client(api).processNextInvocation { _, _ in
                do {
                    _ = try Socket.connect(port: 1)   // nothing listens there: ECONNREFUSED
                    return []
                } catch {
                    thrown = String(describing: error)
                    throw error
                }
            }

            let message = try #require(thrown)
            #expect(api.received.last?.line == "POST /2018-06-01/runtime/invocation/req-s/error")
            #expect(api.received.last?.request.headers["Lambda-Runtime-Function-Error-Type"] == "SocketError")
            #expect(api.received.last?.bodyText == AWSErrorBody.json(["errorMessage": message, "errorType": "SocketError"]))
        }

        @Test("an Init error posts to /runtime/init/error and is rethrown; a FunctionError keeps its type")
        func initError() throws {
            let api = try ScriptedRuntimeAPI(script: [])
            defer { api.stop() }
            let client = try client(api)

            #expect(try client.initialize { 7 } == 7)
            #expect(api.received.isEmpty, "a successful Init reports nothing")

            #expect(throws: OutOfCoffee.self) { try client.initialize { () throws -> Int in throw OutOfCoffee() } }
            #expect(throws: FunctionError.self) {
                try client.initialize { () throws -> Int in throw FunctionError(type: "Config.Missing", message: "no TABLE_NAME") }
            }

            let received = api.received
            #expect(received.map(\.line) == ["POST /2018-06-01/runtime/init/error", "POST /2018-06-01/runtime/init/error"])
            #expect(received.map { $0.request.headers["Lambda-Runtime-Function-Error-Type"] } == ["Runtime.InitError", "Config.Missing"])
            #expect(received.map(\.bodyText) == [#"{"errorMessage":"no coffee left","errorType":"Runtime.InitError"}"#,
                                                 #"{"errorMessage":"no TABLE_NAME","errorType":"Config.Missing"}"#])
        }

        @Test("a Runtime API that fails /next is thrown to the caller (run() exits on it); the handler is not called")
        func runtimeAPIFailure() throws {
            let api = try ScriptedRuntimeAPI(script: [])
            defer { api.stop() }
            var called = false
            #expect(throws: LambdaRuntimeError.unexpectedStatus(path: "/2018-06-01/runtime/invocation/next", status: 500)) {
                try client(api).processNextInvocation { _, _ in called = true; return [] }
            }
            #expect(!called)
            #expect(api.received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next"])

            // Nothing listening at all: the connection's own error.
            let unreachable = try LambdaRuntimeClient(endpoint: "127.0.0.1:1", environment: [:])
            #expect(throws: SocketError.self) { try unreachable.processNextInvocation { _, _ in called = true; return [] } }
            #expect(!called)
            #expect(throws: HTTPError.self) { try LambdaRuntimeClient(endpoint: "no-port", environment: [:]) }
        }

        @Test("a response the Runtime API refuses as too large (413) is logged, not fatal: the loop goes on")
        func responseTooLarge() throws {
            let api = try ScriptedRuntimeAPI(script: [.event(id: "big-1"), .event(id: "big-2")], responseStatus: 413)
            defer { api.stop() }
            let runtime = LambdaRuntime(rawHandler: { _, _ in Array("big".utf8) })
            let client = try client(api)
            try runtime.processNextInvocation(with: client)
            try runtime.processNextInvocation(with: client)

            #expect(api.received.map(\.line) == ["GET /2018-06-01/runtime/invocation/next",
                                                 "POST /2018-06-01/runtime/invocation/big-1/response",
                                                 "GET /2018-06-01/runtime/invocation/next",
                                                 "POST /2018-06-01/runtime/invocation/big-2/response"])
        }
    }
}

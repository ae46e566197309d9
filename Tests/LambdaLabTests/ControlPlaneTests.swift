import Foundation
import LabTestSupport
import HTTP
import Synchronization
import Testing
@testable import LambdaLab

@Suite("Control plane: versions, aliases, provisioned and reserved concurrency", .serialized, .timeLimit(.minutes(10)))
struct ControlPlaneTests {
    @Test("versions are frozen copies; an alias resolves to its version; X-Amz-Executed-Version says which ran")
    func versionsAndAliases() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            #expect(try lab.publishVersion("worker").version == "1")
            #expect(try lab.publishVersion("worker").version == "2")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            #expect(try await lab.invoke("worker", qualifier: "live").executedVersion == "1")
            #expect(try await lab.invoke("worker", qualifier: "2").executedVersion == "2")
            #expect(try await lab.invoke("worker").executedVersion == "$LATEST")
            #expect(try lab.versions("worker").map(\.version) == ["$LATEST", "1", "2"])
            #expect(throws: LabError.self) { try lab.createAlias("worker", name: "live", version: "2") }     // 409
            #expect(throws: LabError.self) { try lab.createAlias("worker", name: "123", version: "1") }     // all digits
            #expect(throws: LabError.self) { try lab.createAlias("worker", name: "next", version: "9") }    // no such version
            await #expect(throws: LabError.self) { try await lab.invoke("worker", qualifier: "nope") }
        }
    }

    @Test("provisioned concurrency: refused on $LATEST and for 0; Get on a qualifier without one is 404")
    func provisionedValidation() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            try lab.publishVersion("worker")
            #expect(throws: LabError.invalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")) {
                try lab.putProvisionedConcurrency("worker", qualifier: nil, executions: 1)
            }
            #expect { try lab.putProvisionedConcurrency("worker", qualifier: "1", executions: 0) } throws: { ($0 as? LabError)?.type == "ValidationException" }
            #expect { try lab.provisionedConcurrency("worker", qualifier: "1") } throws: {
                ($0 as? LabError)?.type == "ProvisionedConcurrencyConfigNotFoundException" && ($0 as? LabError)?.status == 404
            }
            #expect { try lab.provisionedConcurrency("worker", qualifier: "$LATEST") } throws: {
                ($0 as? LabError)?.message == "The function resource provided must be an alias or a published version."
            }
        }
    }

    @Test("READY only after Init: environments are provisioned-concurrency, invocations through the alias are warm; delete shuts them down")
    func provisionedLifecycle() async throws {
        try await withTestLab { lab in
            try lab.deploy(plainWorker())
            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            let put = try lab.putProvisionedConcurrency("worker", qualifier: "live", executions: 2)
            #expect(put.status == .inProgress)
            #expect(put.allocated == 0)
            let ready = try await lab.waitForProvisionedConcurrency("worker", qualifier: "live")
            #expect(ready.status == .ready)
            #expect(ready.allocated == 2 && ready.available == 2)
            let provisioned = lab.environments.filter { $0.provisionedFor == "live" }
            #expect(provisioned.count == 2)
            #expect(provisioned.allSatisfy { $0.initializationType == .provisionedConcurrency && $0.initDuration != nil && $0.phase == "idle" })
            let result = try await lab.invoke("worker", qualifier: "live")
            #expect(result.record?.coldStart == false)
            #expect(result.record?.initializationType == .provisionedConcurrency)
            // The version itself, not through the alias, does not use the alias's environments.
            #expect(try await lab.invoke("worker", qualifier: "1").record?.coldStart == true)
            try lab.deleteProvisionedConcurrency("worker", qualifier: "live")
            for environment in provisioned { await lab.waitUntilGone(environment.id) }
            #expect(lab.environments.filter { $0.provisionedFor == "live" }.isEmpty)
        }
    }

    @Test("reserved concurrency caps the function: at the cap, the next invocation is throttled with 429 and AWS's Reason")
    func reservedConcurrency() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            try lab.putReservedConcurrency("worker", 1)
            #expect(try lab.reservedConcurrency("worker") == 1)
            let throttled = try await withCheckedThrowingContinuation { (done: CheckedContinuation<HTTPResponse, Error>) in
                // The callback API routes before it returns: when it does, the only slot is taken.
                let answer = Mutex<Result<HTTPResponse, Error>?>(nil)
                lab.invoke("worker", qualifier: nil, payload: json(["hangMs": 400])) { _ in done.resume(with: answer.withLock { $0! }) }
                answer.withLock { $0 = Result { try invokeOverHTTP(lab, "worker") } }
            }
            #expect(throttled.status == 429)
            #expect(throttled.headers["X-Amzn-ErrorType"] == "TooManyRequestsException")
            #expect(decode(throttled.body)["Reason"] as? String == "ReservedFunctionConcurrentInvocationLimitExceeded")
            #expect(decode(throttled.body)["message"] as? String == "Rate Exceeded.")
            try lab.putReservedConcurrency("worker", 0)
            #expect(try invokeOverHTTP(lab, "worker").status == 429)
            #expect(throws: LabError.self) { try lab.putReservedConcurrency("worker", 901) }   // would leave < 100 unreserved
        }
    }
}

@Suite("Scaling rate through the lab", .serialized, .timeLimit(.minutes(10)))
struct LabScalingRateTests {
    @Test("with room for 2 new environments, 4 concurrent calls: 2 run, 2 get 429 FunctionInvocationRateLimitExceeded; a warm one needs no room")
    func coldStartsNeedRoom() async throws {
        var configuration = LabConfiguration()
        configuration.scalingRate = ScalingRate(environments: 2, per: .seconds(60))
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            let results = await withTaskGroup(of: Result<InvocationResult, Error>.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do { return .success(try await lab.invoke("worker", payload: json(["hangMs": 300]))) } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let reasons = results.compactMap { result -> String? in
                if case .failure(let error as LabError) = result { return error.reason }
                return nil
            }
            #expect(results.filter { (try? $0.get()) != nil }.count == 2)
            #expect(reasons == ["FunctionInvocationRateLimitExceeded", "FunctionInvocationRateLimitExceeded"])
            // Both environments are warm now: reusing them takes no allowance.
            #expect(try await lab.invoke("worker").functionError == nil)
            #expect(lab.environmentsStarted == 2)
        }
    }

    @Test("the account's unreserved minimum is the lab's setting: AWS's 100, or smaller for a small account")
    func unreservedMinimum() async throws {
        var configuration = LabConfiguration()
        configuration.accountConcurrency = 8
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            #expect(throws: LabError.self) { try lab.putReservedConcurrency("worker", 3) }
        }
        configuration.minimumUnreservedConcurrency = 1
        try await withTestLab(configuration) { lab in
            try lab.deploy(plainWorker())
            #expect(try lab.putReservedConcurrency("worker", 3) == 3)
        }
    }
}

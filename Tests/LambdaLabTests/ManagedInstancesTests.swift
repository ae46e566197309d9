import Foundation
import LabTestSupport
import Testing
@testable import LambdaLab

/// Lambda Managed Instances as the lab runs it: a capacity provider, a function on it, a version
/// whose environments start when it is published, several invocations at once in each, throttles
/// when every slot is busy, timeouts that fail alone, a scaler. The runtime is a few lines of
/// Python that does what AWS's own runtimes do in this mode: read `AWS_LAMBDA_MAX_CONCURRENCY` and
/// run that many workers, each a process with its own `GET /next` loop.
@Suite("Lambda Managed Instances", .serialized, .timeLimit(.minutes(10)),
       .enabled(if: Installed.python3, "python3 is not installed (the runtime is a Python script)"))
struct ManagedInstancesTests {
    static let runtime = #"""
    import http.client, json, os, sys, time, multiprocessing
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    workers = int(os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1"))
    def work(number):
        api = http.client.HTTPConnection(host, int(port))
        while True:
            api.request("GET", "/2018-06-01/runtime/invocation/next")
            answer = api.getresponse()
            event = json.loads(answer.read() or b"{}")
            request = answer.getheader("Lambda-Runtime-Aws-Request-Id")
            if event.get("crash"):
                os._exit(3)
            time.sleep(event.get("holdMs", 0) / 1000)
            body = json.dumps({"worker": number, "pid": os.getppid(), "workers": workers,
                               "type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")}).encode()
            api.request("POST", f"/2018-06-01/runtime/invocation/{request}/response", body)
            late = api.getresponse()
            late.read()
            if late.status != 202:
                print(f"worker {number}: {late.status} for {request}", flush=True)
    for number in range(workers):
        multiprocessing.Process(target=work, args=(number,), daemon=True).start()
    while True:
        time.sleep(3600)
    """#

    static func lab(timeScale: Double = 0.01) -> LabConfiguration {
        var configuration = LabConfiguration()
        configuration.managedInstances.timeScale = timeScale
        return configuration
    }

    /// The function on a capacity provider with `k` slots per environment, version 1 published.
    @discardableResult
    static func deploy(_ lab: Lab, k: Int, timeout: Duration = .seconds(10), scaling: Lab.ScalingConfig? = nil) throws -> VersionInfo {
        try lab.deploy(FunctionConfiguration(name: "mi", command: ["python3", "-c", runtime], timeout: timeout))
        return try lab.runOnManagedInstances("mi", maxConcurrency: k, scaling: scaling)
    }

    static func invokeAtOnce(_ lab: Lab, _ count: Int, holdMs: Int) async -> [Result<InvocationResult, Error>] {
        await withTaskGroup(of: Result<InvocationResult, Error>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do { return .success(try await lab.invoke("mi", qualifier: "1", payload: Array("{\"holdMs\":\(holdMs)}".utf8))) }
                    catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("publishing starts the minimum (3) environments before the version is Active; each is told its concurrency and its initialization type")
    func publishStartsEnvironments() async throws {
        try await withTestLab(Self.lab()) { lab in
            let version = try Self.deploy(lab, k: 4)
            #expect(lab.managedStatus("mi", version: version.version)?.state == "Pending")
            // Pending: not invocable yet, as AWS answers a function that is not Active.
            await #expect(throws: LabError.self) { try await lab.invoke("mi", qualifier: "1") }
            let status = try await lab.waitForManagedVersion("mi", version: "1")
            #expect(status.state == "Active")
            #expect(status.environments == 3 && status.ready == 3)
            #expect(lab.environments.filter { $0.functionName == "mi" }.allSatisfy { $0.initializationType == .lambdaManagedInstances && $0.capacity == 4 })
            let answer = decode(try await lab.invoke("mi", qualifier: "1").payload)
            #expect(answer["workers"] as? Int == 4)
            #expect(answer["type"] as? String == "lambda-managed-instances")
        }
    }

    @Test("$LATEST of a Managed Instances function is not invocable; an unqualified call needs $LATEST.PUBLISHED")
    func qualifiers() async throws {
        try await withTestLab(Self.lab()) { lab in
            try Self.deploy(lab, k: 2)
            _ = try await lab.waitForManagedVersion("mi", version: "1")
            do { _ = try await lab.invoke("mi"); Issue.record("an unqualified call ran") } catch let error as LabError {
                #expect(error.type == "NoPublishedVersionException" && error.status == 400)
            }
            do { _ = try await lab.invoke("mi", qualifier: "$LATEST"); Issue.record("$LATEST ran") } catch let error as LabError {
                #expect(error.type == "InvalidParameterValueException" && error.status == 400)
            }
            // Published to $LATEST.PUBLISHED: an unqualified call goes there.
            _ = try lab.publishVersion("mi", toLatestPublished: true)
            _ = try await lab.waitForManagedVersion("mi", version: "$LATEST.PUBLISHED")
            #expect(try await lab.invoke("mi").executedVersion == "$LATEST.PUBLISHED")
        }
    }

    @Test("3 environments × 2 slots: 6 at once run 2 in each, started by nothing; a 7th at once is throttled (429), never cold-started")
    func routingAndThrottle() async throws {
        try await withTestLab(Self.lab(timeScale: 100)) { lab in   // a scaler too slow to act during the test
            try Self.deploy(lab, k: 2)
            _ = try await lab.waitForManagedVersion("mi", version: "1")
            let started = lab.environmentsStarted
            let results = await Self.invokeAtOnce(lab, 7, holdMs: 800)
            let ran = results.compactMap { try? $0.get() }
            let throttled = results.compactMap { result -> LabError? in if case .failure(let error) = result { return error as? LabError }; return nil }
            #expect(ran.count == 6 && throttled.count == 1)
            #expect(throttled.first?.status == 429 && throttled.first?.reason == "ConcurrentInvocationLimitExceeded")
            let perEnvironment = Dictionary(grouping: ran.compactMap(\.record), by: \.environmentID).mapValues(\.count)
            #expect(perEnvironment.values.sorted() == [2, 2, 2], "\(perEnvironment)")
            #expect(ran.compactMap(\.record).allSatisfy { !$0.coldStart })
            #expect(lab.environmentsStarted == started)
        }
    }

    @Test("a timed-out invocation fails alone: its neighbours answer, the environment lives, and its slot is held until the runtime answers late (410)")
    func timeoutFailsAlone() async throws {
        try await withTestLab(Self.lab(timeScale: 100)) { lab in
            try Self.deploy(lab, k: 2, timeout: .seconds(1), scaling: Lab.ScalingConfig(minimum: 1, maximum: 1))
            _ = try await lab.waitForManagedVersion("mi", version: "1")
            let pid = lab.environments.first { $0.functionName == "mi" }?.pid
            async let slow = lab.invoke("mi", qualifier: "1", payload: Array(#"{"holdMs":2500}"#.utf8))
            try await Task.sleep(for: .milliseconds(100))
            let quick = try await lab.invoke("mi", qualifier: "1", payload: Array(#"{"holdMs":50}"#.utf8))
            #expect(quick.functionError == nil)
            let timedOut = try await slow
            #expect(timedOut.functionError == "Unhandled" && timedOut.payloadText.contains("Sandbox.Timedout"))
            // Same process; one slot still held by the code that runs on: a second call at once is throttled.
            #expect(lab.environments.first { $0.functionName == "mi" }?.pid == pid)
            let both = await Self.invokeAtOnce(lab, 2, holdMs: 100)
            #expect(both.filter { if case .failure = $0 { true } else { false } }.count == 1)
            // The late answer frees it.
            try await Task.sleep(for: .milliseconds(2_000))
            let again = await Self.invokeAtOnce(lab, 2, holdMs: 100)
            #expect(again.allSatisfy { if case .success = $0 { true } else { false } })
        }
    }

    @Test("a runtime worker that crashes fails its invocation alone; the environment serves on with the others")
    func workerCrash() async throws {
        try await withTestLab(Self.lab(timeScale: 100)) { lab in
            try Self.deploy(lab, k: 3, scaling: Lab.ScalingConfig(minimum: 1, maximum: 1))
            _ = try await lab.waitForManagedVersion("mi", version: "1")
            let pid = lab.environments.first { $0.functionName == "mi" }?.pid
            let crashed = try await lab.invoke("mi", qualifier: "1", payload: Array(#"{"crash":true}"#.utf8))
            #expect(crashed.functionError == "Unhandled" && crashed.payloadText.contains("Runtime.ExitError"))
            let after = await Self.invokeAtOnce(lab, 2, holdMs: 100)
            #expect(after.allSatisfy { if case .success = $0 { true } else { false } })
            #expect(lab.environments.first { $0.functionName == "mi" }?.pid == pid)
        }
    }

    @Test("the scaler adds environments when they are full and removes them again after a quiet spell, never below the minimum")
    func scaler() async throws {
        // 1 % of the model's time: looks every 0.6 s, adds 0.3 s after deciding, removes after 3 quiet s.
        try await withTestLab(Self.lab(timeScale: 0.01)) { lab in
            try Self.deploy(lab, k: 2, scaling: Lab.ScalingConfig(minimum: 1, maximum: 4))
            _ = try await lab.waitForManagedVersion("mi", version: "1")
            // Twice what one environment holds, for a few seconds: throttles, then more environments.
            let deadline = ContinuousClock.now + .seconds(6)
            var grew = false
            while ContinuousClock.now < deadline, !grew {
                _ = await Self.invokeAtOnce(lab, 4, holdMs: 400)
                grew = (lab.managedStatus("mi", version: "1")?.environments ?? 0) > 1
            }
            #expect(grew, "\(String(describing: lab.managedStatus("mi", version: "1")))")
            let grown = lab.managedStatus("mi", version: "1")!
            #expect(grown.environments <= 4)
            #expect(grown.history.contains { $0.environmentsAfter > $0.environmentsBefore && ["environments full", "CPU busy"].contains($0.reason) })
            // Quiet: back to the minimum, one at a time.
            let quietDeadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < quietDeadline, (lab.managedStatus("mi", version: "1")?.environments ?? 0) > 1 {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(lab.managedStatus("mi", version: "1")?.environments == 1)
        }
    }

    @Test("capacity providers: created, listed, refused while a version uses them; the scaling configuration is kept and validated")
    func controlPlane() async throws {
        try await withTestLab(Self.lab(timeScale: 100)) { lab in
            try Self.deploy(lab, k: 2)
            let provider = try lab.capacityProvider("lab-capacity-provider")
            #expect(provider.state == .active && provider.arn.hasSuffix(":capacity-provider:lab-capacity-provider"))
            #expect(lab.capacityProviders().map(\.name) == ["lab-capacity-provider"])
            #expect(throws: LabError.self) { try lab.deleteCapacityProvider("lab-capacity-provider") }
            #expect(try lab.functionVersions(onCapacityProvider: provider.arn).versions.map(\.arn) == [lab.arn("mi") + ":1"])
            #expect(throws: LabError.self) { try lab.putFunctionScalingConfig("mi", qualifier: "1", minimum: 5, maximum: 2) }
            #expect(throws: LabError.self) { try lab.putFunctionScalingConfig("mi", qualifier: "1", minimum: 0, maximum: 3) }
            _ = try lab.putFunctionScalingConfig("mi", qualifier: "1", minimum: 4, maximum: 6)
            let (applied, requested) = try lab.functionScalingConfig("mi", qualifier: "1")
            #expect(applied == Lab.ScalingConfig(minimum: 4, maximum: 6) && requested == applied)
            #expect(lab.managedStatus("mi", version: "1")?.environments == 4)
            try lab.deleteFunction("mi")
            #expect(try lab.deleteCapacityProvider("lab-capacity-provider").state == .deleting)
            #expect(throws: LabError.self) { try lab.capacityProvider("lab-capacity-provider") }
        }
    }

    private func decode(_ payload: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]) ?? [:]
    }
}

import Digests
import Foundation
import LabTestSupport
import HTTP
import Testing
import Workbook
import ZipArchive
@testable import LambdaLab

/// The deployment operations over HTTP, as Terraform's AWS provider calls them. The code is a zip
/// whose `bootstrap` is a two-line script that execs the workbook's worker: small enough to send
/// in every test, and a real function once it runs.
@Suite("Deployments: CreateFunction, UpdateFunctionCode, aliases, state directory", .serialized, .timeLimit(.minutes(10)))
struct DeploymentTests {
    static func zip(release: String = "1", bootstrapMode: UInt16 = 0o755, withBootstrap: Bool = true) throws -> [UInt8] {
        let script = "#!/bin/sh\n# release \(release)\nexec \(try FunctionBinaries.path(of: "worker"))\n"
        var files = [ZipWriter.File(path: "release.txt", bytes: Array(release.utf8), mode: 0o644)]
        if withBootstrap { files.append(ZipWriter.File(path: "bootstrap", bytes: Array(script.utf8), mode: bootstrapMode)) }
        return try ZipWriter.archive(files)
    }

    static func call(_ lab: Lab, _ method: String, _ target: String, _ body: [String: Any]? = nil) throws -> (status: Int, json: [String: Any], response: HTTPResponse) {
        let port = UInt16(lab.invokeEndpointURL!.split(separator: ":").last!)!
        let response = try HTTPClient(port: port).send(HTTPRequest(method: method, target: target, headers: ["Content-Type": "application/json"],
                                                                   body: body.map(json) ?? []))
        return (response.status, decode(response.body), response)
    }

    static func create(_ lab: Lab, _ name: String, zip: [UInt8], publish: Bool = true) throws -> (status: Int, json: [String: Any], response: HTTPResponse) {
        try call(lab, "POST", "/2015-03-31/functions", ["FunctionName": name, "Runtime": "provided.al2023", "Role": "arn:aws:iam::000000000000:role/w",
                                                         "Handler": "bootstrap", "Code": ["ZipFile": Data(zip).base64EncodedString()], "Publish": publish,
                                                         "MemorySize": 256, "Timeout": 5])
    }

    @Test("CreateFunction: 201 Pending with CodeSha256 = base64(SHA-256 of the zip); then Active, and it runs from its own folder")
    func create() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            let zip = try Self.zip()
            let created = try Self.create(lab, "w", zip: zip)
            #expect(created.status == 201)
            #expect(created.json["State"] as? String == "Pending")
            #expect(created.json["Version"] as? String == "1")
            #expect(created.json["CodeSha256"] as? String == Data(SHA256.hash(zip)).base64EncodedString())
            #expect(created.json["CodeSize"] as? Int == zip.count)
            #expect(created.json["MemorySize"] as? Int == 256)
            let read = try Self.call(lab, "GET", "/2015-03-31/functions/w")
            let configuration = read.json["Configuration"] as? [String: Any] ?? [:]
            #expect(configuration["State"] as? String == "Active" && configuration["LastUpdateStatus"] as? String == "Successful")
            #expect(configuration["Role"] as? String == "arn:aws:iam::000000000000:role/w")
            #expect(configuration["Environment"] == nil)
            let folder = try #require(lab.functionConfiguration("w").configuration.code?.folder)
            #expect(FileManager.default.isExecutableFile(atPath: folder + "/bootstrap"))
            let result = try await lab.invoke("w", qualifier: "1")
            #expect(result.functionError == nil && result.executedVersion == "1")
            #expect(try Self.create(lab, "w", zip: zip).status == 409)
            let signing = try Self.call(lab, "GET", "/2020-06-30/functions/w/code-signing-config")
            #expect(signing.status == 200 && signing.json["CodeSigningConfigArn"] as? String == "")
        }
    }

    @Test("a zip without an executable bootstrap is refused at once, saying why, with the AWS error shape")
    func refusedZips() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            let missing = try Self.create(lab, "a", zip: try Self.zip(withBootstrap: false))
            #expect(missing.status == 400 && missing.json["Type"] as? String == "User")
            #expect(missing.response.headers["X-Amzn-ErrorType"] == "InvalidParameterValueException")
            #expect((missing.json["message"] as? String ?? missing.json["Message"] as? String ?? "").contains("no bootstrap"))
            let plain = try Self.create(lab, "b", zip: try Self.zip(bootstrapMode: 0o644))
            #expect(plain.status == 400)
            #expect((plain.json["message"] as? String ?? plain.json["Message"] as? String ?? "").contains("not executable"))
            #expect(try Self.create(lab, "c", zip: Array("not a zip".utf8)).status == 400)
            #expect(lab.functionNames.isEmpty)
        }
    }

    @Test("UpdateFunctionCode publishes version 2 (InProgress, then Successful); version 1 keeps its own code; versions list $LATEST first")
    func updateCode() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            _ = try Self.create(lab, "w", zip: try Self.zip())
            let zip2 = try Self.zip(release: "2")
            let updated = try Self.call(lab, "PUT", "/2015-03-31/functions/w/code", ["ZipFile": Data(zip2).base64EncodedString(), "Publish": true])
            #expect(updated.status == 200 && updated.json["LastUpdateStatus"] as? String == "InProgress" && updated.json["Version"] as? String == "2")
            let one = try lab.functionConfiguration("w", qualifier: "1").configuration.code!, two = try lab.functionConfiguration("w", qualifier: "2").configuration.code!
            #expect(one.folder != two.folder && one.sha256 != two.sha256)
            #expect(try String(contentsOfFile: one.folder + "/release.txt", encoding: .utf8) == "1")
            #expect(try String(contentsOfFile: two.folder + "/release.txt", encoding: .utf8) == "2")
            let versions = try Self.call(lab, "GET", "/2015-03-31/functions/w/versions?MaxItems=10000").json["Versions"] as? [[String: Any]] ?? []
            #expect(versions.compactMap { $0["Version"] as? String } == ["$LATEST", "1", "2"])
            // The provider reads a version through its percent-encoded qualified ARN.
            let arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aw%3A1"
            let byARN = try Self.call(lab, "GET", "/2015-03-31/functions/\(arn)/configuration?Qualifier=1")
            #expect(byARN.status == 200 && byARN.json["CodeSha256"] as? String == one.sha256)
            #expect(try await lab.invoke("w", qualifier: "1").functionError == nil)
            #expect(try await lab.invoke("w", qualifier: "2").functionError == nil)
        }
    }

    @Test("UpdateFunctionConfiguration: the next invocation's environment has the new variables")
    func updateConfiguration() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            _ = try Self.create(lab, "w", zip: try Self.zip())
            _ = try await lab.invoke("w")
            let updated = try Self.call(lab, "PUT", "/2015-03-31/functions/w/configuration", ["Environment": ["Variables": ["WORKER_CONNECT": "handler"]], "Timeout": 7])
            #expect(updated.status == 200 && updated.json["Timeout"] as? Int == 7)
            #expect((updated.json["Environment"] as? [String: Any])?["Variables"] as? [String: String] == ["WORKER_CONNECT": "handler"])
            let answer = decode(try await lab.invoke("w").payload)
            #expect(answer["connectedIn"] as? String == "handler")
            #expect(try Self.call(lab, "PUT", "/2015-03-31/functions/w/configuration", ["MemorySize": 64]).status == 400)
        }
    }

    @Test("UpdateAlias to a new version allocates the alias's provisioned concurrency again on it; DeleteAlias and DeleteFunction clean up")
    func aliasMoves() async throws {
        try await withTestLab { lab in
            try lab.startInvokeAPI()
            _ = try Self.create(lab, "w", zip: try Self.zip())
            _ = try lab.createAlias("w", name: "live", version: "1")
            try lab.putProvisionedConcurrency("w", qualifier: "live", executions: 2)
            _ = try await lab.waitForProvisionedConcurrency("w", qualifier: "live")
            _ = try Self.call(lab, "PUT", "/2015-03-31/functions/w/code", ["ZipFile": Data(try Self.zip(release: "2")).base64EncodedString(), "Publish": true])
            let moved = try Self.call(lab, "PUT", "/2015-03-31/functions/w/aliases/live", ["FunctionVersion": "2"])
            #expect(moved.status == 200 && moved.json["FunctionVersion"] as? String == "2")
            let ready = try await lab.waitForProvisionedConcurrency("w", qualifier: "live")
            #expect(ready.status == .ready && ready.allocated == 2)
            let provisioned = lab.environments.filter { $0.provisionedFor == "live" }
            #expect(provisioned.count == 2 && provisioned.allSatisfy { $0.version == "2" })
            #expect(try await lab.invoke("w", qualifier: "live").record?.initializationType == .provisionedConcurrency)
            #expect(try Self.call(lab, "DELETE", "/2015-03-31/functions/w/aliases/live").status == 204)
            #expect(throws: LabError.self) { try lab.provisionedConcurrency("w", qualifier: "live") }
            let folder = try lab.functionConfiguration("w").configuration.code!.folder
            #expect(try Self.call(lab, "DELETE", "/2015-03-31/functions/w").status == 204)
            #expect(try Self.call(lab, "GET", "/2015-03-31/functions/w").status == 404)
            #expect(!FileManager.default.fileExists(atPath: folder))
        }
    }

    @Test("with a state directory, API-deployed functions come back in a new lab, provisioned concurrency allocated again")
    func stateDirectory() async throws {
        let directory = NSTemporaryDirectory() + "lab-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LabConfiguration()
        configuration.stateDirectory = directory
        try await withTestLab(configuration) { lab in
            try lab.startInvokeAPI()
            _ = try Self.create(lab, "w", zip: try Self.zip())
            _ = try Self.call(lab, "POST", "/2015-03-31/functions/w/aliases", ["Name": "live", "FunctionVersion": "1"])
            _ = try Self.call(lab, "PUT", "/2019-09-30/functions/w/provisioned-concurrency?Qualifier=live", ["ProvisionedConcurrentExecutions": 1])
        }
        try await withTestLab(configuration) { lab in
            let restored = try lab.restoreState()
            #expect(restored == ["w"])
            let alias = try lab.alias("w", name: "live")
            #expect(alias.functionVersion == "1")
            let ready = try await lab.waitForProvisionedConcurrency("w", qualifier: "live")
            #expect(ready.allocated == 1)
            let result = try await lab.invoke("w", qualifier: "live")
            #expect(result.functionError == nil)
        }
    }
}

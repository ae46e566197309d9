import Contracts
import ZipArchive
import Workbook
import Foundation
import LabTestSupport
import LambdaLab
import Testing
@testable import chapter7

/// The zips chapter 7 deploys, built for provided.al2023 from this checkout: checked for the glibc
/// and libstdc++ versions they ask of the system (none: static, with the package's `-no-pie`),
/// then run in the lab. Necessary for AL2023, not proof: they have not been run there.
@Suite("provided.al2023 packages: the glibc gate and a smoke test", .serialized, .timeLimit(.minutes(10)))
struct AL2023PackageTests {
    static let packages = Task { () async throws -> (worker: DeploymentPackages.Package, orchestrator: DeploymentPackages.Package) in
        let binaries = try await StaticBinaries.paths()
        return try await withQuietMemory {
            let folder = NSTemporaryDirectory() + "al2023-packages-\(getpid())"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return (try DeploymentPackages.package("worker", binary: binaries.worker, into: folder),
                    try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: folder))
        }
    }

    @Test("the gate: versions above GLIBC_2.34 or GLIBCXX_3.4.29 are too new, the rest are not")
    func gate() {
        #expect(DeploymentPackages.tooNew(["GLIBC_2.2.5", "GLIBC_2.34", "GLIBCXX_3.4.29", "GLIBCXX_3.4"]).isEmpty)
        #expect(DeploymentPackages.tooNew(["GLIBC_2.35", "GLIBC_2.34", "GLIBCXX_3.4.30", "GLIBC_2.4"]) == ["GLIBC_2.35", "GLIBCXX_3.4.30"])
        #expect(DeploymentPackages.tooNew(["GLIBC_3.0"]) == ["GLIBC_3.0"])
    }

    @Test("readelf's version needs are read as it prints them: the workbook's debug worker links glibc dynamically and needs its versions")
    func readsNeeds() throws {
        // On a Debian 12 machine this includes GLIBC_2.35 (Foundation's `hypot`): exactly what AL2023
        // lacks, and why the packages are static.
        let needs = try DeploymentPackages.versionNeeds(of: try Workbook.FunctionBinaries.path(of: "worker"))
        print("the debug worker needs \(needs.joined(separator: " ")); too new for AL2023: \(DeploymentPackages.tooNew(needs))")
        #expect(needs.contains { $0.hasPrefix("GLIBC_2.") })
    }

    @Test("both bootstraps are static executables that need nothing from AL2023, zipped with mode 0755")
    func needNothing() async throws {
        let (worker, orchestrator) = try await Self.packages.value
        #expect(worker.versionNeeds.isEmpty && orchestrator.versionNeeds.isEmpty)
        for package in [worker, orchestrator] {
            let archive = try ZipArchive(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: package.path))))
            #expect(archive.entries.map(\.path) == ["bootstrap"])
            #expect(archive.entries.first?.unixMode.map { $0 & 0o777 } == 0o755)
        }
    }

    @Test("smoke test: deployed from their zips, the orchestrator fans out to the worker in the lab")
    func smoke() async throws {
        let (worker, orchestrator) = try await Self.packages.value
        try await withQuietMemory { try await withTestLab { lab in
            try lab.startInvokeAPI()
            try lab.createFunction("worker", zip: Array(try Data(contentsOf: URL(fileURLWithPath: worker.path))), settings: .init())
            try lab.createFunction("orchestrator", zip: Array(try Data(contentsOf: URL(fileURLWithPath: orchestrator.path))),
                                   settings: .init(timeoutSeconds: 30))
            let result = try await lab.invoke("orchestrator", payload: Array(try JSONEncoder().encode(FanOutEvent(function: "worker", count: 2))))
            #expect(result.functionError == nil, "\(result.payloadText)")
            let answer = try JSONDecoder().decode(FanOutAnswer.self, from: Data(result.payload))
            #expect(answer.calls.count == 2 && answer.calls.allSatisfy { $0.status == 200 })
            #expect(answer.calls.compactMap { $0.response.decode(WorkerAnswer.self) }.count == 2)
        } }
    }
}

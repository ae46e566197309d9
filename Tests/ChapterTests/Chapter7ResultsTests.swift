import Contracts
import Foundation
import LabTestSupport
import LambdaLab
import Testing
import Workbook
@testable import chapter7

/// `chapter7 --results FILE` on a recording with the real shape: the orchestrator's own answer,
/// made by the same zips in a lab (AWS cannot be reached from here), cold and then warm.
@Suite("Chapter 7: a recorded fan-out rendered beside the lab's", .serialized, .timeLimit(.minutes(10)))
struct Chapter7ResultsTests {
    /// Two recordings of 3 calls: the first after deployment (cold), the second right after (warm).
    static let recordings = Task { () async throws -> (cold: String, warm: String) in try await withQuietMemory {
        let folder = NSTemporaryDirectory() + "chapter7-recordings-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binaries = try DeploymentPackages.buildStaticBinaries()
        let worker = try DeploymentPackages.package("worker", binary: binaries.worker, into: folder)
        let orchestrator = try DeploymentPackages.package("orchestrator", binary: binaries.orchestrator, into: folder)
        return try await exclusively {
            try await Lab.with { lab in
                try lab.startInvokeAPI()
                try lab.createFunction(Chapter7.worker, zip: Array(try Data(contentsOf: URL(fileURLWithPath: worker.path))), settings: .init())
                try lab.createFunction(Chapter7.orchestrator, zip: Array(try Data(contentsOf: URL(fileURLWithPath: orchestrator.path))),
                                       settings: .init(timeoutSeconds: 30))
                var paths: [String] = []
                for name in ["cold", "warm"] {
                    let event = try JSONEncoder().encode(FanOutEvent(function: Chapter7.worker, count: 3))
                    let answer = try await lab.invoke(Chapter7.orchestrator, payload: Array(event))
                    let path = folder + "/\(name).json"
                    try Data(answer.payload).write(to: URL(fileURLWithPath: path))
                    paths.append(path)
                }
                return (paths[0], paths[1])
            }
        }
    } }

    /// Only the lab's fan-out takes the lab gate; building the zips does not hold other suites.
    static func options(_ file: String) throws -> Chapter7.ResultsOptions {
        var options = try Chapter7.ResultsOptions(arguments: ["--results", file])
        options.aroundFanOut = { fanOut in try await exclusively(fanOut) }
        return options
    }

    @Test("a cold recording: 3 environments by log stream, 3 cold starts from the REPORTs, the lab's the same; every claim held")
    func cold() async throws {
        let (cold, _) = try await Self.recordings.value
        let outcome = try await withQuietMemory { try await Chapter7.results(Self.options(cold)) }
        let recorded = outcome.step(Chapter7.recordedStep), lab = outcome.step(Chapter7.labStep)
        #expect(recorded.environments == 3 && recorded.coldStarts == 3)
        #expect(recorded.invocations.allSatisfy { ($0.initDurationMs ?? 0) > 0 && $0.durationMs > 0 && $0.billedDurationMs > 0 })
        #expect(lab.environments == 3 && lab.coldStarts == 3)
        let notHeld = outcome.claims.filter { !$0.holds }.map(\.evidence)
        #expect(notHeld.isEmpty, "\(notHeld)")
        try PictureInspection.check(outcome.picture(), steps: outcome.steps)
    }

    @Test("a warm recording: no Init Duration anywhere, so the cold-start claims say not applicable, and the rest hold")
    func warm() async throws {
        let (_, warm) = try await Self.recordings.value
        let outcome = try await withQuietMemory { try await Chapter7.results(Self.options(warm)) }
        #expect(outcome.step(Chapter7.recordedStep).coldStarts == 0)
        #expect(outcome.claims.map(\.verdict) == [.held, .notApplicable, .held, .notApplicable])
    }

    @Test("--results refuses a file it cannot read, in one line")
    func badFile() {
        #expect(throws: WorkbookError.self) { try Chapter7.ResultsOptions(arguments: ["--results", "/nonexistent/results.json"]) }
        #expect(throws: WorkbookError.self) { try Chapter7.ResultsOptions(arguments: []) }
    }
}

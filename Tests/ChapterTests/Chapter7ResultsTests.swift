import Contracts
import Foundation
import LabTestSupport
import LambdaLab
import Testing
import Workbook
@testable import chapter7

/// `chapter7 --results FILE --recorded-on lab` on a recording with the real shape: the
/// orchestrator's own answer, made by the same zips in a lab (AWS cannot be reached from here),
/// cold and then warm — and rendered as the lab's, never as AWS's.
@Suite("Chapter 7: a recorded fan-out rendered beside the lab's", .serialized, .timeLimit(.minutes(10)))
struct Chapter7ResultsTests {
    /// Two recordings of 3 calls: the first after deployment (cold), the second right after (warm).
    static let recordings = Task { () async throws -> (cold: String, warm: String) in
        let binaries = try await StaticBinaries.paths()
        return try await withQuietMemory {
            let folder = NSTemporaryDirectory() + "chapter7-recordings-\(getpid())"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
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
        }
    }

    /// Only the lab's fan-out takes the lab gate; building the zips does not hold other suites.
    static func options(_ file: String) throws -> Chapter7.Options {
        var options = try Chapter7.Options(arguments: ["--results", file, "--recorded-on", "lab"])
        options.aroundFanOut = { fanOut in try await exclusively(fanOut) }
        return options
    }

    @Test("a cold recording: 3 environments by log stream, 3 cold starts from the REPORTs, the lab's the same; every claim held that can apply")
    func cold() async throws {
        let (cold, _) = try await Self.recordings.value
        let outcome = try await withQuietMemory { try await Chapter7Results.run(Self.options(cold)) }
        // Made in the lab, and said so: never presented as AWS's.
        #expect(outcome.recordedOn == .lab && outcome.steps.map(\.name) == ["recorded in the lab", Chapter7Results.labStep])
        #expect(!outcome.claims.contains { $0.claim.contains("on AWS") } && !outcome.pictureTitle.contains("AWS"))
        let recorded = outcome.step(Chapter7Results.recordedStep(.lab)), lab = outcome.step(Chapter7Results.labStep)
        #expect(recorded.environments == 3 && recorded.coldStarts == 3)
        #expect(recorded.invocations.allSatisfy { ($0.initDurationMs ?? 0) > 0 && $0.durationMs > 0 && $0.billedDurationMs > 0 })
        #expect(lab.environments == 3 && lab.coldStarts == 3)
        // Every claim held but the one about provisioned environments: nothing in it ran on one.
        let notHeld = outcome.claims.filter { !$0.holds }
        #expect(notHeld.map(\.verdict) == [.notApplicable] && notHeld.allSatisfy { $0.evidence.contains("provisioned") }, "\(notHeld.map(\.evidence))")
        try PictureInspection.check(outcome.picture(), steps: outcome.steps)
    }

    @Test("a warm recording: no Init Duration anywhere and nothing provisioned, so those claims say not applicable, and the rest hold")
    func warm() async throws {
        let (_, warm) = try await Self.recordings.value
        let outcome = try await withQuietMemory { try await Chapter7Results.run(Self.options(warm)) }
        #expect(outcome.step(Chapter7Results.recordedStep(.lab)).coldStarts == 0)
        #expect(outcome.claims.map(\.verdict) == [.held, .notApplicable, .notApplicable, .held, .notApplicable])
    }

    @Test("--results refuses a file it cannot read, and a file whose origin is not stated, in one line")
    func badFile() throws {
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--results", "/nonexistent/results.json", "--recorded-on", "aws"]) }
        let file = NSTemporaryDirectory() + "chapter7-origin-\(getpid()).json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--results", file]) }
        #expect(throws: WorkbookError.self) { try Chapter7.Options(arguments: ["--results", file, "--recorded-on", "aws", "--fan-out", "3"]) }
        #expect(try Chapter7.Options(arguments: ["--results", file, "--recorded-on", "aws"]).recordedOn == .aws)
    }
}

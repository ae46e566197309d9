import LabTestSupport
import Testing
import Workbook
@testable import LambdaLab

/// The orchestrator signs every call with SigV4, with the credentials its environment was given,
/// as it must to call AWS: a lab that checks signatures lets its fan-out through, and refuses the
/// same calls when the orchestrator holds the wrong secret.
@Suite("The orchestrator's calls are signed (SigV4)", .serialized, .timeLimit(.minutes(10)))
struct SignedFanOutTests {
    @Test("with signatures checked, a fan-out of 3 through an alias: every call signed right, all 200")
    func signedFanOut() async throws {
        var configuration = LabConfiguration()
        configuration.verifySignatures = LabConfiguration.labCredentials
        try await withTestLab(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            try lab.deploy(WorkbookFunctions.orchestrator())
            try lab.publishVersion("worker")
            _ = try lab.createAlias("worker", name: "live", version: "1")
            let step = try await FanOutStep.run(lab, name: "signed", target: "worker", qualifier: "live", count: 3)
            #expect(step.invocations.count == 3 && step.calls.allSatisfy { $0.status == 200 })
        }
    }

    @Test("the same calls signed with a secret the lab does not hold are refused: 403 InvalidSignatureException")
    func wrongSecret() async throws {
        var configuration = LabConfiguration()
        // The lab expects another secret for the key it gives environments: the orchestrator's
        // signature, made with lab-secret, cannot match.
        configuration.verifySignatures = ["LABACCESSKEY": "another-secret"]
        try await withTestLab(configuration) { lab in
            try lab.startInvokeAPI()
            try lab.deploy(plainWorker())
            try lab.deploy(WorkbookFunctions.orchestrator())
            do {
                _ = try await FanOutStep.run(lab, name: "refused", target: "worker", count: 2)
                Issue.record("the calls were not refused")
            } catch let error as StepError {
                #expect("\(error)".contains("403") && "\(error)".contains("InvalidSignatureException"), "\(error)")
            }
        }
    }
}

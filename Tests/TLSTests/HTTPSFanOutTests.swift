import Foundation
import LabTestSupport
import LambdaLab
import Testing
import Workbook

/// The orchestrator's HTTPS path, as it calls the real Invoke API, offline: a Python TLS proxy
/// with a self-signed certificate for localhost stands in front of the lab's plain-HTTP Invoke
/// API, and the orchestrator is pointed at it (`AWS_ENDPOINT_URL_LAMBDA=https://localhost:<port>`)
/// and told to trust the certificate (`SSL_CERT_FILE`).
@Suite("The orchestrator over HTTPS (TLS)", .serialized, .timeLimit(.minutes(10)),
       .enabled(if: TLSTools.available, "needs openssl and python3; not found on PATH: \(TLSTools.missing.joined(separator: ", "))"))
struct HTTPSFanOutTests {
    /// A lab checking signatures, a worker, a proxy presenting `served`, and an orchestrator that
    /// trusts `trusted` and calls `https://<host>:<proxy>`.
    func withProxiedLab<T: Sendable>(served: String, trusted: String, host: String = "localhost", in folder: CertificateFolder,
                                     _ body: (Lab, TLSProxy) async throws -> T) async throws -> T {
        var configuration = LabConfiguration()
        configuration.verifySignatures = LabConfiguration.labCredentials
        return try await withTestLab(configuration) { lab in
            try lab.startInvokeAPI()
            let labPort = try #require(lab.invokeEndpointURL?.split(separator: ":").last.flatMap { UInt16($0) })
            let proxy = try TLSProxy(certificate: served, key: served.replacingOccurrences(of: ".pem", with: ".key"),
                                     upstreamPort: labPort, folder: folder.path)
            try lab.deploy(WorkbookFunctions.worker(database: nil))
            var orchestrator = try WorkbookFunctions.orchestrator()
            orchestrator.environment["AWS_ENDPOINT_URL_LAMBDA"] = "https://\(host):\(proxy.port)"
            orchestrator.environment["SSL_CERT_FILE"] = trusted
            try lab.deploy(orchestrator)
            return try await body(lab, proxy)
        }
    }

    @Test("a fan-out of 3 through HTTPS: all 200, signed (the lab checks), each with its REPORT from the log tail")
    func fanOutOverHTTPS() async throws {
        let folder = try CertificateFolder()
        let certificate = try folder.make("localhost", commonName: "localhost", altNames: "DNS:localhost,IP:127.0.0.1")
        try await withProxiedLab(served: certificate, trusted: certificate, in: folder) { lab, proxy in
            let step = try await FanOutStep.run(lab, name: "https", target: "worker", count: 3)
            #expect(step.calls.count == 3 && step.calls.allSatisfy { $0.status == 200 }, "\(step.calls.map(\.status))")
            #expect(step.invocations.count == 3)
            // The REPORT came back in each answer's X-Amz-Log-Result, through the proxy.
            #expect(step.calls.allSatisfy { ($0.report?.durationMs ?? 0) > 0 && ($0.report?.billedDurationMs ?? 0) >= 1 })
            #expect(step.calls.filter { $0.report?.initDurationMs != nil }.count == 3, "three cold workers")
            // The calls really went through TLS: one handshake per concurrent connection.
            #expect(proxy.handshakes == 3)
            // A warm second fan-out reuses the kept-alive TLS connections: no new handshake.
            let again = try await FanOutStep.run(lab, name: "https-warm", target: "worker", count: 3)
            #expect(again.calls.allSatisfy { $0.status == 200 })
            #expect(proxy.handshakes == 3)
        }
    }

    @Test("a certificate the orchestrator does not trust fails the fan-out at once, with OpenSSL's reason")
    func untrustedCertificate() async throws {
        let folder = try CertificateFolder()
        let served = try folder.make("served", commonName: "localhost", altNames: "DNS:localhost,IP:127.0.0.1")
        let other = try folder.make("other", commonName: "localhost", altNames: "DNS:localhost,IP:127.0.0.1")
        try await withProxiedLab(served: served, trusted: other, in: folder) { lab, proxy in
            let started = ContinuousClock.now
            let error = await #expect(throws: StepError.self) {
                _ = try await FanOutStep.run(lab, name: "untrusted", target: "worker", count: 2)
            }
            let message = "\(error.map { "\($0)" } ?? "")"
            #expect(message.contains("TLS certificate verification failed for localhost") && message.contains("self-signed certificate"), "\(message)")
            #expect(ContinuousClock.now - started < .seconds(10), "failed fast, not after a timeout")
            #expect(proxy.handshakes == 0)
        }
    }

    @Test("a trusted certificate for another name fails: hostname mismatch")
    func hostnameMismatch() async throws {
        let folder = try CertificateFolder()
        let elsewhere = try folder.make("elsewhere", commonName: "elsewhere.invalid", altNames: "DNS:elsewhere.invalid")
        try await withProxiedLab(served: elsewhere, trusted: elsewhere, in: folder) { lab, proxy in
            let error = await #expect(throws: StepError.self) {
                _ = try await FanOutStep.run(lab, name: "mismatch", target: "worker", count: 1)
            }
            let message = "\(error.map { "\($0)" } ?? "")"
            #expect(message.contains("TLS certificate verification failed for localhost") && message.contains("hostname mismatch"), "\(message)")
            #expect(proxy.handshakes == 0)
        }
    }
}

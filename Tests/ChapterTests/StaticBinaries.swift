import Foundation
@testable import chapter7

/// The static release build of the workbook's two functions (what chapter 7 zips), made once per
/// test run for every suite that packages them. A build runs no lab and moves no large buffer
/// through this process, so it takes neither gate: the suites that hold the lab or measure this
/// process's memory go on meanwhile. It waits on a thread of its own, not on one of the few
/// threads Swift's concurrency runs every test on.
enum StaticBinaries {
    private static let build = Task { () async throws -> (worker: String, orchestrator: String) in
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try DeploymentPackages.buildStaticBinaries() }) }.start()
        }
    }

    static func paths() async throws -> (worker: String, orchestrator: String) {
        try await build.value
    }
}

// swift-tools-version:6.0
import PackageDescription

// Lambda Lab: a workbook of runnable AWS Lambda experiments on a local, faithful imitation of the
// service. No package dependencies: everything is built on the Swift toolchain (stdlib,
// Foundation, Dispatch, Synchronization, Glibc; zlib and OpenSSL from the system), so two commands
// work on a fresh machine.
let package = Package(
    name: "LambdaLab",
    platforms: [.macOS(.v15)],
    targets: [
        // MARK: Libraries, one reason each
        .target(name: "Timing", swiftSettings: alwaysOptimized),
        .target(name: "Console", swiftSettings: alwaysOptimized),
        // One thread waiting on many descriptors (epoll, pidfds, timers): the lab's data plane.
        .systemLibrary(name: "CEventLoop"),
        .target(name: "EventLoop", dependencies: ["CEventLoop"], swiftSettings: alwaysOptimized),
        // HTTP/1.1: one parser, read from a socket or TLS; a blocking client; a server on the loop.
        .target(name: "HTTP", dependencies: ["EventLoop"], swiftSettings: alwaysOptimized),
        // The vocabulary of Lambda's Runtime API and Invoke API: paths, headers, error bodies.
        .target(name: "LambdaAPI", swiftSettings: alwaysOptimized),
        .target(name: "LabRuntime", dependencies: ["HTTP", "LambdaAPI", "Console"], swiftSettings: alwaysOptimized),
        // A prop of the experiments, not part of Lambda: the database the worker connects to.
        .target(name: "StandInDatabase", dependencies: ["HTTP", "EventLoop", "Timing"], swiftSettings: alwaysOptimized),
        .target(name: "LabIAM", dependencies: ["HTTP"], swiftSettings: alwaysOptimized),
        .target(name: "LambdaLab", dependencies: ["EventLoop", "HTTP", "LambdaAPI", "Timing", "LabIAM", "ZipArchive", "Digests", "SigV4"],
                swiftSettings: alwaysOptimized),
        .target(name: "Pictures"),
        // Deployment packages: zip read/written with the system's zlib, and CodeSha256.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "ZipArchive", dependencies: ["CZlib"], swiftSettings: alwaysOptimized),
        .target(name: "Digests", swiftSettings: alwaysOptimized),
        // AWS Signature Version 4: functions sign their calls as on AWS; the lab can check them.
        .target(name: "SigV4", dependencies: ["Digests"], swiftSettings: alwaysOptimized),
        // HTTPS for the orchestrator's calls to the real Invoke API, with the system's OpenSSL (its
        // static libraries in the provided.al2023 build: FoundationNetworking cannot be static).
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .target(name: "TLS", dependencies: ["COpenSSL", "HTTP"], swiftSettings: alwaysOptimized),
        // The events and answers of the workbook's functions: one contract, shared by both sides.
        .target(name: "Contracts", swiftSettings: alwaysOptimized),
        .target(name: "Workbook", dependencies: ["LambdaLab", "Timing", "Pictures", "Contracts", "Console", "StandInDatabase"]),

        // MARK: Functions (the same binaries run as `bootstrap` on provided.al2023)
        // Built optimized, as a function is deployed; their work is what the chapters measure.
        .executableTarget(name: "worker", dependencies: ["LabRuntime", "Contracts", "StandInDatabase"], swiftSettings: alwaysOptimized, linkerSettings: staticStdlib),
        .executableTarget(name: "orchestrator", dependencies: ["LabRuntime", "HTTP", "LambdaAPI", "Contracts", "SigV4", "TLS"], swiftSettings: alwaysOptimized,
                          linkerSettings: staticStdlib),

        // MARK: Chapters and the lab, which build the functions they deploy
        .executableTarget(name: "chapter1", dependencies: chapterDependencies),
        .executableTarget(name: "chapter2", dependencies: chapterDependencies),
        .executableTarget(name: "chapter3", dependencies: chapterDependencies),
        .executableTarget(name: "chapter4", dependencies: chapterDependencies),
        .executableTarget(name: "chapter5", dependencies: chapterDependencies),
        .executableTarget(name: "chapter6", dependencies: chapterDependencies + ["Pictures"]),
        .executableTarget(name: "chapter7", dependencies: chapterDependencies + ["ZipArchive"]),
        .executableTarget(name: "chapter8", dependencies: chapterDependencies + ["Pictures"]),
        .executableTarget(name: "lab", dependencies: chapterDependencies),
        .executableTarget(name: "bench", dependencies: chapterDependencies + ["chapter3", "floor-spawn-dynamic", "floor-spawn-static", "floor-chain-c"]),

        // MARK: The benchmark's floors: a minimal Swift + Foundation runtime, linked two ways
        .target(name: "SpawnFloor"),
        .executableTarget(name: "floor-spawn-dynamic", dependencies: ["SpawnFloor"]),
        .executableTarget(name: "floor-spawn-static", dependencies: ["SpawnFloor"], linkerSettings: staticStdlib),
        // The warm-invoke floor: the lab's warm path as a minimal emulator and runtime, in C.
        .executableTarget(name: "floor-chain-c", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: Tests
        .target(name: "LabTestSupport", dependencies: ["LambdaLab"], path: "Tests/LabTestSupport"),
        .testTarget(name: "TimingTests", dependencies: ["Timing"]),
        .testTarget(name: "ZipArchiveTests", dependencies: ["ZipArchive", "Digests"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "Digests", "HTTP", "LambdaAPI", "LambdaLab", "LabTestSupport"]),
        .testTarget(name: "LabIAMTests", dependencies: ["LabIAM", "HTTP"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "EventLoop"]),
        .testTarget(name: "LabRuntimeTests", dependencies: ["LabRuntime", "HTTP", "LambdaAPI", "EventLoop"]),
        .testTarget(name: "LambdaLabTests", dependencies: ["LambdaLab", "HTTP", "LambdaAPI", "EventLoop", "Workbook", "LabTestSupport", "lab", "ZipArchive", "Digests"]),
        .testTarget(name: "TLSTests", dependencies: ["LambdaLab", "Workbook", "LabTestSupport", "HTTP", "LambdaAPI", "Contracts"]),
        .testTarget(name: "ChapterTests", dependencies: ["chapter1", "chapter2", "chapter3", "chapter4", "chapter5", "chapter6", "chapter7", "chapter8", "Workbook", "Pictures", "ZipArchive", "Contracts", "LambdaLab", "HTTP", "LambdaAPI", "LabTestSupport"]),
    ]
)

var chapterDependencies: [Target.Dependency] {
    ["LambdaLab", "Workbook", "Timing", "HTTP", "LambdaAPI", "Contracts", "Console", "StandInDatabase", "worker", "orchestrator"]
}

/// The lab is the measuring instrument: its own overhead must stay small next to what it measures,
/// also under `swift run` and `swift test`, which build for debugging. So the modules on the invoke
/// path are optimized in every configuration (`-Onone` would make each request ~5× slower and let
/// a burst's arrivals spread over milliseconds).
var alwaysOptimized: [SwiftSetting] { [.unsafeFlags(["-O"])] }

/// Functions link the Swift runtime, Foundation and Dispatch statically, as a `provided.al2023`
/// bootstrap must: dynamic loading of those libraries is most of a Swift cold start (3.8 against
/// 13.5 ms for spawn → first `next` on one host of this kind). glibc stays dynamic.
/// Not position-independent (`-no-pie`): a PIE's ~850 KiB of pointers into the Swift runtime and
/// Foundation are relocated at every start, so they become private pages in every process; at a
/// fixed address they stay shared with the file, and an idle environment costs ~540 instead of
/// ~1,240 KiB private and starts faster. The price is that the function's own code is not at a
/// random address (ASLR still moves glibc, the stack and the heap).
var staticStdlib: [LinkerSetting] {
    [.unsafeFlags(["-static-stdlib", "-Xclang-linker", "-no-pie", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lFoundationEssentials", "-lFoundationInternationalization", "-lswiftSynchronization"])]
}

import Foundation
import Workbook
import ZipArchive

/// The functions as AWS takes a custom runtime on `provided.al2023`: a zip with one executable,
/// `bootstrap`, at its root (mode 0755), built so that it starts there.
///
/// Why a build of its own: a Swift program built on this Debian machine (glibc 2.36) and linked
/// against its glibc asks for symbol versions AL2023 does not have (GLIBC_2.35 for `hypot`, from
/// Foundation; AL2023 has glibc 2.34), and the dynamic loader refuses to start such a program. A
/// fully static executable (`-static-executable`: Swift runtime, Foundation and glibc inside) asks
/// the system for nothing; with the package's own `-no-pie` (Package.swift) it is a plain static
/// executable with no dynamic section at all. Built once into `.build-al2023/` (release), then
/// zipped with the lab's own writer, reproducibly: the same program gives the same bytes. What
/// this proves, and what only a run on AWS can: chapters/running-on-aws.md.
enum DeploymentPackages {
    struct Package: Codable, Sendable {
        let function: String
        let path: String
        let bytes: Int
        /// The glibc and libstdc++ symbol versions the bootstrap needs (none for a static one).
        let versionNeeds: [String]
    }

    enum Failure: Error, CustomStringConvertible {
        case buildFailed(String)
        var description: String {
            switch self { case .buildFailed(let output): "building the provided.al2023 bootstraps failed:\n\(output.suffix(3_000))" }
        }
    }

    /// AL2023's glibc and libstdc++: a bootstrap may need these versions and no newer.
    static let newestGLIBC = [2, 34], newestGLIBCXX = [3, 4, 29]

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Builds both functions as static executables for x86_64 (`swift build -c release`, in a build
    /// folder of their own so the workbook's debug build is left alone). Nothing to do when they
    /// are up to date.
    static func buildStaticBinaries() throws -> (worker: String, orchestrator: String) {
        let buildPath = packageRoot + "/.build-al2023"
        for product in ["worker", "orchestrator"] {
            // One job at a time: this build may run beside the lab's own measurements (in a test,
            // or a chapter), and must not take every core from them.
            let (status, output) = try run(Self.swift(), ["build", "-c", "release", "--product", product, "--build-path", buildPath,
                                                          "-j", "1", "-Xswiftc", "-static-executable"], in: packageRoot)
            guard status == 0 else { throw Failure.buildFailed(output) }
        }
        return (buildPath + "/release/worker", buildPath + "/release/orchestrator")
    }

    /// Writes `<folder>/<function>[-<release>].zip` from `binary`, symbols stripped when `strip` is
    /// on this machine (they are most of the binary, and none of its code). `release` adds a
    /// `release.txt`: a change to the package that leaves the program as it is.
    static func package(_ function: String, binary: String, into folder: String, release: String? = nil) throws -> Package {
        var program = try Data(contentsOf: URL(fileURLWithPath: binary))
        let stripped = folder + "/\(function).stripped"
        if let strip = ["/usr/bin/strip", "/usr/local/bin/strip"].first(where: FileManager.default.isExecutableFile(atPath:)),
           (try? run(strip, ["--strip-all", "-o", stripped, binary], in: folder))?.0 == 0 {
            program = try Data(contentsOf: URL(fileURLWithPath: stripped))
            try? FileManager.default.removeItem(atPath: stripped)
        }
        var files = [ZipWriter.File(path: "bootstrap", bytes: Array(program), mode: 0o755)]
        if let release { files.append(ZipWriter.File(path: "release.txt", bytes: Array("\(release)\n".utf8), mode: 0o644)) }
        let zip = try ZipWriter.archive(files)
        let path = folder + "/\(function)\(release.map { "-\($0)" } ?? "").zip"
        try Data(zip).write(to: URL(fileURLWithPath: path))
        return Package(function: function, path: path, bytes: zip.count, versionNeeds: try versionNeeds(of: binary))
    }

    /// The symbol versions a binary needs from its shared libraries, as `readelf -V` lists them
    /// (`GLIBC_2.34`, `GLIBCXX_3.4.29`, …). A static executable has none.
    static func versionNeeds(of binary: String) throws -> [String] {
        guard let readelf = ["/usr/bin/readelf", "/usr/local/bin/readelf"].first(where: FileManager.default.isExecutableFile(atPath:)) else { return [] }
        let (_, output) = try run(readelf, ["-V", "--wide", binary], in: "/")
        var needs: Set<String> = []
        var inNeeds = false
        for line in output.split(separator: "\n") {
            if line.contains("Version needs section") { inNeeds = true; continue }
            if line.contains("Version definition section") || line.contains("Version symbols section") { inNeeds = false }
            guard inNeeds, let range = line.range(of: "Name: ") else { continue }
            needs.insert(String(line[range.upperBound...].split(separator: " ").first ?? ""))
        }
        return needs.sorted()
    }

    /// The needs above what AL2023 has: each must be empty for the bootstrap to start there.
    static func tooNew(_ needs: [String]) -> [String] {
        needs.filter { need in
            for (prefix, newest) in [("GLIBCXX_", newestGLIBCXX), ("GLIBC_", newestGLIBC)] where need.hasPrefix(prefix) {
                let version = need.dropFirst(prefix.count).split(separator: ".").compactMap { Int($0) }
                return version.lexicographicallyPrecedes(newest) == false && version != newest
            }
            return false
        }
    }

    private static func swift() -> String { Subprocess.find("swift") ?? "/usr/bin/swift" }

    private static func run(_ executable: String, _ arguments: [String], in folder: String) throws -> (Int32, String) {
        try Subprocess.run(executable, arguments, in: folder)
    }
}

import Foundation
import Workbook
import ZipArchive

/// The functions as AWS takes a custom runtime: a zip with one executable, `bootstrap`, at its
/// root (mode 0755). Built with the lab's own zip writer, reproducibly: the same binary gives the
/// same bytes, so Terraform sees a change only when the code really changed.
enum DeploymentPackages {
    struct Package {
        let path: String
        let bytes: Int
    }

    /// Writes `<folder>/<name>.zip` from the function's built executable, symbols stripped when
    /// `strip` is on this machine (they are most of a debug build's size, and none of its code).
    /// `release` adds a `release.txt`: a change to the package that leaves the program as it is.
    static func build(_ function: String, into folder: String, release: String? = nil) throws -> Package {
        let binary = try FunctionBinaries.path(of: function)
        let stripped = folder + "/\(function).stripped"
        var program = try Data(contentsOf: URL(fileURLWithPath: binary))
        if let strip = ["/usr/bin/strip", "/usr/local/bin/strip"].first(where: FileManager.default.isExecutableFile(atPath:)) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: strip)
            process.arguments = ["--strip-all", "-o", stripped, binary]
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 0 { program = try Data(contentsOf: URL(fileURLWithPath: stripped)) }
            try? FileManager.default.removeItem(atPath: stripped)
        }
        var files = [ZipWriter.File(path: "bootstrap", bytes: Array(program), mode: 0o755)]
        if let release { files.append(ZipWriter.File(path: "release.txt", bytes: Array("\(release)\n".utf8), mode: 0o644)) }
        let zip = try ZipWriter.archive(files)
        let path = folder + "/\(function)\(release.map { "-\($0)" } ?? "").zip"
        try Data(zip).write(to: URL(fileURLWithPath: path))
        return Package(path: path, bytes: zip.count)
    }
}

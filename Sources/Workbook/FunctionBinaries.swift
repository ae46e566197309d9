import Foundation

/// Finds the workbook's function executables. `swift run chapter3` and `swift test` build `worker`
/// and `orchestrator` into the same products folder as the running program (every product of
/// the package lands there), so look
/// next to our own executable — never at `argv[0]`, which is relative under `swift run`.
public enum FunctionBinaries {
    public static func path(of name: String) throws -> String {
        let ownExecutable = Bundle.main.executableURL ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = ownExecutable.deletingLastPathComponent()
        // A test bundle on Linux is `<products>/X.xctest`; on macOS it is a folder inside a bundle.
        while folder.pathExtension == "xctest" || folder.lastPathComponent == "MacOS" || folder.lastPathComponent == "Contents" {
            folder = folder.deletingLastPathComponent()
        }
        let candidate = folder.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else { throw WorkbookError.missingBinary(name: name, folder: folder.path) }
        return candidate
    }
}

public enum WorkbookError: Error, CustomStringConvertible {
    case missingBinary(name: String, folder: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .missingBinary(let name, let folder): "cannot find the function executable '\(name)' in \(folder); build it with `swift build`"
        case .invalidOption(let message): message
        }
    }
}

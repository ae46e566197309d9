/// A function's code as deployed through the API: the zip AWS would store, unpacked into a folder
/// of its own, so every published version keeps the code it was published with.
public struct CodePackage: Sendable, Codable, Equatable {
    /// base64 of the zip's SHA-256, as AWS reports `CodeSha256`.
    public var sha256: String
    /// The zip's length in bytes (`CodeSize`).
    public var size: Int
    /// Where the zip was unpacked: `LAMBDA_TASK_ROOT`, and the working directory of `bootstrap`.
    public var folder: String

    public init(sha256: String, size: Int, folder: String) {
        self.sha256 = sha256
        self.size = size
        self.folder = folder
    }
}

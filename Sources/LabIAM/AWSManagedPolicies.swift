import Foundation

/// AWS managed policies (`arn:aws:iam::aws:policy/…`) exist in every account without being created,
/// so a stack can attach `AWSLambdaBasicExecutionRole` to its function's role. The lab cannot know
/// all of them: any such ARN is answered as an existing, attachable policy at version v1, and the
/// few a Lambda stack uses carry their real document.
enum AWSManagedPolicies {
    static let prefix = "arn:aws:iam::aws:policy/"

    /// When AWS published them; the lab has no better date for the others.
    static let published = Date(timeIntervalSince1970: 1_428_591_823)

    static let documents: [String: String] = [
        "AWSLambdaBasicExecutionRole": """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}
            """,
    ]

    static func policy(_ arn: String) -> ManagedPolicy? {
        guard arn.hasPrefix(prefix) else { return nil }
        let rest = arn.dropFirst(prefix.count - 1)
        guard let slash = rest.lastIndex(of: "/") else { return nil }
        let name = String(rest[rest.index(after: slash)...])
        guard !name.isEmpty else { return nil }
        let document = documents[name].map { [PolicyVersion(id: "v1", document: $0, created: published)] } ?? []
        return ManagedPolicy(name: name, path: String(rest[...slash]), id: stableID(arn), arn: arn, description: nil,
                             created: published, updated: published, tags: [], versions: document,
                             defaultVersion: "v1", nextVersion: 2, isAWSManaged: true)
    }

    /// The same id for the same ARN on every call and every run, as AWS's own policies keep theirs:
    /// the ARN's FNV-1a hash spelled in `ANPA` + 17 characters.
    static func stableID(_ arn: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in arn.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var id = "ANPA"
        for _ in 0..<17 {
            // A 64-bit LCG step per character spreads the one hash over all 17.
            hash = hash &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            id.append(alphabet[Int(hash >> 33) % alphabet.count])
        }
        return id
    }
}

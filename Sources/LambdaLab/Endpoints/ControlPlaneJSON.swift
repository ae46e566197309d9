import Foundation
import HTTP

/// The control plane's JSON shapes, member names as in botocore's Lambda model
/// (chapters/aws-facts.md#control-plane-operations).
enum ControlPlaneJSON {
    static func body(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    static func response(_ status: Int, _ object: Any) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body(object))
    }

    /// `2026-11-26T23:14:08.000+0000`, as AWS formats a function's LastModified; without the
    /// fraction for a provisioned concurrency configuration's.
    static func timestamp(_ date: Date, fractionalSeconds: Bool = true) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = fractionalSeconds ? "yyyy-MM-dd'T'HH:mm:ss.SSSZ" : "yyyy-MM-dd'T'HH:mm:ssZ"
        return formatter.string(from: date)
    }

    /// A FunctionConfiguration: what GetFunctionConfiguration, PublishVersion and ListFunctions
    /// return. `state` and `lastUpdateStatus` are what the call reports: a create answers `Pending`
    /// and an update `InProgress`, as AWS does; by the next read the lab has finished (it unpacks
    /// the code before answering), so reads say `Active` and `Successful`, which Terraform waits for.
    static func configuration(_ configuration: FunctionConfiguration, version: String, arn: String, lastModified: Date,
                              state: String = "Active", lastUpdateStatus: String = "Successful") -> [String: Any] {
        // A program deployed from this machine has no zip: its command stands in for the hash.
        let sha = configuration.code?.sha256 ?? Data(String(fnv(configuration.command.joined(separator: " ")), radix: 16).utf8).base64EncodedString()
        // Changes whenever the code or the configuration does, as AWS's RevisionId.
        let revision = fnv([sha, configuration.handler, configuration.role, configuration.description, String(configuration.memorySizeMB),
                            String(Int(configuration.timeout.components.seconds)), timestamp(lastModified)].joined(separator: "|")
                         + configuration.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        var object: [String: Any] = [
            "FunctionName": configuration.name,
            "FunctionArn": version == "$LATEST" ? arn : "\(arn):\(version)",
            "Runtime": configuration.runtime,
            "Role": configuration.role,
            "Handler": configuration.handler,
            "CodeSize": configuration.code?.size ?? 0,
            "CodeSha256": sha,
            "Description": configuration.description,
            "Timeout": Int(configuration.timeout.components.seconds),
            "MemorySize": configuration.memorySizeMB,
            "LastModified": timestamp(lastModified),
            "Version": version,
            "State": state,
            "LastUpdateStatus": lastUpdateStatus,
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": ["Size": 512],
            "TracingConfig": ["Mode": "PassThrough"],
            "LoggingConfig": ["LogFormat": "Text", "LogGroup": "/aws/lambda/\(configuration.name)"],
            "SnapStart": ["ApplyOn": "None", "OptimizationStatus": "Off"],
            "RevisionId": String(revision, radix: 16),
        ]
        // AWS leaves Environment out when a function has no variables; an empty one reads to
        // Terraform as a change to make on every plan.
        if !configuration.environment.isEmpty { object["Environment"] = ["Variables": configuration.environment] }
        if state == "Pending" {
            object["StateReason"] = "The function is being created."
            object["StateReasonCode"] = "Creating"
        }
        if lastUpdateStatus == "InProgress" {
            object["LastUpdateStatusReason"] = "The function is being created."
            object["LastUpdateStatusReasonCode"] = "Creating"
        }
        return object
    }

    /// FNV-1a: a stable 64-bit hash (Swift's `hashValue` changes from run to run).
    static func fnv(_ text: String) -> UInt64 {
        text.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    /// FunctionEventInvokeConfig; `LastModified` is epoch seconds, as botocore's model has it.
    static func eventInvokeConfig(_ config: EventInvokeConfig, functionARN: String) -> [String: Any] {
        var destinations: [String: Any] = [:]
        if let success = config.onSuccess { destinations["OnSuccess"] = ["Destination": success] }
        if let failure = config.onFailure { destinations["OnFailure"] = ["Destination": failure] }
        return ["FunctionArn": functionARN, "LastModified": config.lastModified.timeIntervalSince1970,
                "MaximumRetryAttempts": config.maximumRetryAttempts, "MaximumEventAgeInSeconds": config.maximumEventAgeSeconds,
                "DestinationConfig": destinations]
    }

    static func alias(_ alias: AliasConfiguration) -> [String: Any] {
        ["AliasArn": alias.aliasARN, "Name": alias.name, "FunctionVersion": alias.functionVersion,
         "Description": alias.description, "RevisionId": alias.revisionID]
    }

    static func provisioned(_ config: ProvisionedConcurrencyConfig, functionARN: String? = nil) -> [String: Any] {
        var object: [String: Any] = [
            "RequestedProvisionedConcurrentExecutions": config.requested,
            "AllocatedProvisionedConcurrentExecutions": config.allocated,
            "AvailableProvisionedConcurrentExecutions": config.available,
            "Status": config.status.rawValue,
            "LastModified": config.lastModified,
        ]
        if let reason = config.statusReason { object["StatusReason"] = reason }
        if let functionARN { object["FunctionArn"] = "\(functionARN):\(config.qualifier)" }
        return object
    }
}

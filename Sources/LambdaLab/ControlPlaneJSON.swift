import Foundation
import RuntimeAPI

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

    /// A FunctionConfiguration: what GetFunctionConfiguration, PublishVersion and ListFunctions return.
    static func configuration(_ configuration: FunctionConfiguration, version: String, arn: String, lastModified: Date) -> [String: Any] {
        let sha = configuration.command.joined(separator: " ").utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        return [
            "FunctionName": configuration.name,
            "FunctionArn": version == "$LATEST" ? arn : "\(arn):\(version)",
            "Runtime": configuration.runtime,
            "Role": "arn:aws:iam::000000000000:role/lambda-lab",
            "Handler": configuration.handler,
            "CodeSize": 0,
            "CodeSha256": Data(String(sha, radix: 16).utf8).base64EncodedString(),
            "Description": configuration.description,
            "Timeout": Int(configuration.timeout.components.seconds),
            "MemorySize": configuration.memorySizeMB,
            "LastModified": timestamp(lastModified),
            "Version": version,
            "Environment": ["Variables": configuration.environment],
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": ["Size": 512],
            "TracingConfig": ["Mode": "PassThrough"],
            "RevisionId": String(sha, radix: 16),
        ]
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

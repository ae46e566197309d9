import Foundation
import HTTP

/// Lambda Managed Instances over HTTP, at AWS's paths under `/2025-11-30/` (botocore's model):
/// Create/Get/List/Update/DeleteCapacityProvider, ListFunctionVersionsByCapacityProvider,
/// Put/GetFunctionScalingConfig (chapters/aws-facts.md#lambda-managed-instances).
extension ControlPlaneEndpoint {
    static let managedPrefix = "2025-11-30"

    /// The capacity-provider operations; nil when the request is none of them.
    static func capacityProviders(_ request: HTTPRequest, rest: [String], lab: Lab) throws -> HTTPResponse? {
        guard rest.first == "capacity-providers" else { return nil }
        switch (request.method, Array(rest.dropFirst())) {
        case ("POST", []):
            let provider = try lab.createCapacityProvider(try capacityProvider(try json(request)))
            return ControlPlaneJSON.response(202, ["CapacityProvider": capacityProviderJSON(provider)])
        case ("GET", []):
            if let state = request.query["State"], CapacityProvider.State(rawValue: state) == nil {
                throw validation(state, "state", "Member must satisfy enum value set: [Pending, Active, Failed, Deleting]")
            }
            let providers = lab.capacityProviders(state: request.query["State"].flatMap(CapacityProvider.State.init))
            return ControlPlaneJSON.response(200, ["CapacityProviders": providers.map(capacityProviderJSON)])
        case ("GET", let path) where path.count == 1:
            return ControlPlaneJSON.response(200, ["CapacityProvider": capacityProviderJSON(try lab.capacityProvider(path[0]))])
        case ("PUT", let path) where path.count == 1:
            let body = try json(request)
            let scaling = try scalingConfig(body["CapacityProviderScalingConfig"] as? [String: Any])
            let provider = try lab.updateCapacityProvider(path[0], maxVCpuCount: scaling.maxVCpuCount, scalingMode: scaling.mode,
                                                          scalingPolicies: scaling.policies)
            return ControlPlaneJSON.response(202, ["CapacityProvider": capacityProviderJSON(provider)])
        case ("DELETE", let path) where path.count == 1:
            return ControlPlaneJSON.response(202, ["CapacityProvider": capacityProviderJSON(try lab.deleteCapacityProvider(path[0]))])
        case ("GET", let path) where path.count == 2 && path[1] == "function-versions":
            let (arn, versions) = try lab.functionVersions(onCapacityProvider: path[0])
            return ControlPlaneJSON.response(200, ["CapacityProviderArn": arn,
                                                   "FunctionVersions": versions.map { ["FunctionArn": $0.arn, "State": $0.state] }])
        default:
            return nil
        }
    }

    /// Put/GetFunctionScalingConfig on one function; nil when the request is neither.
    static func scalingConfig(_ request: HTTPRequest, function: String, qualifier: String?, rest: [String], lab: Lab) throws -> HTTPResponse? {
        guard rest == ["function-scaling-config"] else { return nil }
        guard let qualifier, qualifier == "$LATEST.PUBLISHED" || Int(qualifier) != nil else {
            throw validation(qualifier ?? "null", "qualifier", "Member must satisfy regular expression pattern: (\\$LATEST\\.PUBLISHED|[0-9]+)")
        }
        switch request.method {
        case "PUT":
            let config = try json(request)["FunctionScalingConfig"] as? [String: Any] ?? [:]
            let minimum = config["MinExecutionEnvironments"] as? Int, maximum = config["MaxExecutionEnvironments"] as? Int
            for (value, field) in [(minimum, "minExecutionEnvironments"), (maximum, "maxExecutionEnvironments")] {
                if let value, !(0...15_000).contains(value) {
                    throw validation(String(value), "functionScalingConfig.\(field)", "Member must have value \(value < 0 ? "greater than or equal to 0" : "less than or equal to 15000")")
                }
            }
            let state = try lab.putFunctionScalingConfig(function, qualifier: qualifier, minimum: minimum, maximum: maximum)
            return ControlPlaneJSON.response(202, ["FunctionState": state])
        case "GET":
            let (applied, requested) = try lab.functionScalingConfig(function, qualifier: qualifier)
            func object(_ config: Lab.ScalingConfig) -> [String: Any] {
                var object: [String: Any] = ["MinExecutionEnvironments": config.minimum]
                if let maximum = config.maximum { object["MaxExecutionEnvironments"] = maximum }
                return object
            }
            return ControlPlaneJSON.response(200, ["FunctionArn": "\(lab.arn(function)):\(qualifier)",
                                                   "AppliedFunctionScalingConfig": object(applied),
                                                   "RequestedFunctionScalingConfig": object(requested)])
        default:
            return nil
        }
    }

    // MARK: JSON

    static func capacityProviderJSON(_ provider: CapacityProvider) -> [String: Any] {
        var object: [String: Any] = [
            "CapacityProviderArn": provider.arn,
            "State": provider.state.rawValue,
            "VpcConfig": ["SubnetIds": provider.subnetIDs, "SecurityGroupIds": provider.securityGroupIDs],
            "PermissionsConfig": ["CapacityProviderOperatorRoleArn": provider.operatorRoleArn],
            "InstanceRequirements": ["Architectures": provider.architectures, "AllowedInstanceTypes": provider.allowedInstanceTypes,
                                     "ExcludedInstanceTypes": provider.excludedInstanceTypes],
            "CapacityProviderScalingConfig": ["MaxVCpuCount": provider.maxVCpuCount, "ScalingMode": provider.scalingMode,
                                              "ScalingPolicies": provider.scalingPolicies.map {
                                                  ["PredefinedMetricType": $0.predefinedMetricType, "TargetValue": $0.targetValue]
                                              }],
            "LastModified": ControlPlaneJSON.timestamp(provider.lastModified),
        ]
        if let key = provider.kmsKeyArn { object["KmsKeyArn"] = key }
        return object
    }

    /// CreateCapacityProvider's body, checked member by member as botocore's model constrains it.
    private static func capacityProvider(_ body: [String: Any]) throws -> CapacityProvider {
        guard let name = body["CapacityProviderName"] as? String else { throw missing("capacityProviderName") }
        guard (1...140).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw validation(name, "capacityProviderName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        }
        guard let vpc = body["VpcConfig"] as? [String: Any] else { throw missing("vpcConfig") }
        guard let subnets = vpc["SubnetIds"] as? [String] else { throw missing("vpcConfig.subnetIds") }
        guard (1...16).contains(subnets.count) else { throw validation("\(subnets)", "vpcConfig.subnetIds", "Member must have length between 1 and 16") }
        for subnet in subnets where !matches(subnet, prefix: "subnet-", rest: { $0.isNumber || ($0.isLowercase && $0.isLetter) }) {
            throw validation(subnet, "vpcConfig.subnetIds", "Member must satisfy regular expression pattern: subnet-[0-9a-z]*")
        }
        guard let groups = vpc["SecurityGroupIds"] as? [String] else { throw missing("vpcConfig.securityGroupIds") }
        guard groups.count <= 5 else { throw validation("\(groups)", "vpcConfig.securityGroupIds", "Member must have length less than or equal to 5") }
        for group in groups where !matches(group, prefix: "sg-", rest: { $0.isNumber || $0.isLetter }) {
            throw validation(group, "vpcConfig.securityGroupIds", "Member must satisfy regular expression pattern: sg-[0-9a-zA-Z]*")
        }
        guard let permissions = body["PermissionsConfig"] as? [String: Any] else { throw missing("permissionsConfig") }
        guard let role = permissions["CapacityProviderOperatorRoleArn"] as? String else { throw missing("permissionsConfig.capacityProviderOperatorRoleArn") }
        guard role.wholeMatch(of: #/arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+/#) != nil else {
            throw validation(role, "permissionsConfig.capacityProviderOperatorRoleArn", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
        }
        let requirements = body["InstanceRequirements"] as? [String: Any] ?? [:]
        let architectures = requirements["Architectures"] as? [String] ?? ["x86_64"]
        guard architectures.count == 1, ["x86_64", "arm64"].contains(architectures[0]) else {
            throw validation("\(architectures)", "instanceRequirements.architectures", "Member must have length 1 and satisfy enum value set: [x86_64, arm64]")
        }
        let allowed = requirements["AllowedInstanceTypes"] as? [String] ?? [], excluded = requirements["ExcludedInstanceTypes"] as? [String] ?? []
        guard allowed.isEmpty || excluded.isEmpty else {
            throw LabError.invalidParameter("You can specify only one of AllowedInstanceTypes or ExcludedInstanceTypes.")
        }
        let scaling = try scalingConfig(body["CapacityProviderScalingConfig"] as? [String: Any])
        if let key = body["KmsKeyArn"] as? String, !key.hasPrefix("arn:") {
            throw validation(key, "kmsKeyArn", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*")
        }
        return CapacityProvider(name: name, arn: "", state: .pending, subnetIDs: subnets, securityGroupIDs: groups, operatorRoleArn: role,
                                architectures: architectures, allowedInstanceTypes: allowed, excludedInstanceTypes: excluded,
                                maxVCpuCount: scaling.maxVCpuCount ?? CapacityProvider.defaultMaxVCpuCount, scalingMode: scaling.mode ?? "Auto",
                                scalingPolicies: scaling.policies ?? [], kmsKeyArn: body["KmsKeyArn"] as? String, lastModified: Date())
    }

    private static func scalingConfig(_ object: [String: Any]?) throws
        -> (maxVCpuCount: Int?, mode: String?, policies: [CapacityProvider.ScalingPolicy]?) {
        guard let object else { return (nil, nil, nil) }
        let maxVCpu = object["MaxVCpuCount"] as? Int
        if let maxVCpu, !(2...15_000).contains(maxVCpu) {
            throw validation(String(maxVCpu), "capacityProviderScalingConfig.maxVCpuCount", "Member must have value \(maxVCpu < 2 ? "greater than or equal to 2" : "less than or equal to 15000")")
        }
        let mode = object["ScalingMode"] as? String
        if let mode, mode != "Auto", mode != "Manual" {
            throw validation(mode, "capacityProviderScalingConfig.scalingMode", "Member must satisfy enum value set: [Auto, Manual]")
        }
        var policies: [CapacityProvider.ScalingPolicy]?
        if let list = object["ScalingPolicies"] as? [[String: Any]] {
            guard (1...10).contains(list.count) else {
                throw validation("\(list.count) policies", "capacityProviderScalingConfig.scalingPolicies", "Member must have length between 1 and 10")
            }
            policies = try list.map { policy in
                let metric = policy["PredefinedMetricType"] as? String ?? ""
                guard ["LambdaCapacityProviderAverageCPUUtilization", "LambdaCapacityProviderAverageGPUUtilization"].contains(metric) else {
                    throw validation(metric, "capacityProviderScalingConfig.scalingPolicies.member.predefinedMetricType",
                                     "Member must satisfy enum value set: [LambdaCapacityProviderAverageCPUUtilization, LambdaCapacityProviderAverageGPUUtilization]")
                }
                guard let target = (policy["TargetValue"] as? NSNumber)?.doubleValue, (0...100).contains(target) else {
                    throw validation("\(policy["TargetValue"] ?? "null")", "capacityProviderScalingConfig.scalingPolicies.member.targetValue",
                                     "Member must have value between 0 and 100")
                }
                return CapacityProvider.ScalingPolicy(predefinedMetricType: metric, targetValue: target)
            }
        }
        return (maxVCpu, mode, policies)
    }

    private static func matches(_ text: String, prefix: String, rest: (Character) -> Bool) -> Bool {
        text.hasPrefix(prefix) && text.dropFirst(prefix.count).allSatisfy { $0.isASCII && rest($0) }
    }

    static func validation(_ value: String, _ member: String, _ constraint: String) -> LabError {
        LabError("ValidationException", status: 400, "1 validation error detected: Value '\(value.prefix(200))' at '\(member)' failed to satisfy constraint: \(constraint)")
    }

    private static func missing(_ member: String) -> LabError {
        validation("null", member, "Member must not be null")
    }

    /// CreateFunction's and UpdateFunctionConfiguration's `CapacityProviderConfig`.
    static func managedInstances(_ body: [String: Any]) throws -> ManagedInstancesConfig? {
        guard let config = body["CapacityProviderConfig"] as? [String: Any] else { return nil }
        guard let managed = config["LambdaManagedInstancesCapacityProviderConfig"] as? [String: Any] else {
            throw missing("capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig")
        }
        let member = "capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig"
        guard let arn = managed["CapacityProviderArn"] as? String else { throw missing("\(member).capacityProviderArn") }
        let concurrency = managed["PerExecutionEnvironmentMaxConcurrency"] as? Int ?? ManagedInstancesConfig.defaultMaxConcurrency
        guard (1...1_600).contains(concurrency) else {
            throw validation(String(concurrency), "\(member).perExecutionEnvironmentMaxConcurrency", "Member must have value between 1 and 1600")
        }
        let ratio = (managed["ExecutionEnvironmentMemoryGiBPerVCpu"] as? NSNumber)?.doubleValue ?? ManagedInstancesConfig.defaultMemoryGiBPerVCpu
        guard (2...8).contains(ratio) else {
            throw validation(String(ratio), "\(member).executionEnvironmentMemoryGiBPerVCpu", "Member must have value between 2 and 8")
        }
        return ManagedInstancesConfig(capacityProviderArn: arn, perExecutionEnvironmentMaxConcurrency: concurrency, memoryGiBPerVCpu: ratio)
    }

    static func managedInstancesJSON(_ config: ManagedInstancesConfig) -> [String: Any] {
        ["LambdaManagedInstancesCapacityProviderConfig": [
            "CapacityProviderArn": config.capacityProviderArn,
            "PerExecutionEnvironmentMaxConcurrency": config.perExecutionEnvironmentMaxConcurrency,
            "ExecutionEnvironmentMemoryGiBPerVCpu": config.memoryGiBPerVCpu,
        ]]
    }
}

import Foundation
import HTTP

/// The control plane over HTTP, on the same port as the Invoke API, with AWS's paths and codes
/// (botocore's model; chapters/aws-facts.md#control-plane-operations): ListFunctions, GetFunction,
/// GetFunctionConfiguration, PublishVersion, ListVersionsByFunction, CreateAlias, GetAlias,
/// ListAliases, Put/Get/Delete/ListProvisionedConcurrencyConfig(s),
/// Put/Get/DeleteFunctionConcurrency, Put/Update/Get/DeleteFunctionEventInvokeConfig,
/// GetAccountSettings, and the deployments (`ControlPlaneEndpoint+Deployments.swift`). They run on
/// the lab's control-plane queue, never on its loop.
enum ControlPlaneEndpoint {
    static func route(_ request: HTTPRequest, lab: Lab) -> HTTPResponse {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        do {
            switch (request.method, segments.first, Array(segments.dropFirst())) {
            case ("GET", "2016-08-19", ["account-settings"]):
                return ControlPlaneJSON.response(200, lab.accountSettings())
            case ("GET", "2015-03-31", ["functions"]):
                return ControlPlaneJSON.response(200, ["Functions": try lab.functionNames.map { try lab.describe($0, qualifier: nil) }])
            case ("POST", "2015-03-31", ["functions"]):
                return try createFunction(request, lab: lab)
            case (_, .some(managedPrefix), let rest) where rest.first == "capacity-providers":
                return try capacityProviders(request, rest: rest, lab: lab)
                    ?? LabError("UnknownOperationException", status: 404, "Unknown operation \(request.method) \(request.path.prefix(200))").response
            case (_, _, let rest) where rest.count >= 2 && rest[0] == "functions":
                return try function(request, prefix: segments[0], name: rest[1], rest: Array(rest.dropFirst(2)), lab: lab)
            default:
                return LabError("UnknownOperationException", status: 404, "Unknown operation \(request.method) \(request.path.prefix(200))").response
            }
        } catch let error as LabError {
            return error.response
        } catch {
            return LabError("InvalidRequestContentException", status: 400, "Could not parse request body into json: \(error)").response
        }
    }

    private static func function(_ request: HTTPRequest, prefix: String, name: String, rest: [String], lab: Lab) throws -> HTTPResponse {
        guard let reference = FunctionReference(parsing: name) else { throw LabError.invalidParameter("Invalid function name: \(name.prefix(140))") }
        let qualifier = request.query["Qualifier"] ?? reference.qualifier
        let function = reference.name
        if let answer = try deployment(request, prefix: prefix, function: function, qualifier: qualifier, rest: rest, lab: lab) {
            return answer
        }
        if prefix == managedPrefix, let answer = try scalingConfig(request, function: function, qualifier: qualifier, rest: rest, lab: lab) {
            return answer
        }
        let body = try json(request)
        defer { if request.method != "GET" { lab.saveState() } }
        switch (request.method, prefix, rest) {
        case ("GET", "2015-03-31", []):
            let deployed = try lab.functionConfiguration(function, qualifier: qualifier).configuration
            var answer: [String: Any] = ["Configuration": try lab.describe(function, qualifier: qualifier),
                                         "Code": ["RepositoryType": "S3", "Location": "file://" + (deployed.code?.folder ?? deployed.command.first ?? "")],
                                         "Tags": [String: String]()]
            if let reserved = try lab.reservedConcurrency(function) { answer["Concurrency"] = ["ReservedConcurrentExecutions": reserved] }
            return ControlPlaneJSON.response(200, answer)
        case ("GET", "2015-03-31", ["configuration"]):
            return ControlPlaneJSON.response(200, try lab.describe(function, qualifier: qualifier))
        case ("POST", "2015-03-31", ["versions"]):
            let publishTo = body["PublishTo"] as? String
            if let publishTo, publishTo != "LATEST_PUBLISHED" {
                throw validation(publishTo, "publishTo", "Member must satisfy enum value set: [LATEST_PUBLISHED]")
            }
            let version = try lab.publishVersion(function, description: body["Description"] as? String ?? "", toLatestPublished: publishTo != nil)
            return ControlPlaneJSON.response(201, try lab.describe(function, qualifier: version.version))
        case ("GET", "2015-03-31", ["versions"]):
            return ControlPlaneJSON.response(200, ["Versions": try lab.versions(function).map { try lab.describe(function, qualifier: $0.version) }])
        case ("POST", "2015-03-31", ["aliases"]):
            guard let aliasName = body["Name"] as? String, let version = body["FunctionVersion"] as? String else {
                throw LabError("ValidationException", status: 400, "Name and FunctionVersion are required")
            }
            let alias = try lab.createAlias(function, name: aliasName, version: version, description: body["Description"] as? String ?? "")
            return ControlPlaneJSON.response(201, ControlPlaneJSON.alias(alias))
        case ("GET", "2015-03-31", ["aliases"]):
            return ControlPlaneJSON.response(200, ["Aliases": try lab.aliases(function).map(ControlPlaneJSON.alias)])
        case ("GET", "2015-03-31", let path) where path.count == 2 && path[0] == "aliases":
            return ControlPlaneJSON.response(200, ControlPlaneJSON.alias(try lab.alias(function, name: path[1])))
        case ("PUT", "2019-09-30", ["provisioned-concurrency"]):
            guard let executions = body["ProvisionedConcurrentExecutions"] as? Int else {
                throw LabError("ValidationException", status: 400, "ProvisionedConcurrentExecutions is required")
            }
            let config = try lab.putProvisionedConcurrency(function, qualifier: qualifier, executions: executions)
            return ControlPlaneJSON.response(202, ControlPlaneJSON.provisioned(config))
        case ("GET", "2019-09-30", ["provisioned-concurrency"]) where request.query["List"] == "ALL":
            let arn = lab.arn(function)
            return ControlPlaneJSON.response(200, ["ProvisionedConcurrencyConfigs": try lab.provisionedConcurrencyConfigs(function).map {
                ControlPlaneJSON.provisioned($0, functionARN: arn)
            }])
        case ("GET", "2019-09-30", ["provisioned-concurrency"]):
            return ControlPlaneJSON.response(200, ControlPlaneJSON.provisioned(try lab.provisionedConcurrency(function, qualifier: qualifier)))
        case ("DELETE", "2019-09-30", ["provisioned-concurrency"]):
            try lab.deleteProvisionedConcurrency(function, qualifier: qualifier)
            return HTTPResponse(status: 204)
        case ("PUT", "2017-10-31", ["concurrency"]), ("DELETE", "2017-10-31", ["concurrency"]):
            guard reference.qualifier == nil, request.query["Qualifier"] == nil else {
                throw LabError.invalidParameter("This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
            }
            if request.method == "DELETE" {
                try lab.deleteReservedConcurrency(function)
                return HTTPResponse(status: 204)
            }
            guard let executions = body["ReservedConcurrentExecutions"] as? Int else {
                throw LabError("ValidationException", status: 400, "ReservedConcurrentExecutions is required")
            }
            return ControlPlaneJSON.response(200, ["ReservedConcurrentExecutions": try lab.putReservedConcurrency(function, executions)])
        case ("PUT", "2019-09-25", ["event-invoke-config"]), ("POST", "2019-09-25", ["event-invoke-config"]):
            // Put replaces the whole configuration; Update (POST) changes only what it names.
            var config = request.method == "PUT" ? EventInvokeConfig() : lab.eventInvokeConfig(function, qualifier: qualifier)
            if let retries = body["MaximumRetryAttempts"] as? Int { config.maximumRetryAttempts = retries }
            if let age = body["MaximumEventAgeInSeconds"] as? Int { config.maximumEventAgeSeconds = age }
            if let destinations = body["DestinationConfig"] as? [String: Any] {
                if let success = destinations["OnSuccess"] as? [String: Any] { config.onSuccess = success["Destination"] as? String }
                if let failure = destinations["OnFailure"] as? [String: Any] { config.onFailure = failure["Destination"] as? String }
            }
            let stored = try lab.putEventInvokeConfig(function, qualifier: qualifier, config)
            return ControlPlaneJSON.response(200, ControlPlaneJSON.eventInvokeConfig(stored, functionARN: lab.arn(function, qualifier: qualifier ?? "$LATEST")))
        case ("GET", "2019-09-25", ["event-invoke-config"]):
            let stored = try lab.storedEventInvokeConfig(function, qualifier: qualifier)
            return ControlPlaneJSON.response(200, ControlPlaneJSON.eventInvokeConfig(stored, functionARN: lab.arn(function, qualifier: qualifier ?? "$LATEST")))
        case ("DELETE", "2019-09-25", ["event-invoke-config"]):
            try lab.deleteEventInvokeConfig(function, qualifier: qualifier)
            return HTTPResponse(status: 204)
        case ("GET", "2019-09-30", ["concurrency"]):
            let reserved = try lab.reservedConcurrency(function)
            return ControlPlaneJSON.response(200, reserved.map { ["ReservedConcurrentExecutions": $0] } ?? [:])
        default:
            return LabError("UnknownOperationException", status: 404, "Unknown operation \(request.method) \(request.path.prefix(200))").response
        }
    }
}

extension Lab {
    /// A FunctionConfiguration for `$LATEST`, a version, or an alias's version.
    func describe(_ function: String, qualifier: String?) throws -> [String: Any] {
        let (version, configuration) = try functionConfiguration(function, qualifier: qualifier)
        let (modified, managedState) = state.withLock { state in
            (state.registry[function]?.lastModified, state.pool.managed[function]?[version].map { ($0.state.rawValue, $0.stateReason) })
        }
        var object = ControlPlaneJSON.configuration(configuration, version: version, arn: arn(function), lastModified: modified ?? Date())
        if let managed = configuration.managedInstances {
            object["CapacityProviderConfig"] = ControlPlaneEndpoint.managedInstancesJSON(managed)
            // `$LATEST` of a Managed Instances function is never invoked; a version is Pending
            // until its environments are ready.
            if version == "$LATEST" {
                object["State"] = "ActiveNonInvocable"
            } else if let (state, reason) = managedState {
                object["State"] = state
                if state == "Pending" { object["StateReason"] = "The function is being created."; object["StateReasonCode"] = "Creating" }
                if let reason { object["StateReason"] = reason; object["StateReasonCode"] = "FunctionError.RuntimeInitError" }
            }
            object["LoggingConfig"] = ["LogFormat": "JSON", "LogGroup": "/aws/lambda/\(configuration.name)"]
        }
        return object
    }

    func accountSettings() -> [String: Any] {
        let (reserved, count) = state.withLock { ($0.registry.totalReserved, $0.registry.count) }
        return ["AccountLimit": ["TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000, "CodeSizeZipped": 52_428_800,
                                 "ConcurrentExecutions": configuration.accountConcurrency,
                                 "UnreservedConcurrentExecutions": configuration.accountConcurrency - reserved],
                "AccountUsage": ["TotalCodeSize": 0, "FunctionCount": count]]
    }
}

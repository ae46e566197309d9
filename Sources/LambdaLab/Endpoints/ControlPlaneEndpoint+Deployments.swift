import Foundation
import HTTP

/// The control plane's deployment operations over HTTP, as Terraform's AWS provider calls them:
/// CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, UpdateAlias,
/// DeleteAlias, GetFunctionCodeSigningConfig (botocore's Lambda model for paths and members).
extension ControlPlaneEndpoint {
    /// CreateFunction: `POST /2015-03-31/functions`.
    static func createFunction(_ request: HTTPRequest, lab: Lab) throws -> HTTPResponse {
        let body = try json(request)
        guard let name = body["FunctionName"] as? String else { throw LabError("ValidationException", status: 400, "FunctionName is required") }
        let (configuration, version) = try lab.createFunction(name, zip: try zipFile(body), settings: try settings(body),
                                                              publish: body["Publish"] as? Bool ?? false)
        // The answer describes the version it published, or $LATEST; still Pending, as on AWS.
        let qualifier = version?.version ?? "$LATEST"
        return ControlPlaneJSON.response(201, ControlPlaneJSON.configuration(
            version?.configuration ?? configuration, version: qualifier, arn: lab.arn(name), lastModified: Date(), state: "Pending"))
    }

    /// The deployment operations on one function; nil when the request is none of them.
    static func deployment(_ request: HTTPRequest, prefix: String, function: String, qualifier: String?, rest: [String], lab: Lab) throws -> HTTPResponse? {
        switch (request.method, prefix, rest) {
        case ("PUT", "2015-03-31", ["code"]):
            let body = try json(request)
            let (configuration, version) = try lab.updateFunctionCode(function, zip: try zipFile(body), publish: body["Publish"] as? Bool ?? false)
            return ControlPlaneJSON.response(200, ControlPlaneJSON.configuration(
                version?.configuration ?? configuration, version: version?.version ?? "$LATEST", arn: lab.arn(function),
                lastModified: Date(), lastUpdateStatus: "InProgress"))
        case ("PUT", "2015-03-31", ["configuration"]):
            let configuration = try lab.updateFunctionConfiguration(function, try settings(try json(request)))
            return ControlPlaneJSON.response(200, ControlPlaneJSON.configuration(
                configuration, version: "$LATEST", arn: lab.arn(function), lastModified: Date(), lastUpdateStatus: "InProgress"))
        case ("DELETE", "2015-03-31", []):
            try lab.deleteFunction(function, qualifier: qualifier)
            return HTTPResponse(status: 204)
        case ("PUT", "2015-03-31", let path) where path.count == 2 && path[0] == "aliases":
            let body = try json(request)
            let alias = try lab.updateAlias(function, alias: path[1], version: body["FunctionVersion"] as? String,
                                            description: body["Description"] as? String)
            return ControlPlaneJSON.response(200, ControlPlaneJSON.alias(alias))
        case ("DELETE", "2015-03-31", let path) where path.count == 2 && path[0] == "aliases":
            try lab.deleteAlias(function, alias: path[1])
            return HTTPResponse(status: 204)
        case ("GET", "2020-06-30", ["code-signing-config"]):
            // No code signing in the lab: the answer says so, as AWS's does for an unsigned function.
            _ = try lab.functionConfiguration(function)
            return ControlPlaneJSON.response(200, ["CodeSigningConfigArn": "", "FunctionName": function])
        default:
            return nil
        }
    }

    /// `Code.ZipFile`, base64 in the JSON; S3 locations and images are beyond the lab.
    private static func zipFile(_ body: [String: Any]) throws -> [UInt8] {
        let code = body["Code"] as? [String: Any] ?? body
        guard let text = code["ZipFile"] as? String else {
            throw LabError.invalidParameter("The lab takes code as Code.ZipFile (a zip, base64); S3 locations and container images are not supported.")
        }
        guard let data = Data(base64Encoded: text) else { throw LabError.invalidParameter("Code.ZipFile is not valid base64.") }
        return Array(data)
    }

    private static func settings(_ body: [String: Any]) throws -> Lab.FunctionSettings {
        let timeout = body["Timeout"] as? Int, memory = body["MemorySize"] as? Int
        if let timeout, !(1...900).contains(timeout) {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(timeout)' at 'timeout' failed to satisfy constraint: Member must have value \(timeout < 1 ? "greater than or equal to 1" : "less than or equal to 900")")
        }
        // 10,240 MB on Lambda's default; up to 32,768 on Managed Instances (botocore's model).
        let managed = try managedInstances(body)
        let memoryLimit = managed == nil ? 10_240 : 32_768
        if let memory, !(128...memoryLimit).contains(memory) {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(memory)' at 'memorySize' failed to satisfy constraint: Member must have value \(memory < 128 ? "greater than or equal to 128" : "less than or equal to \(memoryLimit)")")
        }
        let environment = (body["Environment"] as? [String: Any]).map { ($0["Variables"] as? [String: String]) ?? [:] }
        return Lab.FunctionSettings(runtime: body["Runtime"] as? String, handler: body["Handler"] as? String, role: body["Role"] as? String,
                                    description: body["Description"] as? String, timeoutSeconds: timeout, memorySizeMB: memory,
                                    environment: environment, managedInstances: managed)
    }

    static func json(_ request: HTTPRequest) throws -> [String: Any] {
        guard !request.body.isEmpty else { return [:] }
        guard let object = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            throw LabError("InvalidRequestContentException", status: 400, "Could not parse request body into json: not an object")
        }
        return object
    }
}

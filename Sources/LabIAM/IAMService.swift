import Foundation
import HTTP
import Synchronization

// What Terraform's AWS provider 5.100 sends for a role with policies: an `aws_iam_role` (Lambda
// trust policy, tags), an `aws_iam_role_policy`, `aws_iam_role_policy_attachment`s of
// AWSLambdaBasicExecutionRole and of an `aws_iam_policy`. Recorded with TF_LOG=DEBUG against the lab
// (every answer 200). Resources run in parallel, so their calls interleave; per resource, in order:
//
//   apply      role:        CreateRole (Path=/, MaxSessionDuration=3600, Tags.member.N), GetRole,
//                           ListRolePolicies, ListAttachedRolePolicies
//              policy:      CreatePolicy, GetPolicy, GetPolicyVersion (VersionId=v1)
//              attachment:  AttachRolePolicy, ListAttachedRolePolicies (each of the two)
//              inline:      PutRolePolicy, GetRolePolicy, GetRolePolicy
//   plan, no changes (a refresh; every later command starts with it too):
//              role:        GetRole, ListRolePolicies, GetRolePolicy (per inline policy), ListAttachedRolePolicies
//              policy:      GetPolicy, GetPolicyVersion
//              attachment:  ListAttachedRolePolicies;  inline: GetRolePolicy
//   change of the inline policy:        PutRolePolicy, GetRolePolicy
//   change of the role's tags, description and max_session_duration, and of the policy's document:
//              role:        UntagRole, TagRole, UpdateRoleDescription, UpdateRole, then the role's reads
//              policy:      ListPolicyVersions, CreatePolicyVersion (SetAsDefault=true), GetPolicy, GetPolicyVersion
//   destroy    attachment:  DetachRolePolicy;  inline: DeleteRolePolicy
//              policy:      ListPolicyVersions, DeletePolicyVersion (v1, no longer the default), DeletePolicy
//              role:        ListInstanceProfilesForRole, ListAttachedRolePolicies, ListRolePolicies, DeleteRole
//                           (after its policies are gone: Terraform orders by dependency)
// No STS call: the provider block skips credential validation and the account id lookup.

/// The few IAM operations a Terraform stack for Lambda uses, in IAM's own protocol (the Query
/// protocol: a form-encoded `Action=…` POST, answered in XML), so the lab's endpoint is the only
/// one a learner needs. It stores what it is sent and gives it back, refusing what IAM refuses
/// (unknown names, malformed documents, deleting what is still in use), but it evaluates no policy:
/// the lab runs every function with the same rights.
public final class IAMService: Sendable {
    private let state = Mutex(IAMState())

    public init() {}

    /// The names of the roles that exist now (a chapter checks that a destroy left none).
    public var roleNames: [String] { state.withLock { $0.roles.values.map(\.name).sorted() } }

    /// Whether a request is for IAM: a POST to `/` whose form body names an `Action`.
    public static func accepts(_ request: HTTPRequest) -> Bool {
        request.method == "POST" && request.path == "/" && String(decoding: request.body.prefix(4_096), as: UTF8.self).contains("Action=")
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let form = FormBody(request.body)
        let requestID = UUID().uuidString.lowercased()
        do throws(IAMError) {
            guard let action = form["Action"] else { throw IAMError(code: "MissingAction", status: 400, message: "Missing Action") }
            let result = try state.withLock { state throws(IAMError) in try state.perform(action, form) }
            return HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Array(IAMXML.response(action: action, result: result, requestID: requestID).utf8))
        } catch {
            return HTTPResponse(status: error.status, headers: ["Content-Type": "text/xml"], body: Array(IAMXML.error(error, requestID: requestID).utf8))
        }
    }
}

extension IAMState {
    /// One operation, by its Action name. Returns the members of `<ActionResult>`, or nil for the
    /// operations whose answer is ResponseMetadata alone.
    mutating func perform(_ action: String, _ form: FormBody) throws(IAMError) -> [XMLNode]? {
        switch action {
        case "CreateRole": try createRole(form)
        case "GetRole": try getRole(form)
        case "DeleteRole": try deleteRole(form)
        case "UpdateRole": try updateRole(form)
        case "UpdateRoleDescription": try updateRoleDescription(form)
        case "UpdateAssumeRolePolicy": try updateAssumeRolePolicy(form)
        case "TagRole": try tagRole(form)
        case "UntagRole": try untagRole(form)
        case "ListRoleTags": try listRoleTags(form)
        case "ListRoles": try listRoles(form)
        case "ListInstanceProfilesForRole": try listInstanceProfilesForRole(form)
        case "PutRolePolicy": try putRolePolicy(form)
        case "GetRolePolicy": try getRolePolicy(form)
        case "DeleteRolePolicy": try deleteRolePolicy(form)
        case "ListRolePolicies": try listRolePolicies(form)
        case "AttachRolePolicy": try attachRolePolicy(form)
        case "DetachRolePolicy": try detachRolePolicy(form)
        case "ListAttachedRolePolicies": try listAttachedRolePolicies(form)
        case "CreatePolicy": try createPolicy(form)
        case "GetPolicy": try getPolicy(form)
        case "GetPolicyVersion": try getPolicyVersion(form)
        case "ListPolicyVersions": try listPolicyVersions(form)
        case "CreatePolicyVersion": try createPolicyVersion(form)
        case "DeletePolicyVersion": try deletePolicyVersion(form)
        case "DeletePolicy": try deletePolicy(form)
        case "ListEntitiesForPolicy": try listEntitiesForPolicy(form)
        default: throw .invalidAction(action)
        }
    }
}

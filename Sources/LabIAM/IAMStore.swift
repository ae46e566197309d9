import Foundation

/// IAM's state in the lab: roles (with their inline and attached policies) and customer managed
/// policies (with their versions). Held by `IAMService` under one `Mutex`: every operation reads
/// and changes it in one step, as IAM's own API is atomic per call.
struct IAMState {
    /// Keyed by the lowercased name: IAM does not tell role names apart by case.
    var roles: [String: Role] = [:]
    /// Customer managed policies by ARN (AWS managed ones are `AWSManagedPolicies`' and never stored).
    var policies: [String: ManagedPolicy] = [:]

    func role(_ name: String) throws(IAMError) -> Role {
        guard let role = roles[name.lowercased()] else { throw .roleNotFound(name) }
        return role
    }

    /// Changes one role in place and gives back what the change returns.
    mutating func changeRole<T>(_ name: String, _ change: (inout Role) throws(IAMError) -> T) throws(IAMError) -> T {
        guard var role = roles[name.lowercased()] else { throw .roleNotFound(name) }
        let result = try change(&role)
        roles[name.lowercased()] = role
        return result
    }

    /// A policy as IAM would find it: a customer policy of this account, or an AWS managed one.
    func policy(_ arn: String) throws(IAMError) -> ManagedPolicy {
        if let policy = policies[arn] ?? AWSManagedPolicies.policy(arn) { return policy }
        throw .policyNotFound(arn)
    }

    /// Roles that have the policy attached, by name, for AttachmentCount and ListEntitiesForPolicy.
    func rolesAttaching(_ arn: String) -> [Role] {
        roles.values.filter { $0.attachedPolicies.contains(arn) }.sorted { $0.name < $1.name }
    }

    func rolesBoundedBy(_ arn: String) -> [Role] {
        roles.values.filter { $0.permissionsBoundary == arn }.sorted { $0.name < $1.name }
    }
}

struct Tag: Equatable, Sendable {
    var key: String
    var value: String
}

struct Role: Sendable {
    let name: String
    let path: String
    let id: String
    let arn: String
    let created: Date
    var assumeRolePolicy: String
    var description: String?
    var maxSessionDuration: Int
    var permissionsBoundary: String?
    var tags: [Tag]
    /// Inline policies: name → document, exactly as sent.
    var inlinePolicies: [String: String] = [:]
    /// Managed policy ARNs, in the order they were attached.
    var attachedPolicies: [String] = []
}

struct ManagedPolicy: Sendable {
    let name: String
    let path: String
    let id: String
    let arn: String
    let description: String?
    let created: Date
    var updated: Date
    var tags: [Tag]
    /// Oldest first; IAM keeps at most five.
    var versions: [PolicyVersion]
    var defaultVersion: String
    /// IAM never reuses a version id, even after DeletePolicyVersion.
    var nextVersion: Int
    var isAWSManaged = false

    func version(_ id: String) throws(IAMError) -> PolicyVersion {
        guard let version = versions.first(where: { $0.id == id }) else {
            throw .noSuchEntity("Policy \(arn) version \(id) does not exist or is not attachable.")
        }
        return version
    }
}

struct PolicyVersion: Sendable {
    let id: String
    let document: String
    let created: Date
}

extension Tag {
    /// TagRole's rule: a key that is already there gets the new value, in its old place.
    static func merge(_ new: [Tag], into tags: inout [Tag]) {
        for tag in new {
            if let index = tags.firstIndex(where: { $0.key == tag.key }) { tags[index].value = tag.value } else { tags.append(tag) }
        }
    }
}

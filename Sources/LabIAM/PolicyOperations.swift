import Foundation

/// Managed policies: customer ones created here (with versions, at most five, one the default) and
/// AWS managed ones, which can be read and attached but not changed.
extension IAMState {
    mutating func createPolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let name = try IAMRules.name(form.required("PolicyName"), member: "policyName", maxLength: 128)
        let document = try IAMRules.document(form.required("PolicyDocument"))
        let path = try IAMRules.path(form["Path"])
        // Policy names are unique in an account whatever their path, and, like role names, by case.
        guard !policies.values.contains(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .alreadyExists("A policy called \(name) already exists. Duplicate names are not allowed.")
        }
        let now = Date()
        let policy = try ManagedPolicy(name: name, path: path, id: IAMRules.newID("ANPA"), arn: IAMRules.policyARN(path: path, name: name),
                                       description: IAMRules.description(form["Description"], ofRole: false), created: now, updated: now,
                                       tags: IAMRules.tags(form.tags()), versions: [PolicyVersion(id: "v1", document: document, created: now)],
                                       defaultVersion: "v1", nextVersion: 2)
        policies[policy.arn] = policy
        return [XMLNode("Policy", policyXML(policy))]
    }

    func getPolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        [XMLNode("Policy", policyXML(try policy(form.required("PolicyArn"))))]
    }

    func getPolicyVersion(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let found = try policy(form.required("PolicyArn"))
        let version = try found.version(form.required("VersionId"))
        return [XMLNode("PolicyVersion", version.xml(isDefault: version.id == found.defaultVersion, withDocument: true))]
    }

    /// Newest first, as IAM lists them.
    func listPolicyVersions(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let found = try policy(form.required("PolicyArn"))
        let versions = found.versions.reversed().map { $0.xml(isDefault: $0.id == found.defaultVersion, withDocument: false) }
        return [XMLNode.list("Versions", versions), notTruncated]
    }

    /// How the provider changes an `aws_iam_policy`'s document: a new version, made the default.
    mutating func createPolicyVersion(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let document = try IAMRules.document(form.required("PolicyDocument"))
        let makeDefault = form["SetAsDefault"] == "true"
        var found = try customerPolicy(form.required("PolicyArn"))
        guard found.versions.count < 5 else {
            throw .limitExceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
        }
        let version = PolicyVersion(id: "v\(found.nextVersion)", document: document, created: Date())
        found.nextVersion += 1
        found.versions.append(version)
        if makeDefault { found.defaultVersion = version.id }
        found.updated = version.created
        policies[found.arn] = found
        return [XMLNode("PolicyVersion", version.xml(isDefault: makeDefault, withDocument: false))]
    }

    mutating func deletePolicyVersion(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        var found = try customerPolicy(form.required("PolicyArn"))
        let id = try found.version(form.required("VersionId")).id
        guard id != found.defaultVersion else { throw .deleteConflict("Cannot delete the default version of a policy.") }
        found.versions.removeAll { $0.id == id }
        policies[found.arn] = found
        return nil
    }

    /// IAM refuses while the policy is attached or is a boundary, and while it has versions other
    /// than the default (the provider deletes those first).
    mutating func deletePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let found = try customerPolicy(form.required("PolicyArn"))
        if !rolesAttaching(found.arn).isEmpty || !rolesBoundedBy(found.arn).isEmpty {
            throw .deleteConflict("Cannot delete a policy attached to entities.")
        }
        if found.versions.count > 1 {
            throw .deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
        }
        policies[found.arn] = nil
        return nil
    }

    /// Roles only (the lab has no users or groups): those with the policy attached and, unless
    /// filtered out, those it bounds.
    func listEntitiesForPolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let arn = try policy(form.required("PolicyArn")).arn
        let usage = form["PolicyUsageFilter"]
        var listed = usage == "PermissionsBoundary" ? [] : rolesAttaching(arn)
        if usage != "PermissionsPolicy" { listed += rolesBoundedBy(arn).filter { role in !listed.contains { $0.name == role.name } } }
        if let entity = form["EntityFilter"], entity == "User" || entity == "Group" { listed = [] }
        return [XMLNode("PolicyGroups", []), XMLNode("PolicyUsers", []),
                XMLNode.list("PolicyRoles", listed.map { [XMLNode("RoleName", $0.name), XMLNode("RoleId", $0.id)] }), notTruncated]
    }

    private func policyXML(_ policy: ManagedPolicy) -> [XMLNode] {
        policy.xml(attachments: rolesAttaching(policy.arn).count, boundaryUses: rolesBoundedBy(policy.arn).count)
    }

    /// A policy this account may change: AWS managed ones are read-only.
    private func customerPolicy(_ arn: String) throws(IAMError) -> ManagedPolicy {
        let found = try policy(arn)
        if found.isAWSManaged { throw IAMError(code: "UnmodifiableEntity", status: 400, message: "Cannot modify AWS managed policy \(arn).") }
        return found
    }
}

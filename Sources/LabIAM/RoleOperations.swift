import Foundation

/// The role operations: each takes the request's parameters and returns the members of its
/// `<…Result>`, or nil for operations IAM answers with ResponseMetadata only.
extension IAMState {
    mutating func createRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let name = try IAMRules.name(form.required("RoleName"), member: "roleName", maxLength: 64)
        let document = try IAMRules.document(form.required("AssumeRolePolicyDocument"))
        let path = try IAMRules.path(form["Path"])
        let boundary = form["PermissionsBoundary"]
        if let boundary { _ = try attachable(boundary) }
        guard roles[name.lowercased()] == nil else { throw .alreadyExists("Role with name \(name) already exists.") }
        let role = try Role(name: name, path: path, id: IAMRules.newID("AROA"), arn: IAMRules.roleARN(path: path, name: name),
                            created: Date(), assumeRolePolicy: document, description: IAMRules.description(form["Description"], ofRole: true),
                            maxSessionDuration: IAMRules.maxSessionDuration(form.integer("MaxSessionDuration")),
                            permissionsBoundary: boundary, tags: IAMRules.tags(form.tags()))
        roles[name.lowercased()] = role
        return [XMLNode("Role", role.xml(.created))]
    }

    func getRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        [XMLNode("Role", try role(form.required("RoleName")).xml(.full))]
    }

    /// IAM refuses to delete a role that still has policies, attached or inline: a stack must take
    /// them off first (Terraform does, in dependency order).
    mutating func deleteRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let found = try role(form.required("RoleName"))
        if !found.attachedPolicies.isEmpty { throw .deleteConflict("Cannot delete entity, must detach all policies first.") }
        if !found.inlinePolicies.isEmpty { throw .deleteConflict("Cannot delete entity, must delete policies first.") }
        roles[found.name.lowercased()] = nil
        return nil
    }

    /// Changes only what was sent: an absent Description keeps the old one.
    mutating func updateRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let description = try IAMRules.description(form["Description"], ofRole: true)
        var duration: Int?
        if let sent = try form.integer("MaxSessionDuration") { duration = try IAMRules.maxSessionDuration(sent) }
        try changeRole(form.required("RoleName")) { role in
            if let description { role.description = description }
            if let duration { role.maxSessionDuration = duration }
        }
        return []
    }

    mutating func updateRoleDescription(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let description = try IAMRules.description(form.required("Description"), ofRole: true)
        let updated = try changeRole(form.required("RoleName")) { role in
            role.description = description
            return role
        }
        return [XMLNode("Role", updated.xml(.created))]
    }

    mutating func updateAssumeRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let document = try IAMRules.document(form.required("PolicyDocument"))
        try changeRole(form.required("RoleName")) { $0.assumeRolePolicy = document }
        return nil
    }

    mutating func tagRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let tags = try IAMRules.tags(form.tags())
        if tags.isEmpty { throw .missing("Tags") }
        try changeRole(form.required("RoleName")) { Tag.merge(tags, into: &$0.tags) }
        return nil
    }

    mutating func untagRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let keys = form.list("TagKeys")
        if keys.isEmpty { throw .missing("TagKeys") }
        try changeRole(form.required("RoleName")) { role in role.tags.removeAll { keys.contains($0.key) } }
        return nil
    }

    func listRoleTags(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        [Tag.xml(try role(form.required("RoleName")).tags), notTruncated]
    }

    func listRoles(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let prefix = form["PathPrefix"] ?? "/"
        let listed = roles.values.filter { $0.path.hasPrefix(prefix) }.sorted { $0.name < $1.name }
        return [XMLNode.list("Roles", listed.map { $0.xml(.listed) }), notTruncated]
    }

    /// The lab has no instance profiles; the provider asks before deleting a role.
    func listInstanceProfilesForRole(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        _ = try role(form.required("RoleName"))
        return [XMLNode("InstanceProfiles", []), notTruncated]
    }
}

/// A role's policies: inline ones (stored in the role, by name) and managed ones attached by ARN.
extension IAMState {
    mutating func putRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let name = try IAMRules.name(form.required("PolicyName"), member: "policyName", maxLength: 128)
        let document = try IAMRules.document(form.required("PolicyDocument"))
        // Putting an existing name replaces its document, as IAM does.
        try changeRole(form.required("RoleName")) { $0.inlinePolicies[name] = document }
        return nil
    }

    func getRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let found = try role(form.required("RoleName"))
        let name = try form.required("PolicyName")
        guard let document = found.inlinePolicies[name] else { throw .noSuchEntity("The role policy with name \(name) cannot be found.") }
        return [XMLNode("RoleName", found.name), XMLNode("PolicyName", name), XMLNode("PolicyDocument", IAMXML.encodeDocument(document))]
    }

    mutating func deleteRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let name = try form.required("PolicyName")
        try changeRole(form.required("RoleName")) { role throws(IAMError) in
            guard role.inlinePolicies.removeValue(forKey: name) != nil else {
                throw .noSuchEntity("The role policy with name \(name) cannot be found.")
            }
        }
        return nil
    }

    func listRolePolicies(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let names = try role(form.required("RoleName")).inlinePolicies.keys.sorted()
        return [XMLNode.strings("PolicyNames", names), notTruncated]
    }

    /// Attaching needs a policy that exists: a customer policy of this account or an AWS managed one.
    /// Attaching one that is already attached changes nothing, as in IAM.
    mutating func attachRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let arn = try attachable(form.required("PolicyArn")).arn
        try changeRole(form.required("RoleName")) { role in
            if !role.attachedPolicies.contains(arn) { role.attachedPolicies.append(arn) }
        }
        return nil
    }

    mutating func detachRolePolicy(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let arn = try form.required("PolicyArn")
        try changeRole(form.required("RoleName")) { role throws(IAMError) in
            guard let index = role.attachedPolicies.firstIndex(of: arn) else { throw .policyNotFound(arn) }
            role.attachedPolicies.remove(at: index)
        }
        return nil
    }

    func listAttachedRolePolicies(_ form: FormBody) throws(IAMError) -> [XMLNode]? {
        let prefix = form["PathPrefix"] ?? "/"
        var attached: [[XMLNode]] = []
        for arn in try role(form.required("RoleName")).attachedPolicies {
            // A customer policy cannot be deleted while attached, so every ARN here resolves.
            guard let policy = try? policy(arn), policy.path.hasPrefix(prefix) else { continue }
            attached.append([XMLNode("PolicyName", policy.name), XMLNode("PolicyArn", policy.arn)])
        }
        return [XMLNode.list("AttachedPolicies", attached), notTruncated]
    }

    /// A policy that can be attached (or be a permissions boundary), in IAM's words when it cannot.
    func attachable(_ arn: String) throws(IAMError) -> ManagedPolicy {
        guard let policy = try? policy(arn) else { throw .noSuchEntity("Policy \(arn) does not exist or is not attachable.") }
        return policy
    }
}

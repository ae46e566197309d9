/// IAM's output shapes (botocore's `Role`, `Policy`, `PolicyVersion`, `tagListType`), written from
/// the lab's state. Members IAM leaves out when unset are left out here too.
extension Role {
    enum Detail {
        /// ListRoles: no tags, permissions boundary or last use (IAM documents that it leaves them out).
        case listed
        /// CreateRole, UpdateRoleDescription.
        case created
        /// GetRole: everything, with an empty RoleLastUsed (the lab's roles are never assumed).
        case full
    }

    func xml(_ detail: Detail) -> [XMLNode] {
        var nodes = [
            XMLNode("Path", path), XMLNode("RoleName", name), XMLNode("RoleId", id), XMLNode("Arn", arn),
            XMLNode("CreateDate", IAMXML.timestamp(created)),
            XMLNode("AssumeRolePolicyDocument", IAMXML.encodeDocument(assumeRolePolicy)),
        ]
        nodes += XMLNode.optional("Description", description)
        nodes.append(XMLNode("MaxSessionDuration", String(maxSessionDuration)))
        guard detail != .listed else { return nodes }
        if let permissionsBoundary {
            nodes.append(XMLNode("PermissionsBoundary", [
                XMLNode("PermissionsBoundaryType", "PermissionsBoundaryPolicy"),
                XMLNode("PermissionsBoundaryArn", permissionsBoundary),
            ]))
        }
        if !tags.isEmpty { nodes.append(Tag.xml(tags)) }
        if detail == .full { nodes.append(XMLNode("RoleLastUsed", [])) }
        return nodes
    }
}

extension ManagedPolicy {
    func xml(attachments: Int, boundaryUses: Int) -> [XMLNode] {
        var nodes = [
            XMLNode("PolicyName", name), XMLNode("PolicyId", id), XMLNode("Arn", arn), XMLNode("Path", path),
            XMLNode("DefaultVersionId", defaultVersion),
            XMLNode("AttachmentCount", String(attachments)),
            XMLNode("PermissionsBoundaryUsageCount", String(boundaryUses)),
            XMLNode("IsAttachable", "true"),
        ]
        nodes += XMLNode.optional("Description", description)
        nodes += [XMLNode("CreateDate", IAMXML.timestamp(created)), XMLNode("UpdateDate", IAMXML.timestamp(updated))]
        if !tags.isEmpty { nodes.append(Tag.xml(tags)) }
        return nodes
    }
}

extension PolicyVersion {
    /// GetPolicyVersion carries the document; ListPolicyVersions and CreatePolicyVersion do not.
    func xml(isDefault: Bool, withDocument: Bool) -> [XMLNode] {
        (withDocument ? [XMLNode("Document", IAMXML.encodeDocument(document))] : [])
            + [XMLNode("VersionId", id), XMLNode("IsDefaultVersion", String(isDefault)), XMLNode("CreateDate", IAMXML.timestamp(created))]
    }
}

extension Tag {
    static func xml(_ tags: [Tag]) -> XMLNode {
        XMLNode.list("Tags", tags.map { [XMLNode("Key", $0.key), XMLNode("Value", $0.value)] })
    }
}

/// Every list IAM answers here fits in one page.
let notTruncated = XMLNode("IsTruncated", "false")

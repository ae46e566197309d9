import Foundation
import LabIAM
import Testing

@Suite("IAM managed policies: customer policies with versions, AWS managed ones as they exist in every account")
struct PolicyTests {
    let mine = "arn:aws:iam::000000000000:policy/app/mine"

    func serviceWithPolicy() throws -> IAMService {
        let iam = try serviceWithRole()
        let created = try call(iam, "CreatePolicy", ["PolicyName": "mine", "Path": "/app/", "PolicyDocument": logsPolicy,
                                                     "Description": "logs only", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        try #require(created.status == 200, "\(created.text)")
        return iam
    }

    @Test("CreatePolicy answers the Policy: ARN from path and name, an ANPA id, version v1, not attached")
    func createPolicy() throws {
        let answer = try call(IAMService(), "CreatePolicy", ["PolicyName": "mine", "Path": "/app/", "PolicyDocument": logsPolicy])
        #expect(answer.status == 200)
        #expect(answer.rootName == "CreatePolicyResponse")
        #expect(answer.value("Arn") == mine)
        #expect(answer.value("PolicyName") == "mine")
        #expect(answer.value("Path") == "/app/")
        #expect(answer.value("PolicyId")?.wholeMatch(of: /ANPA[A-Z0-9]{17}/) != nil)
        #expect(answer.value("DefaultVersionId") == "v1")
        #expect(answer.value("AttachmentCount") == "0")
        #expect(answer.value("IsAttachable") == "true")
    }

    @Test("A second policy of the same name is EntityAlreadyExists (409); a document that is not JSON is MalformedPolicyDocument")
    func createErrors() throws {
        let iam = try serviceWithPolicy()
        expectError(try call(iam, "CreatePolicy", ["PolicyName": "mine", "PolicyDocument": logsPolicy]),
                    409, "EntityAlreadyExists", "A policy called mine already exists. Duplicate names are not allowed.")
        expectError(try call(iam, "CreatePolicy", ["PolicyName": "other", "PolicyDocument": "[1, 2"]), 400, "MalformedPolicyDocument")
    }

    @Test("GetPolicy counts attachments and keeps description and tags; GetPolicyVersion gives the document back")
    func getPolicy() throws {
        let iam = try serviceWithPolicy()
        _ = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": mine])
        let policy = try call(iam, "GetPolicy", ["PolicyArn": mine])
        #expect(policy.status == 200)
        #expect(policy.value("AttachmentCount") == "1")
        #expect(policy.value("Description") == "logs only")
        #expect(policy.values("Key", under: "Tags") == ["k"])
        let version = try call(iam, "GetPolicyVersion", ["PolicyArn": mine, "VersionId": "v1"])
        #expect(version.status == 200)
        #expect(version.value("IsDefaultVersion") == "true")
        #expect(version.decodedDocument("Document") == logsPolicy)
        expectError(try call(iam, "GetPolicyVersion", ["PolicyArn": mine, "VersionId": "v9"]), 404, "NoSuchEntity")
        expectError(try call(iam, "GetPolicy", ["PolicyArn": mine + "x"]), 404, "NoSuchEntity", "Policy \(mine)x was not found.")
    }

    @Test("An AWS managed policy exists without being created, with a stable id and, for AWSLambdaBasicExecutionRole, its document")
    func awsManaged() throws {
        let iam = IAMService()
        let first = try call(iam, "GetPolicy", ["PolicyArn": basicExecution])
        #expect(first.status == 200)
        #expect(first.value("PolicyName") == "AWSLambdaBasicExecutionRole")
        #expect(first.value("Path") == "/service-role/")
        #expect(first.value("Arn") == basicExecution)
        #expect(first.value("PolicyId") == (try call(IAMService(), "GetPolicy", ["PolicyArn": basicExecution])).value("PolicyId"))
        let version = try call(iam, "GetPolicyVersion", ["PolicyArn": basicExecution, "VersionId": "v1"])
        #expect(version.decodedDocument("Document")?.contains("logs:CreateLogStream") == true)
        expectError(try call(iam, "DeletePolicy", ["PolicyArn": basicExecution]), 400, "UnmodifiableEntity")
    }

    @Test("CreatePolicyVersion adds a default version; ListPolicyVersions lists newest first; the default cannot be deleted")
    func versions() throws {
        let iam = try serviceWithPolicy()
        let created = try call(iam, "CreatePolicyVersion", ["PolicyArn": mine, "PolicyDocument": lambdaTrust, "SetAsDefault": "true"])
        #expect(created.value("VersionId") == "v2")
        let listed = try call(iam, "ListPolicyVersions", ["PolicyArn": mine])
        #expect(listed.values("VersionId") == ["v2", "v1"])
        #expect(listed.values("IsDefaultVersion") == ["true", "false"])
        #expect(try call(iam, "GetPolicy", ["PolicyArn": mine]).value("DefaultVersionId") == "v2")
        expectError(try call(iam, "DeletePolicyVersion", ["PolicyArn": mine, "VersionId": "v2"]), 409, "DeleteConflict")
        expectError(try call(iam, "DeletePolicy", ["PolicyArn": mine]), 409, "DeleteConflict")
        #expect(try call(iam, "DeletePolicyVersion", ["PolicyArn": mine, "VersionId": "v1"]).status == 200)
        #expect(try call(iam, "ListPolicyVersions", ["PolicyArn": mine]).values("VersionId") == ["v2"])
    }

    @Test("DeletePolicy is DeleteConflict while attached, then removes the policy")
    func deletePolicy() throws {
        let iam = try serviceWithPolicy()
        _ = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": mine])
        expectError(try call(iam, "DeletePolicy", ["PolicyArn": mine]), 409, "DeleteConflict", "Cannot delete a policy attached to entities.")
        _ = try call(iam, "DetachRolePolicy", ["RoleName": "fn-role", "PolicyArn": mine])
        let deleted = try call(iam, "DeletePolicy", ["PolicyArn": mine])
        #expect(deleted.status == 200)
        #expect(deleted.rootName == "DeletePolicyResponse")
        expectError(try call(iam, "GetPolicy", ["PolicyArn": mine]), 404, "NoSuchEntity")
    }

    @Test("ListEntitiesForPolicy lists the roles that have it attached, and no users or groups")
    func entities() throws {
        let iam = try serviceWithPolicy()
        #expect(try call(iam, "ListEntitiesForPolicy", ["PolicyArn": mine]).count("RoleName") == 0)
        _ = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": mine])
        let answer = try call(iam, "ListEntitiesForPolicy", ["PolicyArn": mine])
        #expect(answer.values("RoleName", under: "PolicyRoles") == ["fn-role"])
        #expect(answer.value("RoleId") == (try call(iam, "GetRole", ["RoleName": "fn-role"])).value("RoleId"))
        #expect(answer.count("PolicyUsers") == 1 && answer.count("UserName") == 0)
        #expect(answer.value("IsTruncated") == "false")
        #expect(try call(iam, "ListEntitiesForPolicy", ["PolicyArn": mine, "EntityFilter": "User"]).count("RoleName") == 0)
    }
}

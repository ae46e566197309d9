import Foundation
import LabIAM
import Testing

@Suite("IAM roles: what is sent is stored and answered in IAM's shapes")
struct RoleTests {
    @Test("CreateRole answers the Role: ARN from path and name, an AROA id, IAM's defaults, the trust policy percent-encoded")
    func createRole() throws {
        let iam = IAMService()
        let answer = try call(iam, "CreateRole", ["RoleName": "fn-role", "AssumeRolePolicyDocument": lambdaTrust, "Path": "/lambda/"])
        #expect(answer.status == 200)
        #expect(answer.rootName == "CreateRoleResponse")
        #expect(answer.count("CreateRoleResult") == 1)
        #expect(answer.value("RoleName") == "fn-role")
        #expect(answer.value("Path") == "/lambda/")
        #expect(answer.value("Arn") == "arn:aws:iam::000000000000:role/lambda/fn-role")
        let id = try #require(answer.value("RoleId"))
        #expect(id.wholeMatch(of: /AROA[A-Z0-9]{17}/) != nil, "\(id)")
        #expect(answer.value("MaxSessionDuration") == "3600")
        #expect(answer.value("CreateDate")?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
        let encoded = try #require(answer.value("AssumeRolePolicyDocument"))
        #expect(encoded.hasPrefix("%7B%22Version%22%3A%20%222012-10-17%22"), "\(encoded)")
        #expect(answer.decodedDocument("AssumeRolePolicyDocument") == lambdaTrust)
        #expect(answer.count("Description") == 0)
    }

    @Test("CreateRole keeps Description, MaxSessionDuration, tags in order and a permissions boundary")
    func createRoleOptions() throws {
        let iam = try serviceWithRole("unused")
        let boundary = try call(iam, "CreatePolicy", ["PolicyName": "boundary", "PolicyDocument": logsPolicy]).value("Arn")
        let answer = try call(iam, "CreateRole", [
            "RoleName": "tagged", "AssumeRolePolicyDocument": lambdaTrust, "Description": "runs <the> \"worker\" & more",
            "MaxSessionDuration": "7200", "PermissionsBoundary": try #require(boundary),
            "Tags.member.1.Key": "team", "Tags.member.1.Value": "lab",
            "Tags.member.2.Key": "cost centre", "Tags.member.2.Value": "a+b=c",
        ])
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.value("Description") == "runs <the> \"worker\" & more")
        #expect(answer.value("MaxSessionDuration") == "7200")
        #expect(answer.values("Key", under: "Tags") == ["team", "cost centre"])
        #expect(answer.values("Value", under: "Tags") == ["lab", "a+b=c"])
        #expect(answer.value("PermissionsBoundaryArn") == boundary)
        #expect(answer.value("PermissionsBoundaryType") == "PermissionsBoundaryPolicy")
    }

    @Test("A second role of the same name, in any case, is EntityAlreadyExists (409)")
    func createRoleTwice() throws {
        let iam = try serviceWithRole("fn-role")
        expectError(try call(iam, "CreateRole", ["RoleName": "FN-Role", "AssumeRolePolicyDocument": lambdaTrust]),
                    409, "EntityAlreadyExists", "Role with name FN-Role already exists.")
    }

    @Test("GetRole answers the stored role with its tags and an empty RoleLastUsed")
    func getRole() throws {
        let iam = try serviceWithRole("fn-role", ["Tags.member.1.Key": "team", "Tags.member.1.Value": "lab"])
        let answer = try call(iam, "GetRole", ["RoleName": "fn-role"])
        #expect(answer.status == 200)
        #expect(answer.rootName == "GetRoleResponse")
        #expect(answer.value("Arn") == "arn:aws:iam::000000000000:role/fn-role")
        #expect(answer.decodedDocument("AssumeRolePolicyDocument") == lambdaTrust)
        #expect(answer.values("Key", under: "Tags") == ["team"])
        #expect(answer.count("RoleLastUsed") == 1)
        #expect(answer.value("RoleLastUsed") == "")
    }

    @Test("GetRole of a role that is not there is NoSuchEntity (404) in IAM's words")
    func getMissingRole() throws {
        expectError(try call(IAMService(), "GetRole", ["RoleName": "x"]), 404, "NoSuchEntity", "The role with name x cannot be found.")
    }

    @Test("UpdateRole changes what it is sent and keeps the rest; its Result is empty")
    func updateRole() throws {
        let iam = try serviceWithRole("fn-role", ["Description": "first"])
        let answer = try call(iam, "UpdateRole", ["RoleName": "fn-role", "MaxSessionDuration": "43200"])
        #expect(answer.status == 200)
        #expect(answer.count("UpdateRoleResult") == 1)
        let role = try call(iam, "GetRole", ["RoleName": "fn-role"])
        #expect(role.value("MaxSessionDuration") == "43200")
        #expect(role.value("Description") == "first")
        expectError(try call(iam, "UpdateRole", ["RoleName": "fn-role", "MaxSessionDuration": "60"]), 400, "ValidationError")
        expectError(try call(iam, "UpdateRole", ["RoleName": "nope", "Description": "x"]), 404, "NoSuchEntity")
    }

    @Test("UpdateRoleDescription answers the Role with its new description")
    func updateRoleDescription() throws {
        let iam = try serviceWithRole()
        let answer = try call(iam, "UpdateRoleDescription", ["RoleName": "fn-role", "Description": "second"])
        #expect(answer.status == 200)
        #expect(answer.value("Description") == "second")
        #expect(try call(iam, "GetRole", ["RoleName": "fn-role"]).value("Description") == "second")
    }

    @Test("UpdateAssumeRolePolicy replaces the trust policy, refusing one that is not JSON")
    func updateAssumeRolePolicy() throws {
        let iam = try serviceWithRole()
        let trust = lambdaTrust.replacingOccurrences(of: "lambda.amazonaws.com", with: "edgelambda.amazonaws.com")
        let answer = try call(iam, "UpdateAssumeRolePolicy", ["RoleName": "fn-role", "PolicyDocument": trust])
        #expect(answer.status == 200)
        #expect(answer.count("UpdateAssumeRolePolicyResult") == 0)
        #expect(try call(iam, "GetRole", ["RoleName": "fn-role"]).decodedDocument("AssumeRolePolicyDocument") == trust)
        expectError(try call(iam, "UpdateAssumeRolePolicy", ["RoleName": "fn-role", "PolicyDocument": "{nope"]),
                    400, "MalformedPolicyDocument", "This policy contains invalid Json")
    }

    @Test("TagRole adds and overwrites by key, UntagRole removes, ListRoleTags lists")
    func tags() throws {
        let iam = try serviceWithRole("fn-role", ["Tags.member.1.Key": "a", "Tags.member.1.Value": "1"])
        let tagged = try call(iam, "TagRole", ["RoleName": "fn-role", "Tags.member.1.Key": "b", "Tags.member.1.Value": "2",
                                               "Tags.member.2.Key": "a", "Tags.member.2.Value": "one"])
        #expect(tagged.status == 200)
        var listed = try call(iam, "ListRoleTags", ["RoleName": "fn-role"])
        #expect(listed.values("Key", under: "Tags") == ["a", "b"])
        #expect(listed.values("Value", under: "Tags") == ["one", "2"])
        #expect(listed.value("IsTruncated") == "false")
        #expect(try call(iam, "UntagRole", ["RoleName": "fn-role", "TagKeys.member.1": "a"]).status == 200)
        listed = try call(iam, "ListRoleTags", ["RoleName": "fn-role"])
        #expect(listed.values("Key", under: "Tags") == ["b"])
        expectError(try call(iam, "ListRoleTags", ["RoleName": "gone"]), 404, "NoSuchEntity")
    }

    @Test("ListRoles lists by name under a path prefix, without tags or last use")
    func listRoles() throws {
        let iam = try serviceWithRole("b-role", ["Path": "/lambda/", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        _ = try call(iam, "CreateRole", ["RoleName": "a-role", "AssumeRolePolicyDocument": lambdaTrust])
        let all = try call(iam, "ListRoles")
        #expect(all.values("RoleName") == ["a-role", "b-role"])
        #expect(all.count("Tags") == 0)
        #expect(all.count("RoleLastUsed") == 0)
        #expect(all.value("IsTruncated") == "false")
        #expect(try call(iam, "ListRoles", ["PathPrefix": "/lambda/"]).values("RoleName") == ["b-role"])
    }

    @Test("ListInstanceProfilesForRole is always empty, and 404 for a role that is not there")
    func instanceProfiles() throws {
        let iam = try serviceWithRole()
        let answer = try call(iam, "ListInstanceProfilesForRole", ["RoleName": "fn-role"])
        #expect(answer.status == 200)
        #expect(answer.count("InstanceProfiles") == 1)
        #expect(answer.count("member") == 0)
        expectError(try call(iam, "ListInstanceProfilesForRole", ["RoleName": "x"]), 404, "NoSuchEntity")
    }

    @Test("DeleteRole removes the role; a second delete is NoSuchEntity")
    func deleteRole() throws {
        let iam = try serviceWithRole()
        let answer = try call(iam, "DeleteRole", ["RoleName": "fn-role"])
        #expect(answer.status == 200)
        #expect(answer.rootName == "DeleteRoleResponse")
        #expect(answer.count("DeleteRoleResult") == 0)
        #expect(answer.count("RequestId") == 1)
        expectError(try call(iam, "GetRole", ["RoleName": "fn-role"]), 404, "NoSuchEntity")
        expectError(try call(iam, "DeleteRole", ["RoleName": "fn-role"]), 404, "NoSuchEntity", "The role with name fn-role cannot be found.")
    }
}

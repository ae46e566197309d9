import Foundation
import LabIAM
import Testing

@Suite("IAM role policies: inline and attached, and why a role with policies cannot be deleted")
struct RolePolicyTests {
    @Test("PutRolePolicy stores the document as sent; GetRolePolicy answers it percent-encoded")
    func inlinePolicy() throws {
        let iam = try serviceWithRole()
        let put = try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs", "PolicyDocument": logsPolicy])
        #expect(put.status == 200)
        #expect(put.rootName == "PutRolePolicyResponse")
        let answer = try call(iam, "GetRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs"])
        #expect(answer.status == 200)
        #expect(answer.value("RoleName") == "fn-role")
        #expect(answer.value("PolicyName") == "logs")
        let encoded = try #require(answer.value("PolicyDocument"))
        // `+` and spaces are escaped, so a form decoder (Go's url.QueryUnescape) gets them back.
        #expect(encoded.contains("a%2Bb%2A") && encoded.contains("%0A%20%20"), "\(encoded)")
        #expect(answer.decodedDocument("PolicyDocument") == logsPolicy)
    }

    @Test("PutRolePolicy again replaces the document; ListRolePolicies lists names sorted")
    func replaceAndList() throws {
        let iam = try serviceWithRole()
        for name in ["zeta", "alpha"] {
            _ = try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": name, "PolicyDocument": logsPolicy])
        }
        let changed = #"{"Version":"2012-10-17","Statement":[]}"#
        _ = try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": "zeta", "PolicyDocument": changed])
        #expect(try call(iam, "GetRolePolicy", ["RoleName": "fn-role", "PolicyName": "zeta"]).decodedDocument("PolicyDocument") == changed)
        let listed = try call(iam, "ListRolePolicies", ["RoleName": "fn-role"])
        #expect(listed.values("member", under: "PolicyNames") == ["alpha", "zeta"])
        #expect(listed.value("IsTruncated") == "false")
    }

    @Test("Inline policy errors: not JSON, no such role, no such policy")
    func inlineErrors() throws {
        let iam = try serviceWithRole()
        expectError(try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": "p", "PolicyDocument": "Allow everything"]),
                    400, "MalformedPolicyDocument")
        expectError(try call(iam, "PutRolePolicy", ["RoleName": "other", "PolicyName": "p", "PolicyDocument": logsPolicy]),
                    404, "NoSuchEntity", "The role with name other cannot be found.")
        expectError(try call(iam, "GetRolePolicy", ["RoleName": "fn-role", "PolicyName": "p"]),
                    404, "NoSuchEntity", "The role policy with name p cannot be found.")
        expectError(try call(iam, "DeleteRolePolicy", ["RoleName": "fn-role", "PolicyName": "p"]), 404, "NoSuchEntity")
    }

    @Test("DeleteRolePolicy removes the inline policy")
    func deleteInline() throws {
        let iam = try serviceWithRole()
        _ = try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs", "PolicyDocument": logsPolicy])
        #expect(try call(iam, "DeleteRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs"]).status == 200)
        #expect(try call(iam, "ListRolePolicies", ["RoleName": "fn-role"]).count("member") == 0)
        expectError(try call(iam, "GetRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs"]), 404, "NoSuchEntity")
    }

    @Test("AttachRolePolicy takes AWS managed and customer policies; ListAttachedRolePolicies lists them once each")
    func attach() throws {
        let iam = try serviceWithRole()
        let customer = try #require(try call(iam, "CreatePolicy", ["PolicyName": "mine", "PolicyDocument": logsPolicy]).value("Arn"))
        for arn in [basicExecution, customer, basicExecution] {
            let answer = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": arn])
            #expect(answer.status == 200, "\(answer.text)")
        }
        let listed = try call(iam, "ListAttachedRolePolicies", ["RoleName": "fn-role"])
        #expect(listed.values("PolicyArn") == [basicExecution, customer])
        #expect(listed.values("PolicyName") == ["AWSLambdaBasicExecutionRole", "mine"])
        #expect(listed.value("IsTruncated") == "false")
        #expect(try call(iam, "ListAttachedRolePolicies", ["RoleName": "fn-role", "PathPrefix": "/service-role/"]).values("PolicyName")
            == ["AWSLambdaBasicExecutionRole"])
    }

    @Test("Attaching a customer policy that does not exist is NoSuchEntity; detaching one not attached too")
    func attachErrors() throws {
        let iam = try serviceWithRole()
        let missing = "arn:aws:iam::000000000000:policy/nope"
        expectError(try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": missing]),
                    404, "NoSuchEntity", "Policy \(missing) does not exist or is not attachable.")
        expectError(try call(iam, "AttachRolePolicy", ["RoleName": "nobody", "PolicyArn": basicExecution]), 404, "NoSuchEntity")
        expectError(try call(iam, "DetachRolePolicy", ["RoleName": "fn-role", "PolicyArn": basicExecution]),
                    404, "NoSuchEntity", "Policy \(basicExecution) was not found.")
    }

    @Test("DetachRolePolicy takes the policy off the role")
    func detach() throws {
        let iam = try serviceWithRole()
        _ = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": basicExecution])
        #expect(try call(iam, "DetachRolePolicy", ["RoleName": "fn-role", "PolicyArn": basicExecution]).status == 200)
        #expect(try call(iam, "ListAttachedRolePolicies", ["RoleName": "fn-role"]).count("member") == 0)
    }

    @Test("DeleteRole is DeleteConflict (409) while policies are attached, then while inline ones remain; then it succeeds")
    func deleteConflict() throws {
        let iam = try serviceWithRole()
        _ = try call(iam, "PutRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs", "PolicyDocument": logsPolicy])
        _ = try call(iam, "AttachRolePolicy", ["RoleName": "fn-role", "PolicyArn": basicExecution])
        expectError(try call(iam, "DeleteRole", ["RoleName": "fn-role"]), 409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
        _ = try call(iam, "DetachRolePolicy", ["RoleName": "fn-role", "PolicyArn": basicExecution])
        expectError(try call(iam, "DeleteRole", ["RoleName": "fn-role"]), 409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
        #expect(try call(iam, "GetRole", ["RoleName": "fn-role"]).status == 200)
        _ = try call(iam, "DeleteRolePolicy", ["RoleName": "fn-role", "PolicyName": "logs"])
        #expect(try call(iam, "DeleteRole", ["RoleName": "fn-role"]).status == 200)
    }
}

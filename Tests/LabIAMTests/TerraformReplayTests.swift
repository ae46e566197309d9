import Foundation
import LabIAM
import Testing

/// The bodies Terraform's AWS provider 5.100 sent to the lab (TF_LOG=DEBUG), replayed in order: the
/// apply of a role with an inline policy, two attachments (AWSLambdaBasicExecutionRole and a
/// customer policy); a change of the inline policy; a change of the role's tags, description and
/// session duration and of the customer policy; the destroy (after its refresh).
@Suite("What Terraform's provider sends, replayed")
struct TerraformReplayTests {
    static let apply = [
        #"Action=CreateRole&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%7B%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D&MaxSessionDuration=3600&Path=%2F&RoleName=lab-fn-role&Tags.member.1.Key=team&Tags.member.1.Value=lab&Version=2010-05-08"#,
        #"Action=CreatePolicy&Description=what+the+function+may+do&Path=%2F&PolicyDocument=%7B%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22dynamodb%3AGetItem%22%2C%22dynamodb%3APutItem%22%5D%2C%22Effect%22%3A%22Allow%22%2C%22Resource%22%3A%22arn%3Aaws%3Adynamodb%3Aus-east-1%3A000000000000%3Atable%2Flab%2Btable%22%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D&PolicyName=lab-custom&Version=2010-05-08"#,
        #"Action=GetRole&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08"#,
        #"Action=ListRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetPolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08&VersionId=v1"#,
        #"Action=ListAttachedRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=AttachRolePolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListAttachedRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=AttachRolePolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2FAWSLambdaBasicExecutionRole&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=PutRolePolicy&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22s3%3AGetObject%22%5D%2C%22Effect%22%3A%22Allow%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Alab-bucket%2F%2A%22%7D%5D%7D&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListAttachedRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetRolePolicy&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetRolePolicy&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
    ]
    static let changeInline = [
        #"Action=PutRolePolicy&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22s3%3AGetObject%22%5D%2C%22Effect%22%3A%22Allow%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aother+bucket%2Bx%2F%2A%22%7D%5D%7D&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetRolePolicy&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
    ]
    static let changeRoleAndPolicy = [
        #"Action=UntagRole&RoleName=lab-fn-role&TagKeys.member.1=team&Version=2010-05-08"#,
        #"Action=ListPolicyVersions&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08"#,
        #"Action=TagRole&RoleName=lab-fn-role&Tags.member.1.Key=owner&Tags.member.1.Value=me&Version=2010-05-08"#,
        #"Action=CreatePolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&PolicyDocument=%7B%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22dynamodb%3AGetItem%22%5D%2C%22Effect%22%3A%22Allow%22%2C%22Resource%22%3A%22arn%3Aaws%3Adynamodb%3Aus-east-1%3A000000000000%3Atable%2Flab%2Btable%22%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D&SetAsDefault=true&Version=2010-05-08"#,
        #"Action=UpdateRoleDescription&Description=the+lab+function%27s+role&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08"#,
        #"Action=UpdateRole&MaxSessionDuration=7200&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetPolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08&VersionId=v2"#,
        #"Action=GetRole&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=GetRolePolicy&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListAttachedRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
    ]
    static let destroy = [
        #"Action=DetachRolePolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=DeleteRolePolicy&PolicyName=lab-inline&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=DetachRolePolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2FAWSLambdaBasicExecutionRole&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListInstanceProfilesForRole&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=ListPolicyVersions&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08"#,
        #"Action=DeletePolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08&VersionId=v1"#,
        #"Action=ListAttachedRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=DeletePolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Flab-custom&Version=2010-05-08"#,
        #"Action=ListRolePolicies&RoleName=lab-fn-role&Version=2010-05-08"#,
        #"Action=DeleteRole&RoleName=lab-fn-role&Version=2010-05-08"#,
    ]

    /// Sends each body; answers by Action, the last one kept when an Action repeats.
    @discardableResult
    func replay(_ iam: IAMService, _ bodies: [String]) throws -> [String: IAMAnswer] {
        var answers: [String: IAMAnswer] = [:]
        for body in bodies {
            let answer = try send(iam, body)
            #expect(answer.status == 200, "\(body.prefix(60)): \(answer.text)")
            answers[try #require(parameter("Action", in: body))] = answer
        }
        return answers
    }

    /// A parameter as the provider sent it, decoded as a form decoder would.
    func parameter(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") where pair.hasPrefix("\(name)=") {
            return pair.dropFirst(name.count + 1).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    func sent(_ action: String, _ name: String, in bodies: [String]) throws -> String {
        try #require(bodies.lazy.filter { $0.hasPrefix("Action=\(action)&") }.compactMap { parameter(name, in: $0) }.first)
    }

    @Test("Apply: every call answered 200, and what the provider reads back is what it sent")
    func apply() throws {
        let answers = try replay(IAMService(), Self.apply)
        #expect(answers["GetRole"]?.decodedDocument("AssumeRolePolicyDocument") == (try sent("CreateRole", "AssumeRolePolicyDocument", in: Self.apply)))
        #expect(answers["GetRole"]?.values("Key", under: "Tags") == ["team"])
        #expect(answers["GetPolicyVersion"]?.decodedDocument("Document") == (try sent("CreatePolicy", "PolicyDocument", in: Self.apply)))
        #expect(answers["GetPolicy"]?.value("Description") == "what the function may do")
        #expect(answers["GetRolePolicy"]?.decodedDocument("PolicyDocument") == (try sent("PutRolePolicy", "PolicyDocument", in: Self.apply)))
        #expect(answers["ListAttachedRolePolicies"]?.values("PolicyArn") == [
            "arn:aws:iam::000000000000:policy/lab-custom", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ])
    }

    @Test("Changes: the new inline document, tags, description, session duration and default policy version are read back")
    func changes() throws {
        let iam = IAMService()
        try replay(iam, Self.apply)
        let inline = try replay(iam, Self.changeInline)
        #expect(inline["GetRolePolicy"]?.decodedDocument("PolicyDocument") == (try sent("PutRolePolicy", "PolicyDocument", in: Self.changeInline)))
        let changed = try replay(iam, Self.changeRoleAndPolicy)
        #expect(changed["GetRole"]?.values("Key", under: "Tags") == ["owner"])
        #expect(changed["GetRole"]?.value("Description") == (try sent("UpdateRoleDescription", "Description", in: Self.changeRoleAndPolicy)))
        #expect(changed["GetRole"]?.value("MaxSessionDuration") == "7200")
        #expect(changed["GetPolicy"]?.value("DefaultVersionId") == "v2")
        #expect(changed["GetPolicyVersion"]?.decodedDocument("Document")
            == (try sent("CreatePolicyVersion", "PolicyDocument", in: Self.changeRoleAndPolicy)))
    }

    @Test("Destroy: every call answered 200, and nothing is left")
    func destroy() throws {
        let iam = IAMService()
        for bodies in [Self.apply, Self.changeInline, Self.changeRoleAndPolicy, Self.destroy] { try replay(iam, bodies) }
        #expect(try call(iam, "ListRoles").count("member") == 0)
        expectError(try call(iam, "GetPolicy", ["PolicyArn": "arn:aws:iam::000000000000:policy/lab-custom"]), 404, "NoSuchEntity")
    }

    @Test("Destroy in the wrong order (the role before its policies) is refused, as IAM refuses it")
    func destroyOutOfOrder() throws {
        let iam = IAMService()
        try replay(iam, Self.apply)
        expectError(try send(iam, try #require(Self.destroy.last)), 409, "DeleteConflict")
    }
}

import Console
import Foundation
import LambdaLab
import HTTP
import StandInDatabase
import Workbook

/// `swift run lab`: the lab as a long-running local Lambda endpoint.
@main
struct LabCommand {
    static func main() {
        let options: LabOptions
        do {
            options = try LabOptions(arguments: Array(CommandLine.arguments.dropFirst()))
        } catch {
            Console.error("error: \(error)")
            exit(2)
        }
        if options.help {
            print(LabOptions.usage)
            return
        }
        Console.lineBufferStandardOutput()
        do {
            try serve(options)
        } catch {
            Console.error("lab failed: \(error)")
            exit(1)
        }
    }

    static func serve(_ options: LabOptions) throws {
        var configuration = LabConfiguration()
        configuration.accountConcurrency = options.accountConcurrency
        configuration.idleTimeout = .milliseconds(options.idleTimeoutSeconds * 1000)
        configuration.asyncTimeScale = options.asyncTimeScale
        configuration.stateDirectory = options.stateDirectory
        configuration.managedInstances.timeScale = options.managedTimeScale
        if options.verifySignatures { configuration.verifySignatures = LabConfiguration.labCredentials }
        // Function output and platform lines, prefixed by function and environment, as they happen.
        configuration.log = { line in print("[\(line.functionName) \(line.environmentID)] \(line.text)") }
        let lab = try Lab(configuration: configuration)
        var database: StandInDatabase?
        if options.workbookFunctions {
            let standIn = try StandInDatabase(configuration: .init(handshake: .milliseconds(options.dbHandshakeMs),
                                                                   queryLatency: .milliseconds(options.dbQueryMs)))
            try lab.deploy(WorkbookFunctions.worker(database: standIn))
            try lab.deploy(WorkbookFunctions.orchestrator())
            database = standIn
        }
        for function in try options.configurations() { try lab.deploy(function) }
        let restored = try lab.restoreState()
        if !restored.isEmpty { print("Restored from \(options.stateDirectory!): " + restored.joined(separator: ", ")) }
        for (name, k) in options.managedInstances.sorted(by: { $0.key < $1.key }) {
            guard lab.functionNames.contains(name) else { throw LabOptionsError("--managed-instances names \(name), which is not deployed") }
            let version = try lab.runOnManagedInstances(name, maxConcurrency: k)
            print("\(name) runs on Lambda Managed Instances: up to \(k) invocations at once per execution environment; version \(version.version) published, its environments starting — invoke \(name):\(version.version)")
        }
        let port = try lab.startInvokeAPI(port: options.port)
        banner(lab: lab, port: port, database: database)

        // Ctrl-C (and SIGTERM): a one-line summary, every environment shut down, a clean exit.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .main) }
        for source in sources {
            source.setEventHandler {
                func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
                let activity = lab.activity.map { "\($0.function) \(count($0.environments, "environment")) / \(count($0.invocations, "invocation"))" }
                print("")
                print("Stopping: " + activity.joined(separator: "; "))
                for name in lab.functionNames {
                    let events = lab.eventCounts(name)
                    guard events.accepted > 0 else { continue }
                    print("  \(name) events: \(events.accepted) accepted, \(events.succeeded) succeeded, \(events.sentToDestination) sent to the on-failure destination, \(events.dropped) dropped, \(events.queued) still queued (dropped now)")
                }
                lab.shutdown()
                database?.stop()
                print("Every environment is shut down.")
                exit(0)
            }
            source.resume()
        }
        dispatchMain()
    }

    static func banner(lab: Lab, port: UInt16, database: StandInDatabase?) {
        let url = "http://127.0.0.1:\(port)"
        print("Lambda Lab listening on \(url)")
        print("Watch it live in a browser: \(url)/ (its events: \(url)/lab/events)")
        print("Functions: " + lab.functionNames.joined(separator: ", ")
              + (database.map { " (stand-in database on \($0.address)" + ")" } ?? ""))
        var example = lab.functionNames.contains("worker") ? "worker" : (lab.functionNames.first ?? "my-function")
        // A function on Managed Instances is invoked through a published version.
        if (try? lab.functionConfiguration(example).configuration.isManaged) == true, let version = try? lab.versions(example).last?.version {
            example += ":" + version
        }
        // With signatures checked, the examples sign with the lab's credentials (aws-cli reads them from the environment).
        let checked = lab.configuration.verifySignatures?.first
        let (key, secret) = checked ?? ("x", "x")
        let signatures = checked == nil ? "signatures are not checked; any credentials, or none, do"
            : "signatures are checked: export AWS_ACCESS_KEY_ID=\(key) AWS_SECRET_ACCESS_KEY=\(secret) first"
        let signing = checked == nil ? " --no-sign-request" : ""
        print("""

            Try, in another terminal (\(signatures)):
              aws lambda invoke --endpoint-url \(url) --region us-east-1\(signing) \\
                  --function-name \(example) --payload '{"key":"a"}' --log-type Tail out.json
                  (AWS CLI v2 also needs --cli-binary-format raw-in-base64-out)
              aws lambda list-functions --endpoint-url \(url) --region us-east-1\(signing)
              python3 -c 'import boto3; c = boto3.client("lambda", endpoint_url="\(url)", region_name="us-east-1", aws_access_key_id="\(key)", aws_secret_access_key="\(secret)"); print(c.invoke(FunctionName="\(example)")["Payload"].read())'
            Ctrl-C stops the lab and every execution environment.

            """)
    }
}

import Foundation
import Timing

/// The lab's own settings: account limits and lifecycle timings, with AWS's values as defaults.
public struct LabConfiguration: Sendable {
    /// Account concurrency per Region (AWS default 1,000; chapters/aws-facts.md#quotas).
    public var accountConcurrency: Int = 1_000
    /// The unreserved concurrency the account must keep: reserving more is refused. AWS keeps 100
    /// of its default 1,000; a lab with a small account limit (a chapter) may scale it down.
    public var minimumUnreservedConcurrency: Int = 100
    /// How fast each function may add environments (AWS: 1,000 every 10 s). A chapter scales it
    /// down (`ScalingRate.aws(scaledDownBy:)`) so a burst larger than the rate fits on a laptop.
    public var scalingRate: ScalingRate = .aws
    /// How long an idle environment is kept. AWS publishes no figure
    /// (chapters/aws-facts.md#freeze-thaw-and-reuse, #idle-reaping); community measurements since
    /// 2019 saw about 10 minutes, so that is the default.
    public var idleTimeout: Duration = .seconds(600)
    /// Init limit for on-demand environments (chapters/aws-facts.md#init-phase).
    public var initTimeout: Duration = .seconds(10)
    /// Between SIGTERM and SIGKILL at Shutdown. AWS gives a runtime with no extensions none at all,
    /// and up to 300 ms when external extensions are registered (chapters/aws-facts.md#shutdown-phase);
    /// the lab gives every runtime the 300 ms, so a runtime's own clean-up can be watched.
    public var shutdownGrace: Duration = .milliseconds(300)
    /// Modeled: microVM creation and code download before the process starts
    /// (chapters/aws-facts.md#firecracker). Off by default; when set, it is waited before the spawn
    /// and, as on AWS, is not part of Init Duration (which starts at the spawn) — only of the
    /// latency the caller sees.
    public var sandboxDelay: Duration = .zero
    /// Scheduling priority of execution environments (`nice`), below the lab's own. On AWS the
    /// service that routes invocations never shares CPU with function sandboxes; on a 2-core laptop
    /// it does, and ten environments loading their libraries at once would delay the lab reading the
    /// rest of a burst. Lowering the environments' priority keeps the lab responsive, as AWS's
    /// front end is. nil leaves them at the lab's priority.
    public var environmentNiceness: Int32? = nil
    /// The Invoke API routes what arrives together as one burst: after reading several requests in a
    /// row it waits this long for more before any of them starts (a lone request never waits). On
    /// AWS the front end routes in microseconds on machines of its own; here the client writing a
    /// burst shares two CPUs with the lab and its environments. Measured cost: a burst's calls wait
    /// at most this long, once, before they are handed out.
    public var burstLinger: Duration = .microseconds(200)
    /// Scales the asynchronous queue's waits (retry after a function error: ~1 then ~2 min; after a
    /// throttle: 1 s doubling up to 5 min; maximum event age): 1 is AWS's time, 0.001 turns a
    /// minute into 60 ms so a test or a chapter can watch retries in seconds
    /// (chapters/aws-facts.md#asynchronous-invocation).
    public var asyncTimeScale: Double = 1
    /// Lambda Managed Instances' scaler, as the lab models it (AWS publishes no timings).
    public var managedInstances = ManagedInstancesScaling()
    /// How many finished invocations the lab keeps (`Lab.records`, the chapters' source), and how
    /// many bytes of their logs: older ones are let go, so a lab that runs for days stays small.
    public var recordLimit = 10_000
    public var recordLogBytesLimit = 64 * 1024 * 1024
    /// Log bytes kept per invocation; CloudWatch caps one event at 256 KB. The lab still prints
    /// every line as it comes; only the copy kept in the record is cut, with a line saying so.
    public var invocationLogBytesLimit = 256 * 1024
    public var region: String = "us-east-1"
    public var accountID: String = "000000000000"
    /// Where platform lines (START/END/REPORT) and function output go as they happen; nil keeps
    /// them only in the invocation records.
    public var log: (@Sendable (LogLine) -> Void)?
    /// Where functions deployed through the API are kept (their code and `functions.json`), so a lab
    /// started again with the same directory has them back (`swift run lab --state-dir`). Nil: they
    /// last as long as the lab.
    public var stateDirectory: String?
    /// Where each environment's scratch directory (its TMPDIR, the lab's `/tmp`) is created.
    public var scratchRoot: String = NSTemporaryDirectory()
    /// When set, the front door checks AWS Signature Version 4 as Lambda does: an Invoke must be
    /// signed, a control-plane call that carries Authorization must be signed right, by one of
    /// these credentials (access key → secret key). A map, not one secret, so that an access key
    /// the lab never issued is refused as AWS refuses it (UnrecognizedClientException), apart from
    /// a wrong secret (InvalidSignatureException), and more callers can be given keys. Nil (the
    /// default): nothing is checked, any credentials or none will do.
    public var verifySignatures: [String: String]? = nil
    /// The dummy credentials every execution environment gets (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`; `Lab.environmentVariables`), so `swift run lab --verify-signatures`
    /// accepts what the lab's own functions sign.
    public static let labCredentials = ["LABACCESSKEY": "lab-secret"]

    public init() {}
}

/// One line of an environment's log stream.
public struct LogLine: Sendable {
    public let functionName: String
    public let environmentID: String
    public let text: String
    /// True for the lines Lambda itself writes (START, END, REPORT, timeouts).
    public let isPlatform: Bool
}

/// How the lab scales a version on Lambda Managed Instances (chapters/aws-facts.md#lambda-managed-instances).
/// AWS scales asynchronously, on CPU use and on how full the environments are, never when an
/// invocation arrives; it keeps "enough headroom for your traffic to double within 5 minutes", and
/// traffic that more than doubles faster may be throttled while it scales. It publishes no
/// timings: every duration here is the lab's model, scaled by `timeScale` (a chapter runs minutes
/// in seconds), and printed wherever a chapter uses it.
public struct ManagedInstancesScaling: Sendable {
    /// How often the scaler looks at a version.
    public var interval: Duration = .seconds(60)
    /// From the scaler's decision to a new environment's start (placing it on an instance with
    /// room; a new instance takes minutes on AWS).
    public var scaleUpDelay: Duration = .seconds(30)
    /// How long utilization must stay under half the target before one environment is removed.
    public var scaleDownAfter: Duration = .seconds(300)
    /// The utilization kept: 0.5 leaves room for traffic to double.
    public var targetUtilization = 0.5
    /// 1 is the model's time; 0.01 runs a minute in 0.6 s.
    public var timeScale = 1.0

    public init() {}

    func scaled(_ duration: Duration) -> Duration { duration * timeScale }
}


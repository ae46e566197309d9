import Foundation

/// The CloudWatch platform lines Lambda writes around every invocation, byte for byte as recorded on
/// AWS (chapters/aws-facts.md#platform-log-lines): START has a space before `Version:`, REPORT
/// separates fields with tabs and ends with one, and `Init Duration` appears only on an
/// environment's first invocation.
public enum PlatformLog {
    public static func start(requestID: String, version: String) -> String {
        "START RequestId: \(requestID) Version: \(version)"
    }

    public static func end(requestID: String) -> String {
        "END RequestId: \(requestID)"
    }

    public static func report(_ report: Report) -> String {
        // Lambda Managed Instances bill no duration: their REPORT has the Duration alone (as AWS's
        // emulator writes it; AWS itself writes that record as JSON).
        guard report.billed else { return "REPORT RequestId: \(report.requestID)\tDuration: \(report.duration.formattedMilliseconds)\t" }
        var line = "REPORT RequestId: \(report.requestID)\t"
            + "Duration: \(report.duration.formattedMilliseconds)\t"
            + "Billed Duration: \(report.billedDurationMs) ms\t"
            + "Memory Size: \(report.memorySizeMB) MB\t"
            + "Max Memory Used: \(report.maxMemoryUsedMB) MB\t"
        if let initDuration = report.initDuration {
            line += "Init Duration: \(initDuration.formattedMilliseconds)\t"
        }
        return line
    }

    /// The timeout line (chapters/aws-facts.md#timeouts-and-crashes):
    /// `<ISO timestamp> <requestId> Task timed out after 1.00 seconds`.
    public static func timedOut(requestID: String, timeoutSeconds: Double, at date: Date = Date()) -> String {
        "\(iso8601(date)) \(requestID) Task timed out after \(timeoutSeconds.twoDecimals) seconds"
    }

    public static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// What a REPORT line says about one invocation.
public struct Report: Sendable, Equatable {
    public var requestID: String
    public var duration: Duration
    public var initDuration: Duration?
    public var memorySizeMB: Int
    public var maxMemoryUsedMB: Int
    public var billedDurationMs: Int
    /// False on Lambda Managed Instances, which bill instances and requests, not duration.
    public var billed: Bool

    /// Billed Duration follows AWS: ceil to the next millisecond, no minimum (since Dec 2020), and
    /// for a custom runtime (provided.al2023) a cold start bills Init too: ceil(init + duration)
    /// (chapters/aws-facts.md#billing-granularity, #init-billing).
    public init(requestID: String, duration: Duration, initDuration: Duration?, memorySizeMB: Int, maxMemoryUsedMB: Int, billed: Bool = true) {
        self.billed = billed
        self.requestID = requestID
        self.duration = duration
        self.initDuration = initDuration
        self.memorySizeMB = memorySizeMB
        self.maxMemoryUsedMB = maxMemoryUsedMB
        self.billedDurationMs = billed ? Billing.billedMilliseconds(duration + (initDuration ?? .zero)) : 0
    }
}

public enum Billing {
    /// ceil(ms), with a tiny tolerance so 3.000000001 ms (float noise) is not billed as 4.
    public static func billedMilliseconds(_ duration: Duration) -> Int {
        Int((duration.milliseconds - 1e-9).rounded(.up))
    }
}

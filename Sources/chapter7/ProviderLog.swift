import Foundation

/// One call Terraform's AWS provider made while it applied a change, as its debug log records the
/// answer (`TF_LOG_PROVIDER=debug`, "HTTP Response Received"): which operation, the HTTP status,
/// and the state fields of the answer — what the provider was waiting for.
struct ProviderCall: Codable, Sendable, Equatable {
    /// Since the first call of the same apply.
    var atSeconds: Double
    var service: String
    var operation: String
    /// The Terraform resource type being applied (`aws_lambda_function`, …).
    var resource: String?
    var status: Int
    /// The function the answer is about (`FunctionName`, or the function of an alias's ARN), or
    /// the role (IAM).
    var subject: String?
    /// `State` (Pending, Active), `LastUpdateStatus` (InProgress, Successful), `Status` of a
    /// provisioned-concurrency configuration (IN_PROGRESS, READY), `Version`, an alias's
    /// `FunctionVersion`: whichever the answer carries.
    var state: String?
    var lastUpdateStatus: String?
    var provisionedStatus: String?
    var version: String?
    var aliasVersion: String?

    /// Create, update, publish, delete, attach…: a call that changes something.
    var changes: Bool {
        ["Create", "Update", "Publish", "Put", "Delete", "Attach", "Detach", "Tag", "Untag", "Add", "Remove"].contains { operation.hasPrefix($0) }
    }

    /// The answer says the change is not done yet: the provider will read until it is.
    var notDone: Bool {
        [state, lastUpdateStatus, provisionedStatus].contains { ["Pending", "InProgress", "IN_PROGRESS"].contains($0 ?? "") }
    }

    /// What the answer said, as the transcript prints it (`State Active` only where a read is
    /// waiting for it: every function is Active after its creation).
    var answer: String {
        [state.flatMap { $0 != "Active" || operation == "GetFunction" ? "State \($0)" : nil }, lastUpdateStatus.map { "LastUpdateStatus \($0)" },
         provisionedStatus.map { "Status \($0)" }, version.map { "Version \($0)" }, aliasVersion.map { "FunctionVersion \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }
}

/// Reads the provider's debug log of one `terraform apply`.
enum ProviderLog {
    /// Every Lambda and IAM call the provider made to apply changes (`tf_rpc=ApplyResourceChange`;
    /// the refresh before it is left out), in the order the answers came. The log holds each zip
    /// in base64 (tens of MB), so it is read a line at a time and only answers are kept.
    static func calls(in path: String) -> [ProviderCall] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var entries: [String] = []
        var current: String?
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            // An entry starts with its timestamp; its answer body follows on lines of its own.
            let text = String(cString: line)
            if text.first?.isNumber == true, text.count > 20, text.dropFirst(10).first == "T" {
                if let current { entries.append(current) }
                current = text.contains("HTTP Response Received") ? text : nil
            } else if current != nil {
                current! += text
            }
        }
        if let current { entries.append(current) }
        let calls = entries.compactMap(call(from:)).sorted { $0.atSeconds < $1.atSeconds }
        let start = calls.first?.atSeconds ?? 0
        return calls.map { var call = $0; call.atSeconds -= start; return call }
    }

    /// A call as the transcript shows it: a read repeated while the provider waited is one line.
    struct Shown: Sendable {
        /// The call, with the answer of the last read when reads were folded.
        var call: ProviderCall
        var firstAt: Double
        /// How many times the same read was made in a row, and when the last was answered.
        var reads = 1
        var lastAt: Double
    }

    /// The calls worth showing: every change, and after a change whose answer was not done yet
    /// (Pending, InProgress, IN_PROGRESS), the reads that follow it — what the provider waited
    /// on — folded into one line, up to the first call of another kind.
    static func changesAndWaits(_ calls: [ProviderCall]) -> [Shown] {
        var shown: [Shown] = []
        var polling: [String: (operation: String?, line: Int?)] = [:]
        for call in calls {
            let key = call.subject ?? call.resource ?? call.operation
            if call.changes {
                shown.append(Shown(call: call, firstAt: call.atSeconds, lastAt: call.atSeconds))
                polling[key] = call.notDone ? (nil, nil) : nil
                continue
            }
            guard let poll = polling[key], call.state != nil || call.lastUpdateStatus != nil || call.provisionedStatus != nil else { continue }
            if poll.operation == nil {
                shown.append(Shown(call: call, firstAt: call.atSeconds, lastAt: call.atSeconds))
                polling[key] = (call.operation, shown.count - 1)
            } else if poll.operation == call.operation, let line = poll.line {
                shown[line].reads += 1
                shown[line].lastAt = call.atSeconds
                shown[line].call = call
            } else {
                polling[key] = nil
            }
        }
        return shown
    }

    private static func call(from entry: String) -> ProviderCall? {
        guard field("tf_rpc", in: entry) == "ApplyResourceChange", let operation = field("rpc.method", in: entry),
              let service = field("rpc.service", in: entry) else { return nil }
        let stamp = entry.prefix(23)  // 2026-12-04T15:55:03.160
        let seconds = stamp.suffix(12).split(separator: ":").compactMap { Double($0) }
        guard seconds.count == 3 else { return nil }
        let body = entry.range(of: "http.response.body=").map { String(entry[$0.upperBound...]) } ?? ""
        func value(_ key: String) -> String? {
            guard let range = body.range(of: "\"\(key)\":\"") else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
        let alias = value("AliasArn").flatMap { $0.split(separator: ":").dropLast().last.map(String.init) }
        let role = body.range(of: "<RoleName>").map { String(body[$0.upperBound...].prefix { $0 != "<" }) }
        return ProviderCall(atSeconds: seconds[0] * 3600 + seconds[1] * 60 + seconds[2], service: service, operation: operation,
                            resource: field("tf_resource_type", in: entry),
                            status: Int(field("http.status_code", in: entry) ?? "") ?? 0,
                            subject: value("FunctionName") ?? alias ?? role.map { "role \($0)" }, state: value("State"),
                            lastUpdateStatus: value("LastUpdateStatus"), provisionedStatus: value("Status"),
                            version: operation == "GetFunction" ? nil : value("Version"), aliasVersion: value("FunctionVersion"))
    }

    /// `key=value` in hclog's text form (the value ends at a space or the end of the line), or
    /// `"key":"value"` where an entry was written as JSON.
    private static func field(_ key: String, in entry: String) -> String? {
        if let range = entry.range(of: "\"\(key)\":\"") {
            return String(entry[range.upperBound...].prefix { $0 != "\"" })
        }
        var rest = Substring(entry)
        while let range = rest.range(of: key + "=") {
            let before = rest[..<range.lowerBound].last
            rest = rest[range.upperBound...]
            guard before == " " || before == nil else { continue }
            return String(rest.prefix { $0 != " " && $0 != "\n" }).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}

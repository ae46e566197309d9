/// The window of finished invocations the lab keeps (`Lab.records`, the chapters' source): the
/// most recent ones, within a count and a budget of log bytes, oldest let go first; and the count
/// per function since the lab began, which the window cannot give.
struct RecordWindow {
    private(set) var records: [InvocationRecord] = []
    private var logBytes = 0
    private(set) var finishedByFunction: [String: Int] = [:]
    /// Records ever appended, and how many were cold starts (what the window cannot give).
    private(set) var appended = 0
    private(set) var coldStarts = 0
    let limit: Int
    let logBytesLimit: Int

    init(limit: Int, logBytesLimit: Int) {
        self.limit = limit
        self.logBytesLimit = logBytesLimit
    }

    mutating func append(_ record: InvocationRecord) {
        records.append(record)
        appended += 1
        if record.coldStart { coldStarts += 1 }
        logBytes += Self.bytes(record)
        finishedByFunction[record.functionName, default: 0] += 1
        var drop = 0
        var dropped = 0
        while records.count - drop > limit || (logBytes - dropped > logBytesLimit && records.count - drop > 1) {
            dropped += Self.bytes(records[drop])
            drop += 1
        }
        guard drop > 0 else { return }
        // In chunks, so letting go is amortized O(1) per record.
        let chunk = max(drop, min(records.count - 1, limit / 10))
        logBytes -= records[..<chunk].reduce(0) { $0 + Self.bytes($1) }
        records.removeFirst(chunk)
    }

    private static func bytes(_ record: InvocationRecord) -> Int {
        record.logLines.reduce(0) { $0 + $1.utf8.count + 1 }
    }
}

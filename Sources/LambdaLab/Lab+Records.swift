import Timing

/// The window of finished invocations the lab keeps (`Lab.records`).
extension Lab {
    /// Adds a finished invocation to the window of records, letting the oldest go.
    func keep(_ record: InvocationRecord) {
        let bytes = record.logLines.reduce(0) { $0 + $1.utf8.count + 1 }
        state.withLock { state in
            state.records.append(record)
            state.recordLogBytes += bytes
            state.invocationsByFunction[record.functionName, default: 0] += 1
            var drop = 0
            var dropped = 0
            while state.records.count - drop > configuration.recordLimit
                    || (state.recordLogBytes - dropped > configuration.recordLogBytesLimit && state.records.count - drop > 1) {
                dropped += state.records[drop].logLines.reduce(0) { $0 + $1.utf8.count + 1 }
                drop += 1
            }
            if drop > 0 {
                // In chunks, so letting go is amortized O(1) per record.
                let chunk = max(drop, min(state.records.count - 1, configuration.recordLimit / 10))
                let removed = state.records[..<chunk].reduce(0) { $0 + $1.logLines.reduce(0) { $0 + $1.utf8.count + 1 } }
                state.records.removeFirst(chunk)
                state.recordLogBytes -= removed
            }
        }
    }
}

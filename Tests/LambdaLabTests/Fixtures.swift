import Foundation
import LambdaLab
import HTTP
import LambdaAPI
import Synchronization
import Workbook

/// The worker with no database: a small real function for lab tests.
func plainWorker(name: String = "worker", timeout: Duration = .seconds(3)) throws -> FunctionConfiguration {
    try WorkbookFunctions.worker(name: name, database: nil, timeout: timeout)
}

func json(_ object: [String: Any]) -> [UInt8] {
    Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

func decode(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]) ?? [:]
}

/// POSTs an Invoke API request to a running lab.
func invokeOverHTTP(_ lab: Lab, _ name: String, body: [UInt8] = Array("{}".utf8), headers: HTTPHeaders = [:]) throws -> HTTPResponse {
    let port = UInt16(lab.invokeEndpointURL!.split(separator: ":").last!)!
    return try HTTPClient(port: port).send(HTTPRequest(method: "POST", target: InvokeAPIPath.invocations(name), headers: headers, body: body))
}

/// Whether a process still exists (a zombie counts as gone).
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = status.lastIndex(of: ")") else { return false }
    return !status[status.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// The direct children of a process, from /proc.
func children(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
    }
}

/// Waits for a process to exit — an event (its pidfd becomes readable), not a sleep — and says
/// whether it did within the deadline.
func waitForExit(_ pid: pid_t, timeoutMs: Int32 = 10_000) -> Bool {
    let fd = pidfdOpen(pid)
    guard fd >= 0 else { return !isAlive(pid) }   // already gone
    defer { close(fd) }
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, timeoutMs) == 1
}

/// The port a `lab` process prints in its banner, read line by line from its standard output:
/// readiness is that line, not a sleep, and other lines name other ports (the stand-in database's).
func labPort(_ handle: FileHandle) throws -> UInt16 {
    let marker = "listening on http://127.0.0.1:"
    var text = ""
    while true {
        let data = handle.availableData
        if data.isEmpty { break }
        text += String(decoding: data, as: UTF8.self)
        if let line = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first(where: { $0.contains(marker) }) {
            if let port = UInt16(line[line.range(of: marker)!.upperBound...].prefix { $0.isNumber }) { return port }
        }
    }
    throw LabTestError("the lab never printed its address: \(text)")
}

/// Waits until a child process has stopped (SIGSTOP) — the kernel's notice (`waitid` with
/// WSTOPPED, WNOWAIT so the lab's own reaper still sees everything), not a sleep.
func waitForStop(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    return waitid(P_PID, id_t(pid), &info, WSTOPPED | WNOWAIT) == 0
}

/// A descriptor that becomes readable when process `pid` exits (any process, not only a child):
/// `pidfd_open`, which Swift's Glibc module hides behind `_GNU_SOURCE`, looked up by name.
func pidfdOpen(_ pid: pid_t) -> Int32 {
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pidfd_open") else { return -1 }
    return unsafeBitCast(symbol, to: PidfdOpen.self)(pid, 0)
}

/// The lab's log lines as they come, and a way to wait for one: readiness from the event itself
/// (a START line, a function's own output), never from a guessed sleep.
final class LogWatcher: Sendable {
    private let state = Mutex<(lines: [String], waiters: [(prefix: String, continuation: CheckedContinuation<Void, Never>)])>(([], []))

    /// For `LabConfiguration.log`.
    var log: @Sendable (LogLine) -> Void { { [self] line in record(line.text) } }

    var lines: [String] { state.withLock { $0.lines } }

    func record(_ text: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.lines.append(text)
            let (met, waiting) = (state.waiters.filter { text.hasPrefix($0.prefix) }, state.waiters.filter { !text.hasPrefix($0.prefix) })
            state.waiters = waiting
            return met.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `count` lines starting with `prefix` have been logged.
    func waitForLines(_ count: Int, startingWith prefix: String) async {
        while lines.filter({ $0.hasPrefix(prefix) }).count < count {
            let seen = lines.filter { $0.hasPrefix(prefix) }.count
            await waitForLine(startingWith: prefix, after: seen)
        }
    }

    /// Returns once a line starting with `prefix` has been logged (at once if it already was).
    func waitForLine(startingWith prefix: String) async {
        await waitForLine(startingWith: prefix, after: 0)
    }

    /// Returns once more than `seen` lines starting with `prefix` have been logged.
    private func waitForLine(startingWith prefix: String, after seen: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let seen = state.withLock { state -> Bool in
                if state.lines.filter({ $0.hasPrefix(prefix) }).count > seen { return true }
                state.waiters.append((prefix, continuation))
                return false
            }
            if seen { continuation.resume() }
        }
    }
}

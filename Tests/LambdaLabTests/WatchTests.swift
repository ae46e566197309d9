import Foundation
import HTTP
import LabTestSupport
import Testing
@testable import LambdaLab

/// The lab's live view: `GET /` is the page, `GET /lab/events` the stream of its state changes.
@Suite("Watching the lab: the page and its event stream", .serialized, .timeLimit(.minutes(10)))
struct WatchTests {
    /// Reads server-sent events from `/lab/events` on a socket of its own, on a thread of its own.
    final class Viewer: @unchecked Sendable {
        private let socket: Socket
        private let lock = NSLock()
        private var events: [(name: String, json: Data)] = []
        /// Waiting for the next event (or the stream's end, or a deadline): woken by it, not by polling.
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private var ended = false

        init(port: UInt16) throws {
            socket = try Socket.connect(host: "127.0.0.1", port: port)
            try socket.send(Array("GET /lab/events HTTP/1.1\r\nHost: lab\r\nAccept: text/event-stream\r\n\r\n".utf8))
            Thread.detachNewThread { [self] in read() }
        }

        private func read() {
            var text = ""
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while let count = try? buffer.withUnsafeMutableBytes({ try socket.receive(into: $0, waiting: true) }), count > 0 {
                // The head's CRLFs as plain newlines: Swift reads "\r\n" as one Character, not a "\n".
                text += String(decoding: buffer[..<count], as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
                while let end = text.range(of: "\n\n") {
                    let block = String(text[..<end.lowerBound])
                    text = String(text[end.upperBound...])
                    var name = "", data = ""
                    for line in block.split(separator: "\n") {
                        if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                        if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                    }
                    // The response's head is a block too, with no event in it.
                    if !name.isEmpty {
                        lock.withLock { events.append((name, Data(data.utf8))) }
                        wake()
                    }
                }
            }
            lock.withLock { ended = true }
            wake()
        }

        private func wake() {
            let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
                defer { waiters = [] }
                return waiters
            }
            for waiter in woken { waiter.resume() }
        }

        var received: [(name: String, data: [String: Any])] {
            lock.withLock { events }.map { ($0.name, (try? JSONSerialization.jsonObject(with: $0.json) as? [String: Any]) ?? [:]) }
        }

        /// Waits until `condition` holds over what arrived (at most `seconds`): looked at again as
        /// each event arrives.
        func wait(seconds: Double = 20, _ condition: ([(name: String, data: [String: Any])]) -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
            // The only timer: the deadline, which wakes a wait that no event ends.
            let timeout = Task { [self] in
                try? await Task.sleep(until: deadline)
                wake()
            }
            defer { timeout.cancel() }
            while true {
                let seen = lock.withLock { events.count }
                if condition(received) { return true }
                if ContinuousClock.now >= deadline || lock.withLock({ ended }) { return false }
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    // An event that came since `seen` was counted: look again at once.
                    let ready = lock.withLock { () -> Bool in
                        if events.count > seen || ended || ContinuousClock.now >= deadline { return true }
                        waiters.append(waiter)
                        return false
                    }
                    if ready { waiter.resume() }
                }
            }
        }

        func close() { socket.close() }
    }

    static func worker() throws -> FunctionConfiguration {
        FunctionConfiguration(name: "watched", command: [try workerPath()], environment: [:], timeout: .seconds(5))
    }

    static func workerPath() throws -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("worker").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/worker").path
    }

    @Test("a burst of 3 as a viewer sees it: a snapshot first, 3 environments appearing then idle, 3 cold starts finished, the totals")
    func burst() async throws {
        try await withTestLab { lab in
            let port = try lab.startInvokeAPI()
            try lab.deploy(Self.worker())
            let viewer = try Viewer(port: port)
            defer { viewer.close() }
            let snapshotFirst = try await viewer.wait(seconds: 5) { $0.first?.name == "snapshot" }
            let names = viewer.received.map { $0.name }
            #expect(snapshotFirst, "\(names)")
            let results = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
                for _ in 0..<3 { group.addTask { try await lab.invoke("watched", payload: Array(#"{"hangMs":300}"#.utf8)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let requests = Set(results.map(\.requestID))
            let done = try await viewer.wait { events in
                let finished = events.filter { $0.name == "invocation" && $0.data["state"] as? String == "finished" }
                    .compactMap { $0.data["requestID"] as? String }
                return requests.isSubset(of: Set(finished))
                    && events.last { $0.name == "totals" }?.data["coldStarts"] as? Int == 3
            }
            #expect(done)
            let events = viewer.received
            let phases = Dictionary(grouping: events.filter { $0.name == "environment" && $0.data["functionName"] as? String == "watched" },
                                    by: { $0.data["environmentID"] as? String ?? "" }).mapValues { $0.compactMap { $0.data["phase"] as? String } }
            #expect(phases.count == 3, "\(phases)")
            // Seen every 50 ms: a quick Init may already be over at the first look.
            #expect(phases.values.allSatisfy { ["initializing", "invoking"].contains($0.first ?? "") && $0.last == "idle" }, "\(phases)")
            let cold = events.filter { $0.name == "invocation" && $0.data["state"] as? String == "finished" && $0.data["coldStart"] as? Bool == true }
            #expect(cold.count == 3 && cold.allSatisfy { ($0.data["initDurationMs"] as? Double ?? 0) > 0 })
        }
    }

    @Test("a late viewer starts from a snapshot of what is there; a throttle arrives as a throttle event with its Reason")
    func lateViewerAndThrottle() async throws {
        try await withTestLab { lab in
            let port = try lab.startInvokeAPI()
            try lab.deploy(Self.worker())
            _ = try await lab.invoke("watched")
            try lab.putReservedConcurrency("watched", 0)
            let viewer = try Viewer(port: port)
            defer { viewer.close() }
            let snapshotFirst = try await viewer.wait(seconds: 5) { $0.first?.name == "snapshot" }
            let names = viewer.received.map { $0.name }
            #expect(snapshotFirst, "\(names)")
            let snapshot = try #require(viewer.received.first?.data)
            let environments = snapshot["environments"] as? [[String: Any]] ?? []
            #expect(environments.contains { $0["functionName"] as? String == "watched" && $0["phase"] as? String == "idle" })
            #expect((snapshot["recent"] as? [[String: Any]] ?? []).count == 1)
            await #expect(throws: LabError.self) { try await lab.invoke("watched") }
            #expect(try await viewer.wait { $0.contains { $0.name == "throttle" && $0.data["reason"] as? String == "ReservedFunctionConcurrentInvocationLimitExceeded" } })
        }
    }

    /// The page as a real browser renders it: Debian's chromium, headless, opens it, a burst of 4
    /// runs, the lab stops — which ends the stream, and lets chromium print the page it drew.
    @Test("in chromium: a burst of 4 draws 4 environment rows that went idle, 4 invocation bars, and the run is finished",
          .enabled(if: Installed.onPath("chromium"), "chromium is not installed (apt install chromium)"))
    func inChromium() async throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("watch-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let (dom, requests) = try await withTestLab { lab -> (String, Set<String>) in
            let port = try lab.startInvokeAPI()
            try lab.deploy(Self.worker())
            let browser = Process()
            browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            browser.arguments = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                                 "--user-data-dir=\(profile.path)", "--virtual-time-budget=60000", "--dump-dom", "http://127.0.0.1:\(port)/"]
            let output = Pipe()
            browser.standardOutput = output
            browser.standardError = FileHandle.nullDevice
            try browser.run()
            // The DOM is read on its own thread as chromium prints it (a full pipe would stall it).
            let dom = Task.detached { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            defer { if browser.isRunning { browser.terminate() } }
            // Ready when chromium's page opens the event stream.
            let opened = await lab.waitForWatchers(1, within: .seconds(60))
            #expect(opened && lab.watchers == 1, "chromium never opened the event stream")
            let results = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
                for _ in 0..<4 { group.addTask { try await lab.invoke("watched", payload: Array(#"{"hangMs":300}"#.utf8)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The stream ends with the lab, which sends what changed since its last look first: chromium's virtual time runs out, and it prints the page.
            lab.shutdown()
            let printed = await dom.value
            return (printed, Set(results.map(\.requestID)))
        }
        let rows = dom.matches(of: #/data-environment="(env-\d+)"[^>]*/#).map { String($0.output.0) }
            .filter { $0.contains("data-phases=") }
        let idle = rows.filter { $0.range(of: #"data-phases="[^"]*\bidle\b"#, options: .regularExpression) != nil }
        #expect(idle.count == 4, "\(rows)")
        let bars = Set(dom.matches(of: #/data-request-id="([0-9a-f-]{36})"/#).map { String($0.output.1) })
        #expect(requests.isSubset(of: bars), "\(bars)")
        #expect(dom.contains("run finished"))
        #expect(dom.contains(#"data-total="coldStarts""#))
    }

    @Test("GET / is the page, with nothing fetched from elsewhere; nobody watching arms no timer")
    func page() async throws {
        try await withTestLab { lab in
            let port = try lab.startInvokeAPI()
            let timersBefore = lab.pendingTimers
            let client = try HTTPClient(hostPort: "127.0.0.1:\(port)")
            let page = try client.send(HTTPRequest(method: "GET", target: "/"))
            #expect(page.status == 200 && page.headers["Content-Type"]?.hasPrefix("text/html") == true)
            #expect(page.bodyText.contains("/lab/events"))
            #expect(!page.bodyText.contains("http://") && !page.bodyText.contains("https://"), "the page fetches nothing from outside")
            #expect(lab.pendingTimers == timersBefore)
        }
    }
}

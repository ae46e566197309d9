import Console
import Foundation
import LambdaLab
import Synchronization

/// A chapter's `--watch`: when its lab's Invoke API is up, the address of the lab's live page is
/// printed, and the chapter waits — for Enter, or for `--watch-seconds` — so the reader can open
/// it before the first step. A chapter that starts a fresh lab for a step prints the new address
/// and does not wait again.
enum Watching {
    private static let started = Mutex(false)

    static func start(seconds: Double?, toStandardError: Bool) {
        Lab.invokeAPIStarted.withLock { hook in
            hook = { port in
                let first = started.withLock { first in defer { first = true }; return !first }
                let url = "http://127.0.0.1:\(port)/"
                func say(_ text: String) {
                    if toStandardError { Console.error(text) } else { print(text) }
                }
                guard first else { return say("(a fresh lab for this step: watch it at \(url))") }
                // Without a terminal to press Enter in, a wait has an end: 10 s unless told.
                let wait = seconds ?? (isatty(STDIN_FILENO) == 1 ? nil : 10)
                say("Watch this run live: \(url) — " + (wait.map { "starting in \(Int($0)) s" } ?? "press Enter to start"))
                let go = DispatchSemaphore(value: 0)
                if wait == nil || isatty(STDIN_FILENO) == 1 {
                    Thread.detachNewThread {
                        _ = readLine()
                        go.signal()
                    }
                }
                if let wait { _ = go.wait(timeout: .now() + wait) } else { go.wait() }
            }
        }
    }
}

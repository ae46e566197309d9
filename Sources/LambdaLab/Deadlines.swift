import Foundation
import Synchronization
import Timing

/// Every timer of the lab (invocation and Init timeouts, idle checks, the Shutdown grace, the
/// modeled sandbox delay): one thread sleeping until the earliest deadline.
///
/// Why not `asyncAfter` per timer: arming a GCD timer on every invocation touches the timer
/// machinery (and may wake its threads) on the invoke path, in the middle of a burst. Here arming
/// is a heap insert; the thread is woken only when a new deadline is earlier than all others,
/// which in a burst is at most once. Deadlines that passed after their invocation finished are
/// simply found to have nothing to do.
final class Deadlines: Sendable {
    private struct Entry: Comparable {
        let at: Instant
        let token: UInt64
        let action: @Sendable () -> Void
        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
        static func == (a: Entry, b: Entry) -> Bool { a.at == b.at }
    }

    /// The heap, the tokens cancelled while still in it, and the next token. A cancelled entry stays
    /// in the heap until it is popped or the heap is compacted (when over half of it is cancelled),
    /// so memory stays proportional to the deadlines that can still fire.
    private let heap = Mutex<State>(State())

    private struct State {
        var entries: [Entry] = []
        /// Tokens in `entries` that may still fire, and those cancelled while still in `entries`.
        var live: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
        var next: UInt64 = 1
        var stopped = false
    }
    private let changed = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "lab deadlines"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Runs `action` once `delay` has passed (on the deadline thread; it must not block). Returns a
    /// token for `cancel`.
    @discardableResult
    func after(_ delay: Duration, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        let (earliest, token) = heap.withLock { heap -> (Bool, UInt64) in
            let entry = Entry(at: Clock.now + delay, token: heap.next, action: action)
            heap.next += 1
            heap.live.insert(entry.token)
            heap.entries.append(entry)
            siftUp(&heap.entries, from: heap.entries.count - 1)
            return (heap.entries[0].token == entry.token, entry.token)
        }
        if earliest { changed.signal() }
        return token
    }

    /// The deadline will not fire (if it has not yet).
    func cancel(_ token: UInt64) {
        heap.withLock { heap in
            // A deadline that already fired (or was cancelled) leaves nothing behind.
            guard heap.live.remove(token) != nil else { return }
            heap.cancelled.insert(token)
            guard heap.cancelled.count > 1_024, heap.cancelled.count * 2 > heap.entries.count else { return }
            let cancelled = heap.cancelled
            heap.entries.removeAll { cancelled.contains($0.token) }
            heap.cancelled.removeAll()
            for index in heap.entries.indices { siftUp(&heap.entries, from: index) }
        }
    }

    /// Deadlines that can still fire.
    var pending: Int { heap.withLock { $0.live.count } }

    func stop() {
        heap.withLock { $0.stopped = true }
        changed.signal()
    }

    private func run() {
        while true {
            let (due, next, stopped) = heap.withLock { heap -> ([Entry], Instant?, Bool) in
                var due: [Entry] = []
                while let first = heap.entries.first, first.at <= Clock.now {
                    let entry = popMin(&heap.entries)
                    if heap.cancelled.remove(entry.token) == nil {
                        heap.live.remove(entry.token)
                        due.append(entry)
                    }
                }
                return (due, heap.entries.first?.at, heap.stopped)
            }
            if stopped { return }
            for entry in due { entry.action() }
            if !due.isEmpty { continue }
            if let next {
                let wait = max(0, (next - Clock.now).milliseconds)
                _ = changed.wait(timeout: .now() + .microseconds(Int(wait * 1000) + 1))
            } else {
                changed.wait()
            }
        }
    }

    private func siftUp(_ entries: inout [Entry], from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private func popMin(_ entries: inout [Entry]) -> Entry {
        entries.swapAt(0, entries.count - 1)
        let min = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left] < entries[smallest] { smallest = left }
            if right < entries.count, entries[right] < entries[smallest] { smallest = right }
            if smallest == parent { return min }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

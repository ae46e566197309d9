import Foundation
import Synchronization
import Timing

/// Invocation timeouts: one thread sleeping until the earliest deadline.
///
/// Why not `asyncAfter` per invocation: arming a GCD timer on every invocation touches the timer
/// machinery (and may wake its threads) on the invoke path, in the middle of a burst. Here arming
/// is a heap insert; the thread is woken only when a new deadline is earlier than all others,
/// which in a burst is at most once. Deadlines that passed after their invocation finished are
/// simply found to have nothing to do.
final class Deadlines: Sendable {
    private struct Entry: Comparable {
        let at: Instant
        let action: @Sendable () -> Void
        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
        static func == (a: Entry, b: Entry) -> Bool { a.at == b.at }
    }

    private let heap = Mutex<(entries: [Entry], stopped: Bool)>(([], false))
    private let changed = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "lab deadlines"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Runs `action` once `delay` has passed (on the deadline thread; it must not block).
    func after(_ delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let entry = Entry(at: Clock.now + delay, action: action)
        let earliest = heap.withLock { heap -> Bool in
            heap.entries.append(entry)
            siftUp(&heap.entries)
            return heap.entries[0].at == entry.at
        }
        if earliest { changed.signal() }
    }

    func stop() {
        heap.withLock { $0.stopped = true }
        changed.signal()
    }

    private func run() {
        while true {
            let (due, next, stopped) = heap.withLock { heap -> ([Entry], Instant?, Bool) in
                var due: [Entry] = []
                while let first = heap.entries.first, first.at <= Clock.now { due.append(popMin(&heap.entries)) }
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

    private func siftUp(_ entries: inout [Entry]) {
        var child = entries.count - 1
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

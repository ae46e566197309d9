/// A timer of an `EventLoop`: its number, unique for the loop's life.
public struct LoopTimer: Hashable, Sendable {
    let value: UInt64
}

/// The loop's timers: a binary heap by deadline. Cancelling leaves the entry in the heap, marked,
/// until it is popped, or until cancelled entries are over half of the heap and it is compacted;
/// so arming and cancelling are O(log n) and memory stays proportional to the live timers.
struct TimerHeap {
    private struct Entry {
        let at: ContinuousClock.Instant
        let timer: LoopTimer
        let action: () -> Void
    }

    private var entries: [Entry] = []
    private var live: Set<LoopTimer> = []
    private var next: UInt64 = 1

    var pending: Int { live.count }

    mutating func reserve() -> LoopTimer {
        defer { next += 1 }
        return LoopTimer(value: next)
    }

    mutating func arm(_ timer: LoopTimer, at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) {
        live.insert(timer)
        entries.append(Entry(at: deadline, timer: timer, action: action))
        siftUp(from: entries.count - 1)
    }

    mutating func cancel(_ timer: LoopTimer) {
        guard live.remove(timer) != nil else { return }
        guard entries.count > 1_024, live.count * 2 < entries.count else { return }
        entries.removeAll { !live.contains($0.timer) }
        for index in entries.indices.reversed() { siftDown(from: index) }
    }

    /// The earliest deadline of a timer that may still fire.
    var nextDeadline: ContinuousClock.Instant? {
        mutating get {
            while let first = entries.first, !live.contains(first.timer) { _ = popMin() }
            return entries.first?.at
        }
    }

    /// Takes out every timer whose deadline has passed, earliest first, for the caller to run
    /// (outside this mutating call: an action may arm or cancel timers).
    mutating func takeDue(now: ContinuousClock.Instant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let first = entries.first, first.at <= now {
            let entry = popMin()
            if live.remove(entry.timer) != nil { due.append(entry.action) }
        }
        return due
    }

    private mutating func popMin() -> Entry {
        entries.swapAt(0, entries.count - 1)
        let min = entries.removeLast()
        if !entries.isEmpty { siftDown(from: 0) }
        return min
    }

    private mutating func siftUp(from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].at < entries[parent].at else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].at < entries[smallest].at { smallest = left }
            if right < entries.count, entries[right].at < entries[smallest].at { smallest = right }
            if smallest == parent { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

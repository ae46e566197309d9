import Foundation
import Synchronization

/// The threads that start execution environments: a few (one per CPU), working through a queue.
///
/// Why not a thread per cold start: a burst of 100 made 100 threads, which competed for the CPU and
/// the lab's lock with the environments they had already started and with the Invoke API's loop;
/// the last environment of the burst was spawned 240 ms after it was routed. Starting is short work
/// (an endpoint, a directory, `posix_spawn`), so one thread per CPU keeps up with what the CPUs can
/// initialise, and the burst's processes start in the order their invocations arrived.
final class Starters: Sendable {
    private let queue = Mutex<(jobs: [@Sendable () -> Void], next: Int, stopped: Bool)>(([], 0, false))
    private let available = DispatchSemaphore(value: 0)
    private let count: Int

    init(count: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)) {
        self.count = count
        for index in 0..<count {
            let thread = Thread { [self] in run() }
            thread.name = "lab starter \(index + 1)"
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
        available.signal()
    }

    /// The threads finish what is queued (a start that finds its environment shutting down gives
    /// it up at once), then end.
    func stop() {
        queue.withLock { $0.stopped = true }
        for _ in 0..<count { available.signal() }
    }

    private func run() {
        while true {
            available.wait()
            let job = queue.withLock { queue -> (@Sendable () -> Void)?? in
                guard queue.next < queue.jobs.count else { return queue.stopped ? .none : .some(nil) }
                defer {
                    queue.next += 1
                    // Drop the finished prefix now and then, so the queue does not grow for ever.
                    if queue.next == queue.jobs.count { queue.jobs.removeAll(keepingCapacity: true); queue.next = 0 }
                }
                return .some(queue.jobs[queue.next])
            }
            guard let job else { return }
            job?()
        }
    }
}

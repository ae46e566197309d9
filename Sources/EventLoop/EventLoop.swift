import CEventLoop
import Dispatch
import Glibc
import Synchronization

/// One thread that waits on many file descriptors at once (`epoll`) and runs, in turns, what became
/// ready: sockets, pipes, processes (pidfds), timers, and tasks other threads hand it.
///
/// Why one loop and not a thread per connection: the lab's data plane is many idle things (an
/// environment parked in `GET /next`, a kept-alive caller) and a few busy ones. Threads per idle
/// thing cost memory and, worse, wake-ups: every hop between threads is a cross-CPU wake on a
/// 2-core machine. On one loop, an invocation's hops — read the invoke, write the event, read the
/// response, write the answers — are function calls on one thread.
///
/// Threading contract: `execute`, `stop` and `inEventLoop` may be called from any thread; every
/// other method, and every handler, runs on the loop's own thread only. That is why this type is
/// `@unchecked Sendable`: the loop-only state is never touched from elsewhere.
public final class EventLoop: @unchecked Sendable {
    /// What a registered descriptor's owner does when the kernel says it is ready.
    public protocol Handler: AnyObject {
        /// `events` are epoll's bits (`EventLoop.readable`, `.writable`, `.hangUp`, `.error`).
        func ready(_ events: UInt32)
    }

    public static let readable = EPOLLIN.rawValue
    public static let writable = EPOLLOUT.rawValue
    public static let peerClosed = EPOLLRDHUP.rawValue
    public static let hangUp = EPOLLHUP.rawValue
    public static let error = EPOLLERR.rawValue
    public static let edgeTriggered = EPOLLET.rawValue

    public let name: String
    private let epoll: Int32
    /// An eventfd: written by `execute` and `stop` to wake the loop.
    private let wake: Int32
    private let tasks = Mutex<[@Sendable () -> Void]>([])
    private let stopped = Atomic<Bool>(false)
    private let ended = DispatchSemaphore(value: 0)
    private let thread = Mutex<pthread_t?>(nil)

    // Loop-only state.
    private var handlers: [Int32: any Handler] = [:]
    /// Descriptors handled before the others of a turn (see `register`).
    private var first: Set<Int32> = []
    private var timers = TimerHeap()
    private var turnEnd: [() -> Void] = []
    private var linger: Duration = .zero

    public init(name: String) throws {
        self.name = name
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw EventLoopError("epoll_create1") }
        wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wake >= 0 else { close(epoll); throw EventLoopError("eventfd") }
        var event = epoll_event(events: Self.readable, data: epoll_data_t(fd: wake))
        epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event)
    }

    deinit {
        close(wake)
        close(epoll)
    }

    /// Starts the loop on a thread of its own.
    public func start() {
        Threads.start(name: name) { [self] in
            thread.withLock { $0 = pthread_self() }
            run()
            ended.signal()
        }
    }

    /// Waits for the loop's thread to end after `stop()`; false if it still runs after `milliseconds`.
    public func waitUntilStopped(milliseconds: Int) -> Bool {
        guard ended.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        ended.signal()
        return true
    }

    /// Whether the caller is the loop's own thread.
    public var inEventLoop: Bool {
        guard let loop = thread.withLock({ $0 }) else { return false }
        return pthread_equal(loop, pthread_self()) != 0
    }

    /// Runs `task` on the loop, in its next turn (from any thread; never inline).
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let first = tasks.withLock { tasks -> Bool in
            tasks.append(task)
            return tasks.count == 1
        }
        // One wake per batch: a loop that has tasks waiting is already awake or about to be.
        if first { signal() }
    }

    /// Ends the loop after its current turn. Registered descriptors stay open: their owners close them.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        signal()
    }

    private func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(wake, &one, 8)
    }

    // MARK: Loop-only: descriptors

    /// Watches `fd` for `events` (epoll bits); `handler` is kept until `deregister`. `first`: in a
    /// turn, this descriptor is handled before the others that became ready with it — the lab's
    /// process output pipes, so that what a function printed before it answered is read before
    /// its answer is.
    public func register(_ fd: Int32, events: UInt32, handler: any Handler, first: Bool = false) throws {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { throw EventLoopError("epoll_ctl add", code: errno) }
        handlers[fd] = handler
        if first { self.first.insert(fd) }
    }

    /// Changes what `fd` is watched for.
    public func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd` and lets its handler go. Call before closing the descriptor.
    public func deregister(_ fd: Int32) {
        guard handlers.removeValue(forKey: fd) != nil else { return }
        first.remove(fd)
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
    }

    /// Descriptors watched now (the wake descriptor not counted).
    public var registeredCount: Int { handlers.count }

    // MARK: Loop-only: timers

    /// A timer's number, known before it is armed, so an owner can record it in the same step
    /// that decides to arm it.
    public func reserveTimer() -> LoopTimer { timers.reserve() }

    /// Runs `action` on the loop once `delay` has passed.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> LoopTimer {
        let timer = timers.reserve()
        timers.arm(timer, at: .now + delay, action)
        return timer
    }

    /// Arms a reserved timer.
    public func schedule(_ timer: LoopTimer, after delay: Duration, _ action: @escaping () -> Void) {
        timers.arm(timer, at: .now + delay, action)
    }

    /// The timer will not fire (if it has not yet).
    public func cancel(_ timer: LoopTimer) { timers.cancel(timer) }

    /// Timers armed and not yet fired or cancelled.
    public var pendingTimers: Int { timers.pending }

    // MARK: Loop-only: turns

    /// Runs `action` at the end of this turn, after every ready descriptor and task was handled.
    /// What arrives together is handled together: a burst of requests read in one turn is routed
    /// before any of it runs.
    public func atTurnEnd(_ action: @escaping () -> Void) { turnEnd.append(action) }

    /// Before this turn ends, waits up to `duration` for more to arrive (and handles it in the same
    /// turn). The longest request of a turn wins. See `HTTPServer`'s use.
    public func lingerThisTurn(_ duration: Duration) { linger = max(linger, duration) }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopped.load(ordering: .acquiring) {
            // Work left for the end of a turn (a timer's action asked for it) runs without waiting.
            let timeout = turnEnd.isEmpty ? timers.nextDeadline.map { max(.zero, $0 - .now) } : .zero
            let count = wait(&events, timeout: timeout)
            handle(&events, count: count)
            // Lingering: a bounded number of short waits for the rest of a burst.
            var rounds = 0
            while linger > .zero, rounds < 64, !stopped.load(ordering: .acquiring) {
                let wait = linger
                linger = .zero
                let more = self.wait(&events, timeout: wait)
                guard more > 0 else { break }
                handle(&events, count: more)
                rounds += 1
            }
            linger = .zero
            while !turnEnd.isEmpty {
                let actions = turnEnd
                turnEnd = []
                for action in actions { action() }
            }
            for action in timers.takeDue(now: .now) { action() }
        }
    }

    private func handle(_ events: inout [epoll_event], count: Int) {
        if !first.isEmpty {
            for index in 0..<count where first.contains(events[index].data.fd) {
                handlers[events[index].data.fd]?.ready(events[index].events)
            }
        }
        for index in 0..<count {
            let fd = events[index].data.fd
            if fd == wake {
                var value: UInt64 = 0
                _ = Glibc.read(wake, &value, 8)
                continue
            }
            if first.contains(fd) { continue }
            // A handler deregistered earlier in this turn is gone; its events are stale.
            handlers[fd]?.ready(events[index].events)
        }
        runTasks()
    }

    private func runTasks() {
        // Tasks added while these run wait for the next turn (their `execute` wakes the loop).
        let batch = tasks.withLock { tasks -> [@Sendable () -> Void] in
            defer { tasks = [] }
            return tasks
        }
        for task in batch { task() }
    }

    private func wait(_ events: inout [epoll_event], timeout: Duration?) -> Int {
        let count: Int32
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            count = epoll_pwait2(epoll, &events, Int32(events.count), &time, nil)
        } else {
            count = epoll_wait(epoll, &events, Int32(events.count), -1)
        }
        return max(0, Int(count))
    }
}

/// A failed system call of the loop itself.
public struct EventLoopError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

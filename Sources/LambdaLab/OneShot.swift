import Dispatch
import Synchronization

/// A value handed from one thread to another exactly once; the receiver blocks until it arrives.
/// Used where a connection thread must wait (a parked `GET /next`, a synchronous Invoke).
final class OneShot<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let arrived = DispatchSemaphore(value: 0)

    func fulfil(_ newValue: Value) {
        value.withLock { $0 = newValue }
        arrived.signal()
    }

    func wait() -> Value {
        arrived.wait()
        return value.withLock { $0! }
    }
}

/// A value only the lab's event loop reads and writes. `@unchecked Sendable` because the loop's
/// thread is its only user, which the compiler cannot see; that is the whole contract.
final class LoopOnly<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

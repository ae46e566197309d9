/// The invocations in flight, by request ID, with the counts the router reads kept as it goes, so
/// routing never scans the table.
struct InvocationTable {
    private var invocations: [RequestID: Invocation] = [:]
    private var perFunction: [String: Int] = [:]

    var count: Int { invocations.count }
    var isEmpty: Bool { invocations.isEmpty }
    var all: [Invocation] { Array(invocations.values) }

    subscript(id: RequestID) -> Invocation? { invocations[id] }

    func inFlight(function: String) -> Int { perFunction[function] ?? 0 }

    /// Invocations in flight for functions without reserved concurrency: the account's pool.
    func inFlightUnreserved(reservedFunctions: some Sequence<String>) -> Int {
        invocations.count - reservedFunctions.reduce(0) { $0 + inFlight(function: $1) }
    }

    mutating func add(_ invocation: Invocation) {
        invocations[invocation.id] = invocation
        perFunction[invocation.function, default: 0] += 1
    }

    /// Changes an invocation in place; nil if it is no longer in flight.
    @discardableResult
    func update<T>(_ id: RequestID, _ body: (Invocation) -> T) -> T? {
        invocations[id].map(body)
    }

    /// Takes the invocation out of flight: it is closed. Nil if it already was.
    @discardableResult
    mutating func close(_ id: RequestID) -> Invocation? {
        guard let invocation = invocations.removeValue(forKey: id) else { return nil }
        perFunction[invocation.function, default: 1] -= 1
        if perFunction[invocation.function] == 0 { perFunction[invocation.function] = nil }
        return invocation
    }

    mutating func closeAll() -> [Invocation] {
        defer { invocations = [:]; perFunction = [:] }
        return Array(invocations.values)
    }
}

import Foundation

/// The control plane's record of every function: `$LATEST`, its published versions, its aliases,
/// its reserved concurrency, its asynchronous-invocation settings. What the router asks of it —
/// which version a name and qualifier mean, and the limits that apply — is a lookup.
struct FunctionRegistry {
    struct Function {
        /// `$LATEST`.
        var latest: FunctionConfiguration
        var lastModified = Date()
        /// Published versions "1", "2", …: frozen copies of the configuration.
        var versions: [String: FunctionConfiguration] = [:]
        var lastVersion = 0
        var aliases: [String: AliasConfiguration] = [:]
        var reservedConcurrency: Int?

        /// The version a qualifier names: nil → $LATEST, a number → that version, else an alias.
        func resolve(_ qualifier: String?) -> (version: String, configuration: FunctionConfiguration)? {
            guard let qualifier, qualifier != "$LATEST" else { return ("$LATEST", latest) }
            if let configuration = versions[qualifier] { return (qualifier, configuration) }
            if let alias = aliases[qualifier], alias.functionVersion != qualifier { return resolve(alias.functionVersion) }
            return nil
        }

        /// Every code folder its configurations use.
        var codeFolders: Set<String> { Set(([latest] + Array(versions.values)).compactMap(\.code?.folder)) }
    }

    private(set) var functions: [String: Function] = [:]
    /// Functions with reserved concurrency: the account's pool is what they leave.
    private(set) var reservedFunctions: Set<String> = []
    private(set) var totalReserved = 0
    /// Asynchronous invocation settings, by function and qualifier ($LATEST when unqualified).
    var eventConfigs: [String: [String: EventInvokeConfig]] = [:]

    subscript(name: String) -> Function? {
        _read { yield functions[name] }
    }

    var names: [String] { functions.keys.sorted() }
    var count: Int { functions.count }

    /// Changes a function in place, keeping the reservation totals in step; throws `notFound`
    /// (the caller's error) if there is no such function.
    mutating func update<T>(_ name: String, notFound: LabError, _ body: (inout Function) throws -> T) throws -> T {
        guard var function = functions[name] else { throw notFound }
        let result = try body(&function)
        store(function, as: name)
        return result
    }

    /// Deploys `$LATEST`: a new function, or a new configuration for an existing one.
    mutating func deploy(_ configuration: FunctionConfiguration) {
        var function = functions[configuration.name] ?? Function(latest: configuration)
        function.latest = configuration
        function.lastModified = Date()
        store(function, as: configuration.name)
    }

    mutating func restore(_ function: Function, as name: String) { store(function, as: name) }

    @discardableResult
    mutating func remove(_ name: String) -> Function? {
        let removed = functions.removeValue(forKey: name)
        eventConfigs[name] = nil
        recount()
        return removed
    }

    private mutating func store(_ function: Function, as name: String) {
        let reservationChanged = functions[name]?.reservedConcurrency != function.reservedConcurrency
        functions[name] = function
        if reservationChanged { recount() }
    }

    private mutating func recount() {
        reservedFunctions = Set(functions.filter { $0.value.reservedConcurrency != nil }.keys)
        totalReserved = functions.values.compactMap(\.reservedConcurrency).reduce(0, +)
    }

    func eventConfig(_ name: String, qualifier: String?) -> EventInvokeConfig? {
        eventConfigs[name]?[qualifier ?? "$LATEST"]
    }
}

/// The stand-in database's modeled network latency, as every chapter reports it — modeled, never measured: a laptop has no database on another host,
/// so its latency is a named parameter every chapter prints beside the measured figures.
public struct ModeledDatabase: Codable, Sendable {
    public var dbHandshakeMs: Double
    public var dbQueryMs: Double
    public var note = "network latency of a database on another host; everything else is measured on this machine"

    public init(dbHandshakeMs: Double, dbQueryMs: Double) {
        self.dbHandshakeMs = dbHandshakeMs
        self.dbQueryMs = dbQueryMs
    }
}

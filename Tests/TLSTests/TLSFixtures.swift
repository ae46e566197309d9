import Foundation

/// What the HTTPS tests run outside Swift: `openssl` makes their certificates, `python3` runs the
/// TLS-terminating proxy in front of the lab's plain-HTTP Invoke API.
enum TLSTools {
    static func path(of tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first(where: FileManager.default.isExecutableFile(atPath:))
    }

    /// The ones not found on PATH, looked up once per process. The suite's trait skips every test
    /// when one is missing, and its comment names them, so a skipped test says why in the log.
    static let missing = ["openssl", "python3"].filter { path(of: $0) == nil }
    static var available: Bool { missing.isEmpty }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(of: tool)!)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("\(tool) \(arguments.joined(separator: " ")) failed: \(text)") }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder of self-signed certificates, removed at the end.
final class CertificateFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tls-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `<name>.pem` and `<name>.key`: a self-signed certificate for `commonName`, valid for `altNames`
    /// (e.g. "DNS:localhost,IP:127.0.0.1"). Returns the certificate's path.
    func make(_ name: String, commonName: String, altNames: String) throws -> String {
        let certificate = "\(path)/\(name).pem"
        try TLSTools.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(commonName)",
                                     "-addext", "subjectAltName=\(altNames)", "-keyout", "\(path)/\(name).key", "-out", certificate])
        return certificate
    }
}

/// A TLS-terminating proxy (Python's `ssl`) on 127.0.0.1: decrypts what it accepts and forwards
/// the bytes both ways to the lab's HTTP port. It logs one line per completed handshake, so a test
/// can tell its calls really came through it.
final class TLSProxy {
    let port: UInt16
    private let process = Process()
    private let handshakeLog: String
    /// Held open for the proxy's life: it exits when this closes, even if the test crashes.
    private let lifeline = Pipe()

    static let script = #"""
    import os, select, signal, socket, ssl, sys, threading
    # The test's threads block most signals, and a child inherits the mask: take the defaults back.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    certificate, key, upstream, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

    def watch_parent():
        # stdin is a pipe from the test: its end means the test is gone, however it ended.
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print(listener.getsockname()[1], flush=True)
    lock = threading.Lock()

    def serve(raw):
        try:
            tls = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            print("handshake failed:", error, file=sys.stderr, flush=True)
            raw.close()
            return
        with lock, open(log, "a") as file:
            file.write("handshake\n")
        plain = socket.create_connection(("127.0.0.1", upstream))
        # One thread per connection, reads and writes in turn: an SSL object is not safe for a
        # read in one thread and a write in another.
        try:
            while True:
                ready = [tls] if tls.pending() else select.select([tls, plain], [], [])[0]
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (plain if source is tls else tls).sendall(data)
        except OSError:
            pass
        finally:
            plain.close()
            tls.close()

    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()
    """#

    init(certificate: String, key: String, upstreamPort: UInt16, folder: String) throws {
        let script = folder + "/proxy.py"
        handshakeLog = folder + "/handshakes-\(UUID().uuidString).log"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: handshakeLog, contents: nil)
        process.executableURL = URL(fileURLWithPath: TLSTools.path(of: "python3")!)
        process.arguments = ["-u", script, certificate, key, String(upstreamPort), handshakeLog]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // The first line is the port the kernel chose; EOF instead means the script failed.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else { throw FixtureError("the TLS proxy did not start") }
            line.append(more)
        }
        guard let port = UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("the TLS proxy printed no port")
        }
        self.port = port
    }

    /// Handshakes it completed so far.
    var handshakes: Int {
        ((try? String(contentsOfFile: handshakeLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    deinit {
        // SIGKILL: the proxy may have inherited a mask that blocks SIGTERM before it could reset it.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

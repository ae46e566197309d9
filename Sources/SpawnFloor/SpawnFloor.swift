import Foundation
import Glibc

/// The cold-start floor: the least a Swift + Foundation runtime does before its Init ends — read
/// its environment, make its JSON coders, connect to `AWS_LAMBDA_RUNTIME_API` and send
/// `GET /next`. The benchmark starts it linked two ways (static and dynamic Swift stdlib) and times
/// spawn → `GET /next` received, the same span the lab reports as Init Duration.
public enum SpawnFloor {
    public static func run() -> Never {
        let api = ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"] ?? "127.0.0.1:9001"
        _ = try? JSONEncoder().encode(["ready": true])
        _ = JSONDecoder()
        let parts = api.split(separator: ":")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = (UInt16(parts.last ?? "") ?? 9001).bigEndian
        address.sin_addr.s_addr = inet_addr(String(parts.first ?? "127.0.0.1"))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { exit(1) }
        let request = Array("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: \(api)\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        // Wait, as an idle runtime does, until the benchmark ends us.
        var byte: UInt8 = 0
        while read(fd, &byte, 1) > 0 {}
        exit(0)
    }
}

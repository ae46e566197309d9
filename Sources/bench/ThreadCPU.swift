import Foundation
import Glibc

/// CPU time of this process's threads with a given name (user + system, from
/// `/proc/self/task/*/stat`): how much the lab's loop itself spends per invocation.
enum ThreadCPU {
    static func seconds(named name: String) -> Double {
        let (user, system) = split(named: name)
        return user + system
    }

    /// User and system seconds, apart.
    static func split(named name: String) -> (user: Double, system: Double) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return tasks.reduce((0.0, 0.0)) { total, task in
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return total }
            // Fields after the command: state is the first; utime and stime are the 12th and 13th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
            return (total.0 + user / ticks, total.1 + system / ticks)
        }
    }
}

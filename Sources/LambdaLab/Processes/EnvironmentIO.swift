import EventLoop
import HTTP

/// What an execution environment is made of outside the lab's state, all on the loop: its
/// process (and the pidfd that says when it ends), its output pipe, its Runtime API endpoint.
final class EnvironmentIO {
    let process: ChildProcess
    let output: ProcessOutput
    let endpoint: RuntimeEndpoint
    /// Its Init has ended: its first `GET /next` came.
    var initEnded = false
    /// How each of its Runtime API connections ended, by connection number: whether an event
    /// written to it can have been read.
    var connectionEndings: [Int: HTTPServer.Ending] = [:]

    init(process: ChildProcess, output: ProcessOutput, endpoint: RuntimeEndpoint) {
        self.process = process
        self.output = output
        self.endpoint = endpoint
    }

    /// Stops watching and releases every descriptor (on the loop).
    func close(loop: EventLoop) {
        endpoint.stop()
        output.close(loop: loop)
        process.stopWatching(loop: loop)
    }
}

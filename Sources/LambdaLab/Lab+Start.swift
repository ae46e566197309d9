import EventLoop
import Foundation
import Glibc
import HTTP
import Timing

/// Starting an execution environment: its Runtime API endpoint, its scratch directory, its
/// process — on a starter thread, since `posix_spawn` blocks until the child has exec'd — then
/// everything that watches it, on the loop. Init Duration starts at the spawn and ends at the
/// runtime's first `GET /next`.
extension Lab {
    /// Starts an environment, after the modeled sandbox delay if there is one (microVM creation
    /// and code download that a laptop does not have: waited on the loop, so a burst's delays run
    /// side by side, as on AWS, and outside Init Duration). From any thread.
    func launch(_ environment: Environment) {
        let delay = configuration.sandboxDelay
        guard delay > .zero else { return starters.enqueue { self.start(environment) } }
        loop.execute { [self] in
            loop.schedule(after: delay) { [self] in starters.enqueue { self.start(environment) } }
        }
    }

    /// On a starter thread.
    private func start(_ environment: Environment) {
        // This thread and the process it spawns yield to the lab's own threads (see
        // `LabConfiguration.environmentNiceness`); on Linux a thread's nice value is its own, and a
        // child inherits it from its first instruction.
        if let niceness = configuration.environmentNiceness { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        let id = environment.id
        do {
            let listener = try Socket.listen(port: 0)
            // One mkdir, under a parent made once: a burst of starts creating nested directories
            // contended on the parent directory's lock (a quarter of the lab's CPU at N = 100).
            guard mkdir(environment.scratchDirectory, 0o700) == 0 || errno == EEXIST else {
                throw LabError.service("cannot create \(environment.scratchDirectory): \(String(cString: strerror(errno)))")
            }
            let variables = environmentVariables(environment, runtimeAPIPort: listener.localPort)
            let output = try ProcessOutput()
            // The newest descriptors of this start: if they leave too few free, do not spawn.
            guard DescriptorHeadroom.leavesRoom(after: output.highestDescriptor) else {
                output.close(loop: nil)
                throw SocketError("start \(id) (descriptor headroom)", code: EMFILE)
            }
            guard state.withLock({ !$0.stopped && $0.pool[id]?.isShuttingDown == false }) else {
                output.close(loop: nil)
                return loop.execute { self.discard(id, type: "Runtime.ExitError", message: "Runtime exited without providing a reason") }
            }
            let spawnedAt = Clock.now
            let process = try ChildProcess.spawn(command: environment.configuration.command, environment: variables,
                                                 workingDirectory: environment.configuration.workingDirectory,
                                                 processGroup: watchdog.processGroup, output: output)
            loop.execute { self.attach(id, process: process, output: output, listener: listener, spawnedAt: spawnedAt) }
        } catch let error as SocketError where error.isResourceExhaustion {
            // The lab's own limit: the caller gets AWS's service error, and the function is not blamed.
            let message = "The lab could not start an execution environment (\(error)). Raise the open-file limit (ulimit -n) or send fewer concurrent invocations."
            loop.execute {
                self.emit(function: environment.function, environment: id, "[lab] \(message)", platform: true)
                self.discard(id, type: "ServiceException", message: message, serviceError: .service(message))
            }
        } catch {
            loop.execute { self.discard(id, type: "Runtime.InvalidEntrypoint", message: "\(error)") }
        }
    }

    /// The process is running: its endpoint, output and exit are watched on the loop from now on,
    /// and its Init is given its time limit (10 s on demand; chapters/aws-facts.md#init-phase).
    private func attach(_ id: EnvironmentID, process: ChildProcess, output: ProcessOutput, listener: Socket, spawnedAt: Instant) {
        let endpoint = RuntimeEndpoint(lab: self, environment: id, listener: listener)
        let environment = state.withLock { state -> Environment? in
            state.pool.update(id) { environment in
                environment.pid = process.pid
                environment.runtimeAPIPort = endpoint.port
                environment.spawnedAt = spawnedAt
            }
            guard let environment = state.pool[id] else { return nil }
            // An Init re-run inside its invocation: that invocation's Duration starts now.
            if environment.suppressedInit {
                for invocation in environment.invocations { state.invocations.update(invocation) { $0.startDuration(at: spawnedAt) } }
            }
            return environment
        }
        let io = EnvironmentIO(process: process, output: output, endpoint: endpoint)
        self.io.value[id] = io
        do {
            try process.watch(on: loop) { [weak self] exit in self?.processExited(id, exit) }
            try output.watch(on: loop) { [weak self] lines in self?.functionOutput(id, lines) }
            try endpoint.start()
        } catch {
            emit(function: environment?.function ?? "", environment: id, "[lab] cannot watch \(id): \(error)", platform: true)
            process.signal(SIGKILL)
        }
        guard let environment, !environment.isShuttingDown else {
            // Shut down (or forgotten) while it was being started: it goes now.
            process.signal(SIGKILL)
            return
        }
        // 10 s on demand; for provisioned concurrency and Managed Instances, 130 s or the function
        // timeout (at most 900 s), whichever is longer (chapters/aws-facts.md#init-phase).
        let limit = environment.suppressedInit ? environment.configuration.timeout
            : environment.initializationType == .onDemand ? configuration.initTimeout
            : max(.seconds(130), min(.seconds(900), environment.configuration.timeout))
        loop.schedule(after: limit) { [weak self] in self?.initTimedOut(id, limit: limit) }
    }

    /// The environment variables of an execution environment (chapters/aws-facts.md#environment-variables).
    func environmentVariables(_ environment: Environment, runtimeAPIPort: UInt16) -> [String: String] {
        var variables: [String: String] = ["TZ": ":UTC", "LANG": "en_US.UTF-8"]
        variables.merge(inheritedEnvironment) { _, new in new }
        let configuration = environment.configuration
        variables.merge(configuration.environment) { _, new in new }
        let taskRoot = configuration.workingDirectory ?? URL(fileURLWithPath: configuration.command[0]).deletingLastPathComponent().path
        var reserved: [String: String] = [
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(runtimeAPIPort)",
            "AWS_LAMBDA_FUNCTION_NAME": environment.function,
            "AWS_LAMBDA_FUNCTION_VERSION": environment.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(configuration.memorySizeMB),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(environment.function)",
            "AWS_LAMBDA_LOG_STREAM_NAME": environment.logStreamName,
            "AWS_LAMBDA_INITIALIZATION_TYPE": environment.initializationType.rawValue,
            "_HANDLER": configuration.handler,
            "AWS_REGION": self.configuration.region,
            "AWS_DEFAULT_REGION": self.configuration.region,
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": taskRoot,
            // The lab's stand-in for /tmp: one scratch directory per environment.
            "TMPDIR": environment.scratchDirectory,
            // Dummy credentials, so an AWS SDK inside a function can sign calls to the lab.
            "AWS_ACCESS_KEY_ID": "LABACCESSKEY", "AWS_SECRET_ACCESS_KEY": "lab-secret", "AWS_SESSION_TOKEN": "lab-session",
        ]
        // Several invocations at once in one environment: the runtime is told how many
        // (chapters/aws-facts.md#lambda-managed-instances).
        if environment.capacity > 1 || environment.initializationType == .lambdaManagedInstances {
            reserved["AWS_LAMBDA_MAX_CONCURRENCY"] = String(environment.capacity)
        }
        variables.merge(reserved) { _, new in new }
        // The lab's Invoke API, unless the function's configuration names an endpoint of its own
        // (as on AWS, where it is an ordinary variable): e.g. a TLS proxy in front of the lab.
        if let url = invokeEndpointURL, configuration.environment["AWS_ENDPOINT_URL_LAMBDA"] == nil {
            variables["AWS_ENDPOINT_URL_LAMBDA"] = url
        }
        return variables
    }
}

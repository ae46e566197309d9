import EventLoop
import Foundation
import Timing

/// Lambda Managed Instances' scaler: it looks at each version on a timer, never at an arrival
/// (chapters/aws-facts.md#lambda-managed-instances).
extension Lab {
    // MARK: The scaler

    /// Looks at a version: how full its environments were since the last look (the most invocations
    /// in flight; full, if any was throttled) and how much CPU they used; when either is over the
    /// target it adds environments — up to twice as many at a look, for traffic that doubles — and
    /// removes one after a quiet spell. On the loop.
    func scale(function: String, version: String) {
        let scaling = configuration.managedInstances
        let now = Clock.now
        // CPU time per environment, read outside the lock (a read of /proc per process).
        let ids = state.withLock { $0.pool.managed[function]?[version]?.ready } ?? []
        var cpu: [EnvironmentID: Duration] = [:]
        for id in ids { if let time = io.value[id]?.process.cpuTime() { cpu[id] = time } }
        let (toStart, toStop, timer) = state.withLock { state -> ([Environment], [EnvironmentID], LoopTimer?) in
            guard !state.stopped, var allocation = state.pool.managed[function]?[version],
                  let configuration = state.registry[function]?.versions[version], let managed = configuration.managedInstances else { return ([], [], nil) }
            let elapsed = max(.milliseconds(1), now - allocation.lastLook)
            let ready = allocation.ready.filter { state.pool[$0]?.isShuttingDown == false }
            let slots = ready.count * configuration.perEnvironmentConcurrency
            let inFlightNow = ready.reduce(0) { $0 + (state.pool[$1]?.invocations.count ?? 0) }
            // How full the slots were at their fullest; a throttle means they were full (how much
            // more was wanted cannot be told: a throttled call may come back many times).
            let fullest = Double(max(allocation.peakInFlight, inFlightNow)) / Double(max(1, slots))
            let saturation = allocation.throttles > 0 || slots == 0 ? 1 : min(1, fullest)
            let vCPUs = managed.vCPUs(memorySizeMB: configuration.memorySizeMB)
            let used = ready.compactMap { id -> Double? in
                guard let now = cpu[id], let before = allocation.cpuSeen[id] else { return nil }
                return (now - before).seconds / (elapsed.seconds * vCPUs)
            }
            let cpuUse = used.isEmpty ? 0 : min(1, used.reduce(0, +) / Double(used.count))
            let utilization = max(saturation, cpuUse)
            let environments = allocation.environmentIDs.count
            let target = scaling.targetUtilization
            var toStart: [Environment] = [], toStop: [EnvironmentID] = []
            func note(_ after: Int, _ reason: String) {
                allocation.history.append(ScalingEvent(afterMs: (now - allocation.publishedAt).milliseconds, environmentsBefore: environments,
                                                       environmentsAfter: after, saturation: saturation, cpu: cpuUse, reason: reason))
            }
            if utilization > target, environments == ready.count {
                let desired = allocation.bounded(Int((Double(max(1, ready.count)) * utilization / target).rounded(.up)))
                if desired > environments {
                    for _ in environments..<desired {
                        let environment = newEnvironment(function: function, version: version, configuration: configuration,
                                                         initializationType: .lambdaManagedInstances, in: &state)
                        allocation.environmentIDs.insert(environment.id)
                        toStart.append(environment)
                    }
                    note(desired, saturation >= cpuUse ? "environments full" : "CPU busy")
                }
                allocation.quietSince = nil
            } else if utilization < target / 2, environments > allocation.minimum {
                if let since = allocation.quietSince, now - since >= scaling.scaled(scaling.scaleDownAfter),
                   let surplus = Self.leastBusy(ready, in: state), state.pool[surplus]?.invocations.isEmpty == true {
                    allocation.environmentIDs.remove(surplus)
                    allocation.ready.remove(surplus)
                    toStop.append(surplus)
                    note(environments - 1, "quiet")
                    allocation.quietSince = now
                } else if allocation.quietSince == nil {
                    allocation.quietSince = now
                }
            } else {
                allocation.quietSince = nil
            }
            allocation.peakInFlight = inFlightNow
            allocation.throttles = 0
            allocation.lastLook = now
            allocation.cpuSeen = cpu
            let timer = loop.reserveTimer()
            allocation.scaler = timer
            state.pool.managed[function]?[version] = allocation
            return (toStart, toStop, timer)
        }
        for id in toStop { shutDown(id, reason: "scaled down") }
        if !toStart.isEmpty {
            // Placed after the modeled delay, then started for real (their Init is measured).
            loop.schedule(after: scaling.scaled(scaling.scaleUpDelay)) { [self] in
                for environment in toStart { launch(environment) }
            }
        }
        if let timer {
            loop.schedule(timer, after: scaling.scaled(scaling.interval)) { [weak self] in self?.scale(function: function, version: version) }
        }
    }
}

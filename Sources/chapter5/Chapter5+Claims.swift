import LambdaLab
import Timing
import Workbook

extension Chapter5 {
    static func claims(steps: [StepOutcome], waves: [Wave], asynchronous: Asynchronous, options: Options) -> [Claim] {
        let (r, k) = (options.reserved, options.excess)
        func step(_ name: String) -> StepOutcome { steps.first { $0.name == name }! }
        func reasons(_ step: StepOutcome) -> Set<String> { Set(step.everThrottled.flatMap(\.throttleReasons)) }
        var claims: [Claim] = []

        let reserved = step("reserved concurrency")
        claims.append(Claim("\(r + k) at once with reserved concurrency \(r): \(r) run, \(k) get 429 TooManyRequestsException with Reason ReservedFunctionConcurrentInvocationLimitExceeded",
                            holds: reserved.invocations.count == r && reserved.throttled.count == k
                                && reasons(reserved) == ["ReservedFunctionConcurrentInvocationLimitExceeded"],
                            evidence: "\(reserved.invocations.count) ran, \(reserved.throttled.count) throttled (\(reasons(reserved).sorted().joined(separator: ", ")))"))

        let retried = step("retry with backoff")
        let firstTry = retried.calls.filter { $0.attempts == 1 }, later = retried.calls.filter { $0.attempts > 1 }
        // With more throttled calls than environments, the retries compete with each other and the
        // SDK may give up on one after its 3 attempts: then success is not the claim to make.
        claims.append(Claim("Retried as the SDKs' standard mode does (at most 3 attempts, jittered exponential backoff), every call succeeds: \(r) on the first attempt, the \(k) throttled ones on a later one",
                            unless: k > r ? "with more throttled calls (\(k)) than environments (\(r)) the retries compete with each other, and the SDK may give up on a call after 3 attempts; read the attempts column" : nil,
                            holds: retried.calls.allSatisfy { $0.status == 200 } && firstTry.count == r && later.count == k,
                            evidence: "attempts: \(retried.calls.map { String($0.attempts) }.joined(separator: ", ")); latency p50 \(Summary(milliseconds: firstTry.map(\.latencyMs)).p50.twoDecimals) ms at the first attempt, \(Summary(milliseconds: later.map(\.latencyMs)).p50.twoDecimals) ms after retries (backoff p50 \(Summary(milliseconds: later.map(\.backoffMs)).p50.twoDecimals) ms)"))

        let account = step("account limit")
        let room = options.accountConcurrency - options.held - 1
        claims.append(Claim("Account limit \(options.accountConcurrency), \(options.held) reserved by another function, 1 taken by the orchestrator: the worker gets \(room); \(r + k) at once means \(max(0, r + k - room)) get 429 with Reason ConcurrentInvocationLimitExceeded",
                            unless: room >= r + k ? "the burst of \(r + k) fits in the \(room) executions left; raise --excess or --held" : nil,
                            holds: account.invocations.count == room && account.throttled.count == r + k - room
                                && reasons(account) == ["ConcurrentInvocationLimitExceeded"],
                            evidence: "\(account.invocations.count) ran, \(account.throttled.count) throttled (\(reasons(account).sorted().joined(separator: ", ")))"))

        let rate = ScalingRateFigures(options)
        let expected = (1...3).map { min(options.scalingBurst, rate.bucket * $0) }
        let scalingReasons = Set(steps.filter { $0.name.hasPrefix("scaling rate") }.flatMap { reasons($0) })
        // Each wave may start the bucket's environments, plus what refills while the wave arrives
        // (a busy machine spreads a wave's sends out); never more. Warm ones are all reused.
        var before = 0
        let wavesHold = waves.allSatisfy { wave in
            defer { before = wave.environments }
            let refilled = Int((wave.sendSpreadMs / rate.refillIntervalMs).rounded(.up))
            let allowed = min(options.scalingBurst - before, rate.bucket + refilled)
            let least = min(options.scalingBurst - before, rate.bucket)
            return wave.coldStarts >= least && wave.coldStarts <= allowed && wave.ran == before + wave.coldStarts
                && wave.ran + wave.throttled == options.scalingBurst
        }
        claims.append(Claim("At \(rate.description), waves of \(options.scalingBurst) run \(expected.map(String.init).joined(separator: ", ")) calls: each wave adds at most \(rate.bucket) environments (and what refills while it arrives), the rest get 429 with Reason FunctionInvocationRateLimitExceeded, and the function catches up",
                            unless: options.scalingBurst <= rate.bucket ? "a wave of \(options.scalingBurst) fits in the bucket of \(rate.bucket); raise --scaling-burst" : nil,
                            holds: wavesHold && waves.last?.ran == options.scalingBurst
                                && scalingReasons == (expected.contains { $0 < options.scalingBurst } ? ["FunctionInvocationRateLimitExceeded"] : []),
                            evidence: waves.map { "wave \($0.wave): \($0.ran) ran, \($0.throttled) throttled, \($0.environments) environments (sent over \($0.sendSpreadMs.twoDecimals) ms)" }.joined(separator: "; ")))

        let counts = asynchronous.counts
        let failing = asynchronous.events.first { $0.index == 0 }
        claims.append(Claim("Sent as events, all \(r + k) are accepted (202) and every one ends exactly once: \(r + k - 1) succeed, the failing one is sent to the on-failure destination, none is dropped",
                            holds: asynchronous.accepted == r + k && counts.accepted == r + k && counts.succeeded == r + k - 1
                                && counts.sentToDestination == 1 && counts.dropped == 0 && counts.queued == 0 && asynchronous.destinationRan == 1,
                            evidence: "accepted \(counts.accepted), succeeded \(counts.succeeded), sent to the destination \(counts.sentToDestination), dropped \(counts.dropped); the destination ran \(asynchronous.destinationRan)"))
        claims.append(Claim("The events a throttle turned away were queued and run later, not lost; the failing one ran 3 times (1 + 2 retries) before its record went to the destination",
                            holds: counts.retriedAfterThrottle >= 1 && failing?.invocations == 3 && failing?.condition == "RetriesExhausted"
                                && counts.retriedAfterError == 2,
                            evidence: "\(counts.retriedAfterThrottle) retries after throttles, \(counts.retriedAfterError) after errors; the failing event: \(failing?.invocations ?? 0) invocations, \(failing?.condition ?? "?")"))
        return claims
    }

    /// The scaled-down scaling rate, as the claims and the narrative say it.
    struct ScalingRateFigures {
        let bucket: Int
        let description: String
        /// One new environment's worth of refill.
        let refillIntervalMs: Double

        init(_ options: Options) {
            let rate = ScalingRate.aws(scaledDownBy: options.scaleFactor)
            bucket = rate.environments
            refillIntervalMs = rate.per.milliseconds / Double(rate.environments)
            description = "\(rate.environments) new environments per \(rate.per.milliseconds.twoDecimals) ms"
        }
    }
}

import Workbook

/// Which calls had to spill over, worked out from the records alone — each call's arrival, its
/// end, and whether a provisioned environment served it — never from the lab's spillover mark.
extension Chapter6 {
    struct SpilloverCheck: Codable, Sendable {
        /// Calls that arrived while all P provisioned environments were busy, each by more than
        /// `marginMs` at both ends: these had to spill over.
        var mustSpill: Int
        /// Calls that arrived within `marginMs` of a provisioned call's end, so that whether its
        /// environment was still busy is a matter of microseconds: either answer is right.
        var borderline: Int
        /// Calls the lab counted as spillover (ProvisionedConcurrencySpilloverInvocations).
        var counted: Int
        /// Counted calls that arrived while a provisioned environment was surely free: wrong.
        var countedWhileFree: Int
        /// Must-spill calls the lab did not count: wrong.
        var missed: Int
        var marginMs: Double

        var holds: Bool { countedWhileFree == 0 && missed == 0 }
    }

    /// For each call of `step`: the provisioned calls in flight when it arrived (arrived before
    /// it, not yet ended). A call arriving while `p` were in flight found every provisioned
    /// environment busy.
    static func spilloverCheck(_ step: StepOutcome, provisioned p: Int, marginMs: Double = 0.5) -> SpilloverCheck {
        let onProvisioned = step.invocations.filter(\.isProvisioned)
        func end(_ call: InvocationSummary) -> Double { call.handlerStartedAtMs + call.durationMs }
        var must = 0, borderline = 0, countedWhileFree = 0, missed = 0
        for call in step.invocations {
            let t = call.receivedAtMs
            let others = onProvisioned.filter { $0.requestID != call.requestID && $0.receivedAtMs <= t }
            let surelyBusy = others.filter { end($0) > t + marginMs }.count
            let maybeBusy = others.filter { end($0) > t - marginMs }.count
            let mustSpill = surelyBusy >= p, maySpill = maybeBusy >= p
            if mustSpill { must += 1 } else if maySpill { borderline += 1 }
            if call.spillover && !maySpill { countedWhileFree += 1 }
            if mustSpill && !call.spillover { missed += 1 }
        }
        return SpilloverCheck(mustSpill: must, borderline: borderline, counted: step.invocations.filter(\.spillover).count,
                              countedWhileFree: countedWhileFree, missed: missed, marginMs: marginMs)
    }

    /// The most calls of `step` in flight at once, from each call's arrival and end: a call
    /// holds its environment in between, so a pool never needs more environments than this.
    static func peakInFlight(_ step: StepOutcome, marginMs: Double = 0.5) -> Int {
        step.invocations.map { call in
            let t = call.receivedAtMs
            return step.invocations.filter { $0.receivedAtMs <= t && $0.handlerStartedAtMs + $0.durationMs > t - marginMs }.count
        }.max() ?? 0
    }
}

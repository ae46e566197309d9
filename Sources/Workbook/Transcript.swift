import Foundation
import Timing

/// What a chapter prints as it runs, and what it records for its Outcome: each step as it ends,
/// each claim right after the step that decides it. Quiet (`printing: false`) for `--json` and for
/// tests, which read the same steps and claims from the Outcome.
public final class Transcript {
    public let printing: Bool
    public private(set) var steps: [StepOutcome] = []
    public private(set) var claims: [Claim] = []

    public init(printing: Bool) {
        self.printing = printing
    }

    public func title(_ chapter: Int, _ title: String, question: String) {
        guard printing else { return }
        Narrative.title(chapter, title, question: question)
    }

    /// A heading for a part of the run that is not a step of its own.
    public func section(_ heading: String) {
        guard printing else { return }
        Narrative.section(heading)
    }

    /// A paragraph of the narrative, wrapped at the page width.
    public func say(_ text: String, indent: String = "") {
        guard printing else { return }
        print("")
        Narrative.paragraph(text, indent: indent)
    }

    /// Lines printed as they are (a table, a picture).
    public func show(_ text: String) {
        guard printing else { return }
        print("")
        print(text)
    }

    /// Records a step and prints it: its heading, what to expect, its CloudWatch lines (unless the
    /// reader has seen that shape already), its table, and a warning when its burst did not reach
    /// the lab at once.
    @discardableResult
    public func step(_ step: StepOutcome, _ expect: String, logs: Bool = true, burst: Bool = false) -> StepOutcome {
        steps.append(step)
        guard printing else { return step }
        Narrative.step(steps.count, step, expect: expect, showLogs: logs)
        if burst, !step.arrivedAtOnce { Narrative.arrival(step) }
        return step
    }

    /// Records a claim and prints its verdict and evidence.
    public func claim(_ statement: String, holds: Bool, evidence: String) {
        record(Claim(statement, holds: holds, evidence: evidence))
    }

    /// A claim checked only when `unless` is nil; otherwise "not applicable", with that reason.
    public func claim(_ statement: String, unless reason: String?, holds: @autoclosure () -> Bool, evidence: @autoclosure () -> String) {
        record(Claim(statement, unless: reason, holds: holds(), evidence: evidence()))
    }

    private func record(_ claim: Claim) {
        claims.append(claim)
        guard printing else { return }
        print("")
        Narrative.verdict(claim)
    }

    public func waterfall(_ step: StepOutcome) {
        guard printing else { return }
        Narrative.waterfall(step)
    }

    /// The run's table, its modeled cost, and how to read the figures.
    public func summary() {
        guard printing else { return }
        Narrative.summary(steps)
        Narrative.figures()
    }

    /// Every claim of the run again, one line each, and how many held.
    public func recap() {
        guard printing else { return }
        Narrative.recap(claims)
    }
}

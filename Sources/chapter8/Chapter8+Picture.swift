import Pictures
import Workbook

/// Chapter 8's picture: each step on its own time axis, one block per execution environment. On
/// Lambda's default a block is one row (one request at a time); on Managed Instances it has a row
/// per slot, so the requests an environment runs at once are drawn one above the other — each in
/// the lowest slot free when it started. Every width is a measured duration, to scale.
extension Chapter8 {
    static func picture(_ outcome: Outcome) -> String {
        var svg = SVGWriter(width: 960, height: 0)
        svg.text(outcome.pictureTitle, x: 10, y: 22, class: "title")
        svg.text("Measured in this run. Each step on its own time axis, from its first request's arrival; one block per execution environment, a row per request it ran at once.",
                 x: 10, y: 40, class: "small")
        var y = 56.0
        for (number, step) in outcome.steps.enumerated() {
            y = draw(step, number: number + 1, slots: number == 0 ? 1 : outcome.maxConcurrency, into: &svg, top: y) + 18
        }
        y = WaterfallPicture.drawLegend(into: &svg, x: 10, y: y, provisioned: false)
        svg.grow(toHeight: y + 8)
        return svg.document(title: outcome.pictureTitle)
    }

    /// One step: a heading, an axis, and a block per environment; returns the bottom.
    private static func draw(_ step: StepOutcome, number: Int, slots: Int, into svg: inout SVGWriter, top: Double) -> Double {
        let labelWidth = 70.0, right = svg.width - 20
        let end = step.invocations.map { $0.handlerStartedAtMs + $0.durationMs }.max() ?? 1
        let scale = (right - labelWidth) / max(end, 1)
        svg.open(class: "step", ["data-step": String(number), "data-title": step.name])
        svg.text("Step \(number) · \(step.name): \(step.invocations.count) invocations, \(step.environments) environments, \(step.coldStarts) cold starts",
                 x: 10, y: top + 14, class: "heading")
        var y = top + 24
        let row = slots == 1 ? max(3, min(8, 420 / Double(max(1, step.environments)))) : 3.0
        for tick in PictureStyle.ticks(upTo: end) {
            svg.line(x1: labelWidth + tick * scale, y1: y, x2: labelWidth + tick * scale, y2: y + 4, class: "grid")
            svg.text(PictureStyle.tickLabel(tick) + (tick == 0 ? "" : " ms"), x: labelWidth + tick * scale, y: y + 2, class: "small", anchor: .middle)
        }
        y += 8
        let byEnvironment = Dictionary(grouping: step.invocations, by: \.environmentID)
        for (environment, invocations) in byEnvironment.sorted(by: { $0.key.environmentNumber < $1.key.environmentNumber }) {
            // Each request in the lowest slot free when it started.
            var freeAt = [Double](repeating: -.infinity, count: slots)
            let placed = invocations.sorted { $0.handlerStartedAtMs < $1.handlerStartedAtMs }.map { invocation -> (InvocationSummary, Int) in
                let slot = freeAt.firstIndex { $0 <= invocation.handlerStartedAtMs } ?? (freeAt.indices.min { freeAt[$0] < freeAt[$1] } ?? 0)
                freeAt[slot] = invocation.handlerStartedAtMs + invocation.durationMs
                return (invocation, slot)
            }
            let used = (placed.map(\.1).max() ?? 0) + 1
            let height = Double(slots == 1 ? 1 : used) * row
            svg.open(class: "lane", ["data-environment": environment, "data-slots": String(slots), "data-most-at-once": String(used)])
            svg.text(environment, x: labelWidth - 6, y: y + min(height, 10) / 2 + 4, class: "small", anchor: .end)
            for (invocation, slot) in placed {
                let barY = y + Double(slots == 1 ? 0 : slot) * row
                var x = labelWidth + invocation.handlerStartedAtMs * scale
                if let initMs = invocation.initDurationMs {
                    svg.rect(x: x - initMs * scale, y: barY, width: initMs * scale, height: row - 0.5, class: "init",
                             attributes: [("data-request-id", invocation.requestID)], title: "\(environment): Init Duration \(SVGWriter.number(initMs)) ms")
                    x = labelWidth + invocation.handlerStartedAtMs * scale
                }
                svg.rect(x: x, y: barY, width: max(0.5, invocation.durationMs * scale), height: row - 0.5, class: "handler",
                         attributes: [("data-request-id", invocation.requestID)], title: "\(environment): Duration \(SVGWriter.number(invocation.durationMs)) ms")
            }
            svg.close()
            y += height + (slots == 1 ? 0 : 3)
        }
        svg.close()
        return y
    }
}

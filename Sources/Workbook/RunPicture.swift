import Pictures

/// The picture of a chapter's run (`--svg PATH`): the waterfall of every step, one row per
/// execution environment, and below it each step's latency distribution. Everything drawn was
/// measured in the run: the lab's times for the waterfall, the orchestrator's for the latencies.
public enum RunPicture {
    public static func document(title: String, steps: [StepOutcome]) -> String {
        // A step whose calls all ran elsewhere (events still queued, every call throttled) has
        // no bar to draw.
        let drawn = steps.filter { !$0.invocations.isEmpty }
        var svg = SVGWriter(width: 960, height: 0)
        svg.text(title, x: 10, y: 22, class: "title")
        svg.text("Measured in this run. One row per execution environment; each step on its own time axis, from its first request's arrival at the lab.",
                 x: 10, y: 40, class: "small")
        let left = steps.filter(\.invocations.isEmpty).map(\.name)
        if !left.isEmpty {
            svg.text("Not drawn (no invocation ran during the step): \(left.joined(separator: ", ")).", x: 10, y: 54, class: "small")
        }
        var y = waterfall(drawn).draw(into: &svg, top: 62)
        let provisioned = drawn.contains { $0.invocations.contains(where: \.isProvisioned) }
        y = WaterfallPicture.drawLegend(into: &svg, x: 10, y: y + 6, provisioned: provisioned)
        y = strips(drawn, width: svg.width).draw(into: &svg, top: y + 18)
        svg.grow(toHeight: y + 8)
        return svg.document(title: title)
    }

    public static func waterfall(_ steps: [StepOutcome]) -> WaterfallPicture {
        let all = steps.flatMap(\.invocations)
        let lanes = Set(all.map(\.environmentID)).sorted { $0.environmentNumber < $1.environmentNumber }
        let provisioned = Set(all.filter(\.isProvisioned).map(\.environmentID))
        let columns = steps.map { step in
            WaterfallPicture.Step(title: step.name, bars: step.invocations.map { invocation in
                let cold = invocation.coldStart && invocation.initDurationMs != nil
                return WaterfallPicture.Bar(lane: invocation.environmentID, requestID: invocation.requestID,
                                            arrivedMs: invocation.receivedAtMs,
                                            initStartMs: cold ? invocation.spawnedAtMs : nil, initMs: cold ? invocation.initDurationMs : nil,
                                            handlerStartMs: invocation.handlerStartedAtMs, handlerMs: invocation.durationMs)
            })
        }
        return WaterfallPicture(lanes: lanes, provisionedLanes: provisioned, steps: columns)
    }

    public static func strips(_ steps: [StepOutcome], width: Double = 960) -> LatencyStrips {
        LatencyStrips(strips: steps.map { step in
            LatencyStrips.Strip(title: step.name, points: step.invocations.compactMap { invocation in
                invocation.latencyMs.map { latency in
                    let kind: LatencyStrips.Kind = invocation.isProvisioned ? .provisioned : invocation.coldStart ? .cold : .warm
                    return LatencyStrips.Point(latencyMs: latency, kind: kind, requestID: invocation.requestID)
                }
            })
        }, width: width)
    }
}

extension InvocationSummary {
    /// Served by an environment that provisioned concurrency initialised ahead of time.
    public var isProvisioned: Bool { initializationType == .provisionedConcurrency }
}

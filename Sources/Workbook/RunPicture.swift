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
        // A run whose calls were throttled, retried or sent as events shows each call first, as its
        // caller saw it: what the environments' rows cannot show, since a refused call has none.
        let timeline = calls(steps, width: svg.width)
        svg.text(timeline == nil
                 ? "Measured in this run. One row per execution environment; each step on its own time axis, from its first request's arrival at the lab."
                 : "Measured in this run. First every call as the orchestrator saw it (events: as the lab's queue handled them), then the execution environments that ran them, then each call's latency.",
                 x: 10, y: 40, class: "small")
        let left = steps.filter(\.invocations.isEmpty).map(\.name)
        if !left.isEmpty {
            svg.text("Not drawn (no invocation ran during the step): \(left.joined(separator: ", ")).", x: 10, y: 54, class: "small")
        }
        var y = 62.0
        if let timeline {
            y = timeline.draw(into: &svg, top: y) + 14
            svg.text("Execution environments that ran them: one row per environment; each step on its own time axis, from its first request's arrival at the lab",
                     x: 10, y: y + 14, class: "heading")
            svg.text("A row is named as its lab names it: a chapter that starts a fresh lab for a step starts again from env-1 (the orchestrator).",
                     x: 10, y: y + 28, class: "small")
            y += 36
        }
        y = waterfall(drawn).draw(into: &svg, top: y)
        let provisioned = drawn.contains { $0.invocations.contains(where: \.isProvisioned) }
        y = WaterfallPicture.drawLegend(into: &svg, x: 10, y: y + 6, provisioned: provisioned)
        y = strips(drawn, width: svg.width).draw(into: &svg, top: y + 18)
        svg.grow(toHeight: y + 8)
        return svg.document(title: title, style: timeline == nil ? PictureStyle.css : PictureStyle.css + "\n" + CallTimeline.css)
    }

    /// Every call of every step as its caller saw it — each attempt, the backoff between, each 429
    /// marked with its Reason — and an asynchronous step's events as the lab's queue handled them.
    /// Nil when no call of the run was throttled, retried or sent as an event: then the waterfall
    /// tells the whole story.
    public static func calls(_ steps: [StepOutcome], width: Double = 960) -> CallTimeline? {
        let telling = steps.contains { step in step.events != nil || step.calls.contains { $0.status == 429 || $0.attempts > 1 } }
        guard telling else { return nil }
        let blocks = steps.enumerated().compactMap { index, step -> CallTimeline.Block? in
            if let events = step.events { return eventBlock(index + 1, step, events) }
            return step.calls.isEmpty ? nil : callBlock(index + 1, step)
        }
        return CallTimeline(heading: "Calls as the orchestrator saw them: one row per call, each step on its own time axis", blocks: blocks, width: width)
    }

    static func callBlock(_ number: Int, _ step: StepOutcome) -> CallTimeline.Block {
        var throttles: [String: Int] = [:]
        let rows = step.calls.map { call -> CallTimeline.Row in
            let attempts = call.attemptTimes
            var segments: [CallTimeline.Segment] = [], marks: [CallTimeline.Mark] = []
            for (index, attempt) in attempts.enumerated() {
                let number = index + 1
                if index > 0 {
                    let previousEnd = attempts[index - 1].sentAtMs + attempts[index - 1].latencyMs
                    let waited = max(0, attempt.sentAtMs - previousEnd)
                    segments.append(.init(startMs: previousEnd, ms: waited, kind: .backoff,
                                          title: "call \(call.index): backoff \(SVGWriter.number(waited)) ms before attempt \(number)"))
                }
                let kind: CallTimeline.Kind = switch attempt.status {
                case 429: .throttled
                case 200: call.report?.initDurationMs != nil ? .cold : .warm
                case 202: .accepted
                default: .failed
                }
                segments.append(.init(startMs: attempt.sentAtMs, ms: attempt.latencyMs, kind: kind,
                                      title: "call \(call.index), attempt \(number): \(attempt.status) after \(SVGWriter.number(attempt.latencyMs)) ms",
                                      requestID: number == attempts.count ? call.requestID : nil))
                if attempt.status == 429 {
                    let reason = attempt.reason ?? ""
                    throttles[reason, default: 0] += 1
                    marks.append(.init(atMs: attempt.sentAtMs, kind: .throttle, detail: reason,
                                       title: "call \(call.index), attempt \(number): 429 TooManyRequestsException, Reason \(reason), answered in \(SVGWriter.number(attempt.latencyMs)) ms"))
                }
            }
            return CallTimeline.Row(label: "call \(call.index)", segments: segments, marks: marks)
        }
        let ran = step.calls.filter { $0.status == 200 }.count, refused = step.calls.filter { $0.status == 429 }.count
        let retried = step.calls.filter { $0.attempts > 1 }
        var summary = "\(step.calls.count) calls: \(ran) answered 200, \(refused) ended 429"
        if !retried.isEmpty {
            summary += "; \(retried.count) retried, \(retried.map(\.attempts).reduce(0, +)) attempts between them"
        }
        let reasons = throttles.sorted { $0.key < $1.key }.map { "429 × \($0.value) · Reason: \($0.key)" }
        return CallTimeline.Block(title: "\(number) · \(step.name)", notes: [summary] + reasons,
                                  axis: "ms from the step's first call, on the orchestrator's clock", rows: rows)
    }

    /// An event's condition, and the function its record went to.
    static func ending(_ event: EventSummary) -> String {
        guard let destination = event.destination else { return event.condition }
        return event.condition + " → " + (destination.split(separator: ":").last.map(String.init) ?? destination)
    }

    static func eventBlock(_ number: Int, _ step: StepOutcome, _ events: [EventSummary]) -> CallTimeline.Block {
        let rows = events.map { event -> CallTimeline.Row in
            let runs = step.invocations.filter { $0.requestID == event.requestID }.sorted { $0.receivedAtMs < $1.receivedAtMs }
            let label = event.index.map { "event \($0)" } ?? "\(event.function) (record)"
            var segments: [CallTimeline.Segment] = [], retries: [CallTimeline.Mark] = []
            var queuedSince = event.acceptedAtMs
            for (index, run) in runs.enumerated() {
                if index > 0 {
                    retries.append(.init(atMs: run.receivedAtMs, kind: .retry, detail: "run \(index + 1)",
                                         title: "\(label): run \(index + 1), \(SVGWriter.number(run.receivedAtMs - event.acceptedAtMs)) ms after it was accepted"))
                }
                if run.receivedAtMs > queuedSince {
                    segments.append(.init(startMs: queuedSince, ms: run.receivedAtMs - queuedSince, kind: .queued,
                                          title: "\(label): queued \(SVGWriter.number(run.receivedAtMs - queuedSince)) ms before run \(index + 1)"))
                }
                let cold = run.coldStart && run.initDurationMs != nil
                let ready = cold ? (run.spawnedAtMs ?? run.handlerStartedAtMs) : run.handlerStartedAtMs
                if ready > run.receivedAtMs {
                    segments.append(.init(startMs: run.receivedAtMs, ms: ready - run.receivedAtMs, kind: .runWaiting,
                                          title: "\(label), run \(index + 1): waited \(SVGWriter.number(ready - run.receivedAtMs)) ms"))
                }
                if cold, let start = run.spawnedAtMs, let initMs = run.initDurationMs {
                    segments.append(.init(startMs: start, ms: initMs, kind: .runInit,
                                          title: "\(label), run \(index + 1): Init Duration \(SVGWriter.number(initMs)) ms"))
                }
                segments.append(.init(startMs: run.handlerStartedAtMs, ms: run.durationMs, kind: run.functionError == nil ? .runHandler : .runFailed,
                                      title: "\(label), run \(index + 1): Duration \(SVGWriter.number(run.durationMs)) ms" + (run.functionError.map { ", failed (\($0))" } ?? ""),
                                      requestID: run.requestID))
                queuedSince = run.handlerStartedAtMs + run.durationMs
            }
            if runs.isEmpty, event.endedAtMs > event.acceptedAtMs {
                segments.append(.init(startMs: event.acceptedAtMs, ms: event.endedAtMs - event.acceptedAtMs, kind: .queued,
                                      title: "\(label): queued \(SVGWriter.number(event.endedAtMs - event.acceptedAtMs)) ms, never run"))
            }
            let destination = ending(event)
            let marks: [CallTimeline.Mark] = retries + [
                .init(atMs: event.acceptedAtMs, kind: .accepted, detail: "202", title: "\(label): accepted (202)"),
                .init(atMs: event.endedAtMs, kind: event.condition == "Success" ? .succeeded : .ended, detail: event.condition,
                      title: "\(label): ended \(SVGWriter.number(event.endedAtMs - event.acceptedAtMs)) ms after it was accepted: \(destination)"),
            ]
            let note = destination + (runs.count > 1 ? " · ran \(runs.count) times" : "") + (event.throttles > 0 ? " · 429 × \(event.throttles) while queued" : "")
            return CallTimeline.Row(label: label, segments: segments, marks: marks, note: note)
        }
        let endings: [String: [EventSummary]] = Dictionary(grouping: events, by: ending)
        let tally = endings.keys.sorted().map { "\($0) × \(endings[$0]?.count ?? 0)" }
        let throttles = events.map(\.throttles).reduce(0, +)
        let called = events.filter { $0.index != nil }.count, records = events.count - called
        let notes = ["\(called) events accepted (202)" + (records > 0 ? " and \(records) destination record\(records == 1 ? "" : "s") sent by the queue" : "")
                        + "; the functions ran them \(step.invocations.count) times; a throttle sent one back to the queue \(throttles) times (the lab does not time those: counted in each row's note)",
                     "Endings: " + tally.joined(separator: ", ")]
        return CallTimeline.Block(title: "\(number) · \(step.name): events as the lab's queue handled them", notes: notes,
                                  axis: "ms from the first event's acceptance, on the lab's clock", rows: rows)
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
            // Events: what the caller waited for is the 202, not a run.
            if step.events != nil {
                return LatencyStrips.Strip(title: step.name, points: step.calls.filter { $0.status == 202 }.map {
                    LatencyStrips.Point(latencyMs: $0.latencyMs, kind: .accepted, requestID: $0.requestID)
                })
            }
            return LatencyStrips.Strip(title: step.name, points: step.invocations.compactMap { invocation in
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

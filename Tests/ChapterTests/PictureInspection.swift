import Foundation
import FoundationXML
import Testing
import Workbook

/// Reads a run's SVG back with FoundationXML and checks it against the run's own measurements:
/// the picture is only honest if each row is an environment of the run and each width is the
/// measured duration times the step's one scale.
struct PictureInspection {
    let document: XMLDocument

    init(_ svg: String) throws {
        document = try XMLDocument(xmlString: svg, options: [])
    }

    /// Elements by tag name and class (SVG's default namespace makes plain XPath names miss).
    func elements(_ tag: String, class name: String? = nil) throws -> [XMLElement] {
        try document.nodes(forXPath: "//*[local-name()='\(tag)']").compactMap { $0 as? XMLElement }
            .filter { name == nil || Self.attribute($0, "class") == name }
    }

    /// `attribute(forName:)` misses attributes under a default namespace on Linux; read the list.
    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    /// Checks the picture of `steps` and returns what it found, for chapter-specific checks.
    @discardableResult
    static func check(_ svg: String, steps: [StepOutcome]) throws -> PictureInspection {
        let picture = try PictureInspection(svg)
        let drawn = steps.filter { !$0.invocations.isEmpty }

        // One row per execution environment of the run, no more, no fewer.
        let lanes = try picture.elements("g", class: "lane").compactMap { attribute($0, "data-environment") }
        let environments = Set(drawn.flatMap(\.invocations).map(\.environmentID))
        #expect(lanes.count == environments.count)
        #expect(Set(lanes) == environments)

        // Provisioned rows are exactly the environments that served as provisioned concurrency.
        let provisioned = try picture.elements("g", class: "lane").filter { attribute($0, "data-provisioned") == "true" }
            .compactMap { attribute($0, "data-environment") }
        #expect(Set(provisioned) == Set(drawn.flatMap(\.invocations).filter(\.isProvisioned).map(\.environmentID)))

        // Each step's column has one scale; every handler and Init width is its measured duration
        // times that scale (to the 0.01 px the file is written with).
        let columns = try picture.elements("g", class: "step")
        #expect(columns.count == drawn.count)
        for (index, step) in drawn.enumerated() {
            let column = columns.first { attribute($0, "data-step") == String(index) }
            let scale = try #require(column.flatMap { attribute($0, "data-px-per-ms") }.flatMap(Double.init))
            #expect(scale > 0)
            // By request ID: every width drawn for it (an asynchronous event's runs share its ID).
            func widths(_ kind: String) throws -> [String: [Double]] {
                Dictionary(grouping: try picture.elements("rect", class: kind).filter { attribute($0, "data-step") == String(index) },
                           by: { attribute($0, "data-request") ?? "" })
                    .mapValues { $0.map { Double(attribute($0, "width") ?? "") ?? -1 }.sorted() }
            }
            func toScale(_ drawn: [Double]?, _ measured: [Double], _ what: String) {
                let measured = measured.sorted()
                #expect(drawn?.count == measured.count, "\(step.name) \(what): \(drawn?.count ?? 0) drawn, \(measured.count) measured")
                for (width, ms) in zip(drawn ?? [], measured) { #expect(abs(width - ms * scale) <= 0.011, "\(step.name) \(what)") }
            }
            let handlers = try widths("handler"), inits = try widths("init")
            #expect(handlers.values.map(\.count).reduce(0, +) == step.invocations.count)
            #expect(inits.values.map(\.count).reduce(0, +) == step.invocations.filter { $0.coldStart && $0.initDurationMs != nil }.count)
            for (request, invocations) in Dictionary(grouping: step.invocations, by: \.requestID) {
                toScale(handlers[request], invocations.map(\.durationMs), "\(request) handler")
                let cold = invocations.filter(\.coldStart).compactMap(\.initDurationMs)
                if !cold.isEmpty { toScale(inits[request], cold, "\(request) Init") }
            }
        }

        // Every step's heading is whole: its lines, joined, are "N · title" — wrapped, never cut.
        for (index, step) in drawn.enumerated() {
            let column = try #require(columns.first { attribute($0, "data-step") == String(index) })
            let heading = try picture.descendants(of: column, "text", class: "heading").map { $0.stringValue ?? "" }.joined(separator: " ")
            #expect(heading == "\(index + 1) · \(step.name)", "a step's title cut or changed: \(heading)")
        }

        // Cold starts are marked, once each; every measured latency is a dot in its step's strip
        // (for events, the caller's 202).
        let coldStarts = drawn.flatMap(\.invocations).filter { $0.coldStart && $0.initDurationMs != nil }.count
        #expect(try picture.elements("polygon", class: "cold-start").count == coldStarts + (coldStarts > 0 ? 1 : 0))  // + the legend's
        let strips = try picture.elements("g", class: "strip")
        #expect(strips.count == drawn.count)
        let dots = try picture.elements("circle").filter { attribute($0, "data-request") != nil }
        let latencies = drawn.map { $0.events != nil ? $0.calls.filter { $0.status == 202 }.count : $0.invocations.compactMap(\.latencyMs).count }
        #expect(dots.count == latencies.reduce(0, +))
        if try !picture.elements("g", class: "call-block").isEmpty { try picture.checkCalls(steps) }
        return picture
    }

    /// Elements under `element` by tag name and class.
    func descendants(of element: XMLElement, _ tag: String, class name: String? = nil) throws -> [XMLElement] {
        try element.nodes(forXPath: ".//*[local-name()='\(tag)']").compactMap { $0 as? XMLElement }
            .filter { name == nil || Self.attribute($0, "class") == name }
    }

    /// The marks of one kind the call timeline drew (not the legend's, which carry no figures).
    func marks(_ kind: String, in element: XMLElement? = nil) throws -> [XMLElement] {
        let all = try element.map { try descendants(of: $0, "polygon", class: kind) + descendants(of: $0, "rect", class: kind) }
            ?? (try elements("polygon", class: kind) + elements("rect", class: kind))
        return all.filter { Self.attribute($0, "data-detail") != nil }
    }

    /// The call timeline against the run: one block per step that has calls, in order; a row per
    /// call with each attempt's width its measured latency, each backoff its measured wait, each
    /// 429 marked once with its Reason; for events, a row per event with each run to scale, a mark
    /// for each retry, and its ending.
    func checkCalls(_ steps: [StepOutcome]) throws {
        let shown = steps.filter { $0.events != nil || !$0.calls.isEmpty }
        let blocks = try elements("g", class: "call-block")
        #expect(blocks.count == shown.count)
        for (index, step) in shown.enumerated() {
            let block = try #require(blocks.first { Self.attribute($0, "data-step") == String(index) })
            let scale = try #require(Self.attribute(block, "data-px-per-ms").flatMap(Double.init))
            let rows = try descendants(of: block, "g", class: "call-row")
            func width(_ element: XMLElement) -> Double { Double(Self.attribute(element, "width") ?? "") ?? -1 }
            func figure(_ element: XMLElement) -> Double { Double(Self.attribute(element, "data-ms") ?? "") ?? -1 }
            func toScale(_ elements: [XMLElement], _ what: String) {
                for element in elements { #expect(abs(width(element) - figure(element) * scale) <= 0.006, "\(step.name): \(what) not to scale") }
            }
            // The figures drawn are the run's, exactly (as sorted lists: rows are drawn in call order).
            func same(_ drawn: [XMLElement], _ measured: [Double], _ what: String) {
                let figures = drawn.map(figure).sorted(), expected = measured.sorted()
                #expect(figures.count == expected.count && zip(figures, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(step.name): \(what)")
            }
            if let events = step.events {
                #expect(rows.count == events.count)
                #expect(try marks("accepted", in: block).count == events.count)
                let endings = try marks("ending-success", in: block) + marks("ending-failed", in: block)
                #expect(endings.compactMap { Self.attribute($0, "data-detail") }.sorted() == events.map(\.condition).sorted())
                let runs = try descendants(of: block, "rect", class: "run-handler") + descendants(of: block, "rect", class: "run-failed")
                same(runs, step.invocations.map(\.durationMs), "each run's Duration")
                same(try descendants(of: block, "rect", class: "run-init"), step.invocations.filter(\.coldStart).compactMap(\.initDurationMs), "each run's Init")
                #expect(try marks("retry", in: block).count == events.map { event in max(0, step.invocations.filter { $0.requestID == event.requestID }.count - 1) }.reduce(0, +))
                for kind in ["run-handler", "run-failed", "run-init", "queued"] { toScale(try descendants(of: block, "rect", class: kind), kind) }
            } else {
                #expect(rows.count == step.calls.count)
                let attempts = step.calls.flatMap(\.attemptTimes)
                let drawn = try ["attempt-throttled", "attempt-cold", "attempt-warm", "attempt-accepted", "attempt-failed"].flatMap { try descendants(of: block, "rect", class: $0) }
                toScale(drawn, "an attempt")
                same(drawn, attempts.map(\.latencyMs), "each attempt's latency")
                // Each backoff is the wait between one attempt's answer and the next one's send.
                let backoffs = try descendants(of: block, "rect", class: "backoff")
                let waits = step.calls.flatMap { call in
                    zip(call.attemptTimes, call.attemptTimes.dropFirst()).map { max(0, $1.sentAtMs - ($0.sentAtMs + $0.latencyMs)) }
                }
                same(backoffs, waits, "each backoff")
                toScale(backoffs, "a backoff")
                // One 429 mark for each attempt that was throttled, carrying its Reason.
                let throttles = try marks("throttle", in: block).compactMap { Self.attribute($0, "data-detail") }
                #expect(throttles.sorted() == step.calls.flatMap(\.throttleReasons).sorted())
            }
        }
    }
}

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
            func widths(_ kind: String) throws -> [String: Double] {
                Dictionary(try picture.elements("rect", class: kind).filter { attribute($0, "data-step") == String(index) }
                    .map { (attribute($0, "data-request") ?? "", Double(attribute($0, "width") ?? "") ?? -1) },
                           uniquingKeysWith: { first, _ in first })
            }
            let handlers = try widths("handler"), inits = try widths("init")
            #expect(handlers.count == step.invocations.count)
            #expect(inits.count == step.invocations.filter { $0.coldStart && $0.initDurationMs != nil }.count)
            for invocation in step.invocations {
                let width = try #require(handlers[invocation.requestID])
                #expect(abs(width - invocation.durationMs * scale) <= 0.011, "\(step.name) \(invocation.requestID) handler")
                if let initMs = invocation.initDurationMs, invocation.coldStart {
                    let initWidth = try #require(inits[invocation.requestID])
                    #expect(abs(initWidth - initMs * scale) <= 0.011, "\(step.name) \(invocation.requestID) Init")
                }
            }
        }

        // Cold starts are marked, once each; every measured latency is a dot in its step's strip.
        let coldStarts = drawn.flatMap(\.invocations).filter { $0.coldStart && $0.initDurationMs != nil }.count
        #expect(try picture.elements("polygon", class: "cold-start").count == coldStarts + (coldStarts > 0 ? 1 : 0))  // + the legend's
        let strips = try picture.elements("g", class: "strip")
        #expect(strips.count == drawn.count)
        let dots = try picture.elements("circle").filter { attribute($0, "data-request") != nil }
        #expect(dots.count == drawn.flatMap(\.invocations).compactMap(\.latencyMs).count)
        return picture
    }
}

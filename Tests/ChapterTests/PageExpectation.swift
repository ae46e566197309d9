import Foundation
import Workbook

/// A "Try this" result a page promises, in a form a test can check against the run. On the page,
/// one line after the command, clauses separated by ";":
///
///     Expect: cold burst: 25 cold starts, 25 environments; warm burst: 0 cold starts.
///     Expect: cold burst wall < sequential wall; cold burst billed > 2 × sequential billed.
///
/// A count clause names a step, then exact counts: invocations, environments, cold starts,
/// throttles (calls that ended 429), spillover. A relation compares two steps' figures — wall,
/// billed, latency p50, Init Duration p50, Duration p50 — with an optional factor: timings only as
/// relations, never as milliseconds.
enum PageExpectation: Equatable, CustomStringConvertible {
    case count(step: String, metric: String, value: Int)
    case relation(left: String, leftMetric: String, isGreater: Bool, factor: Double, right: String, rightMetric: String)

    static let counts = ["invocations", "environments", "cold starts", "throttles", "spillover"]
    static let timings = ["wall", "billed", "latency p50", "Init Duration p50", "Duration p50"]

    var description: String {
        switch self {
        case .count(let step, let metric, let value): "\(step): \(value) \(metric)"
        case .relation(let left, let leftMetric, let isGreater, let factor, let right, let rightMetric):
            "\(left) \(leftMetric) \(isGreater ? ">" : "<") \(factor == 1 ? "" : "\(factor) × ")\(right) \(rightMetric)"
        }
    }

    struct ParseError: Error, CustomStringConvertible { let description: String }

    /// The clauses of one `Expect:` line (the text after it).
    static func parse(_ line: String) throws -> [PageExpectation] {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(".") { text.removeLast() }
        return try text.split(separator: ";").flatMap { try clause($0.trimmingCharacters(in: .whitespaces)) }
    }

    private static func clause(_ text: String) throws -> [PageExpectation] {
        if let colon = text.firstIndex(of: ":") {
            let step = String(text[..<colon])
            return try text[text.index(after: colon)...].split(separator: ",").map { part in
                let words = part.split(separator: " ")
                guard let first = words.first, let value = Int(first) else { throw ParseError(description: "not a count: '\(part)' in '\(text)'") }
                var metric = words.dropFirst().joined(separator: " ")
                // "1 environment", "1 cold start": the singular reads better and means the same.
                if !counts.contains(metric), counts.contains(metric + "s") { metric += "s" }
                guard counts.contains(metric) else { throw ParseError(description: "unknown count '\(metric)' in '\(text)'") }
                return .count(step: step, metric: metric, value: value)
            }
        }
        for (symbol, isGreater) in [(" > ", true), (" < ", false)] {
            guard let range = text.range(of: symbol) else { continue }
            let (left, leftMetric) = try figure(String(text[..<range.lowerBound]))
            var right = String(text[range.upperBound...])
            var factor = 1.0
            if let times = right.range(of: " × "), let number = Double(right[..<times.lowerBound]) {
                factor = number
                right = String(right[times.upperBound...])
            }
            let (rightStep, rightMetric) = try figure(right)
            return [.relation(left: left, leftMetric: leftMetric, isGreater: isGreater, factor: factor, right: rightStep, rightMetric: rightMetric)]
        }
        throw ParseError(description: "neither counts nor a relation: '\(text)'")
    }

    private static func figure(_ text: String) throws -> (step: String, metric: String) {
        guard let metric = timings.first(where: { text.hasSuffix(" " + $0) }) else { throw ParseError(description: "no timing in '\(text)'") }
        return (String(text.dropLast(metric.count + 1)), metric)
    }

    /// nil when the run shows what the page promised; otherwise what it showed instead.
    func check(_ steps: [StepOutcome]) -> String? {
        func step(_ name: String) -> StepOutcome? { steps.first { $0.name == name } }
        switch self {
        case .count(let name, let metric, let value):
            guard let step = step(name) else { return "no step '\(name)' (steps: \(steps.map(\.name)))" }
            let actual = switch metric {
            case "invocations": step.invocations.count
            case "environments": step.environments
            case "cold starts": step.coldStarts
            case "throttles": step.throttled.count
            default: step.invocations.filter(\.spillover).count
            }
            return actual == value ? nil : "\(self): the run had \(actual)"
        case .relation(let left, let leftMetric, let isGreater, let factor, let right, let rightMetric):
            guard let a = step(left), let b = step(right) else { return "no step '\(left)' or '\(right)' (steps: \(steps.map(\.name)))" }
            let x = Self.value(a, leftMetric), y = factor * Self.value(b, rightMetric)
            return (isGreater ? x > y : x < y) ? nil : "\(self): the run had \(x.twoDecimals) against \(y.twoDecimals)"
        }
    }

    private static func value(_ step: StepOutcome, _ metric: String) -> Double {
        switch metric {
        case "wall": step.wallMs
        case "billed": Double(step.billedTotalMs)
        case "latency p50": step.latency.p50
        case "Init Duration p50": step.initDurations.p50
        default: step.durations.p50
        }
    }
}

extension Double {
    fileprivate var twoDecimals: String { String(format: "%.2f", self) }
}

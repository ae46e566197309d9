import Foundation

/// The latency distribution of each step, as SVG: one strip per step, one dot per call at its
/// latency, coloured cold, warm or provisioned, with the median marked. The axis is logarithmic:
/// a cold start is often ten times a warm call, and a linear axis would crush the warm ones.
public struct LatencyStrips {
    public enum Kind: String { case cold, warm, provisioned, accepted }

    public struct Point {
        public var latencyMs: Double
        public var kind: Kind
        public var requestID: String

        public init(latencyMs: Double, kind: Kind, requestID: String) {
            self.latencyMs = latencyMs
            self.kind = kind
            self.requestID = requestID
        }
    }

    public struct Strip {
        public var title: String
        public var points: [Point]

        public init(title: String, points: [Point]) {
            self.title = title
            self.points = points
        }
    }

    public var strips: [Strip]
    public var width: Double

    public init(strips: [Strip], width: Double = 960) {
        self.strips = strips
        self.width = width
    }

    /// Whole decades around every latency.
    var range: (low: Double, high: Double) {
        let all = strips.flatMap(\.points).map(\.latencyMs).filter { $0 > 0 }
        let low = pow(10, log10(all.min() ?? 1).rounded(.down))
        let high = pow(10, log10(all.max() ?? 10).rounded(.up))
        return (low, max(high, low * 10))
    }

    /// x of a latency on the log axis between `left` and `right`.
    func x(_ ms: Double, left: Double, right: Double) -> Double {
        let (low, high) = range
        let fraction = (log10(max(ms, low)) - log10(low)) / (log10(high) - log10(low))
        return left + fraction * (right - left)
    }

    public func draw(into svg: inout SVGWriter, top: Double) -> Double {
        let labelWidth = Double(max(8, strips.map(\.title.count).max() ?? 0)) * 6.4 + 30
        let left = labelWidth, right = width - 20, rowHeight = 22.0
        svg.text("Latency of each call as the orchestrator measured it (log scale; the line is the median)", x: 10, y: top + 14, class: "heading")
        let plotTop = top + 26, plotBottom = plotTop + Double(strips.count) * rowHeight
        let (low, high) = range
        var decade = low
        while decade <= high * 1.0001 {
            for multiple in [1.0, 2, 5] where decade * multiple <= high * 1.0001 {
                let tickX = x(decade * multiple, left: left, right: right)
                svg.line(x1: tickX, y1: plotTop, x2: tickX, y2: plotBottom, class: "grid")
                svg.text(PictureStyle.tickLabel(decade * multiple), x: tickX, y: plotBottom + 13, class: "small", anchor: .middle)
            }
            decade *= 10
        }
        svg.text("ms", x: right, y: plotBottom + 26, class: "small", anchor: .end)
        svg.line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, class: "axis")
        for (index, strip) in strips.enumerated() {
            let y = plotTop + Double(index) * rowHeight + rowHeight / 2
            svg.open(class: "strip", ["data-step": String(index), "data-title": strip.title])
            svg.text(strip.title, x: labelWidth - 10, y: y + 4, anchor: .end)
            // Dots spread a little vertically, by index, so equal latencies stay countable.
            for (pointIndex, point) in strip.points.enumerated() {
                let jitter = Double(pointIndex % 5 - 2) * 2.2
                svg.circle(cx: x(point.latencyMs, left: left, right: right), cy: y + jitter, r: 2.6, class: point.kind.rawValue,
                           ["data-request": point.requestID, "data-ms": SVGWriter.number(point.latencyMs)],
                           title: "\(point.kind.rawValue) \(SVGWriter.number(point.latencyMs)) ms")
            }
            let sorted = strip.points.map(\.latencyMs).sorted()
            if !sorted.isEmpty {
                let median = sorted[(sorted.count - 1) / 2]
                let medianX = x(median, left: left, right: right)
                svg.line(x1: medianX, y1: y - 8, x2: medianX, y2: y + 8, class: "median")
            }
            svg.close()
        }
        var cursor = left
        let legendY = plotBottom + 30
        let kinds = Set(strips.flatMap(\.points).map(\.kind))
        for (kind, text) in [(Kind.cold, "cold start"), (.warm, "warm"), (.provisioned, "provisioned environment"), (.accepted, "event accepted (202), not yet run")]
            where kinds.contains(kind) {
            svg.circle(cx: cursor + 4, cy: legendY - 4, r: 3, class: kind.rawValue)
            svg.text(text, x: cursor + 12, y: legendY)
            cursor += 12 + Double(text.count) * 6.2 + 18
        }
        svg.grow(toHeight: legendY + 10)
        return legendY + 10
    }
}

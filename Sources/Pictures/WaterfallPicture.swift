/// A waterfall of a whole run, as SVG: one row (lane) per execution environment, one column per
/// step, each column with its own time axis from the step's first arrival. Within a column every
/// segment's width is proportional to the time it stands for (the tests check that), so a 2 ms
/// handler beside a 40 ms Init looks exactly that much smaller.
public struct WaterfallPicture {
    /// One invocation: when its request arrived, its Init (cold starts only), its handler.
    public struct Bar {
        public var lane: String
        public var requestID: String
        public var arrivedMs: Double
        /// When its process was spawned, for a cold start on this step's clock.
        public var initStartMs: Double?
        public var initMs: Double?
        public var handlerStartMs: Double
        public var handlerMs: Double

        public init(lane: String, requestID: String, arrivedMs: Double, initStartMs: Double?, initMs: Double?,
                    handlerStartMs: Double, handlerMs: Double) {
            self.lane = lane
            self.requestID = requestID
            self.arrivedMs = arrivedMs
            self.initStartMs = initStartMs
            self.initMs = initMs
            self.handlerStartMs = handlerStartMs
            self.handlerMs = handlerMs
        }

        var endMs: Double { handlerStartMs + handlerMs }
    }

    public struct Step {
        public var title: String
        public var bars: [Bar]

        public init(title: String, bars: [Bar]) {
            self.title = title
            self.bars = bars
        }

        /// The column's time span: the last handler's end (at least 1 ms, so an axis exists).
        public var spanMs: Double { max(1, bars.map(\.endMs).max() ?? 0) }
    }

    /// Lanes in the order given (environments in start order); provisioned ones are tinted.
    public var lanes: [String]
    public var provisionedLanes: Set<String>
    public var steps: [Step]
    public var width: Double

    public init(lanes: [String], provisionedLanes: Set<String> = [], steps: [Step], width: Double = 960) {
        self.lanes = lanes
        self.provisionedLanes = provisionedLanes
        self.steps = steps
        self.width = width
    }

    /// Row height shrinks with the number of lanes so 200 environments still fit on a page.
    var rowHeight: Double { lanes.count <= 24 ? 16 : lanes.count <= 60 ? 9 : 4 }
    var labelWidth: Double { Double(max(6, lanes.map(\.count).max() ?? 0)) * 7 + 24 }
    static let columnGap = 14.0

    func columnWidth() -> Double {
        let usable = width - labelWidth - 10 - Self.columnGap * Double(max(0, steps.count - 1))
        return max(110, usable / Double(max(1, steps.count)))
    }

    /// Draws the waterfall at `top`; returns the y below it.
    public func draw(into svg: inout SVGWriter, top: Double) -> Double {
        let row = rowHeight, columnWidth = columnWidth(), barHeight = max(3, row * 0.7)
        // Every heading whole, on as many lines as its column needs (the tallest sets the header).
        let headings = steps.enumerated().map { Self.heading("\($0.offset + 1) · \($0.element.title)", width: columnWidth) }
        let headerHeight = 30.0 + Self.headingLineHeight * Double((headings.map(\.count).max() ?? 1) - 1)
        let plotTop = top + headerHeight
        let plotHeight = Double(lanes.count) * row
        func columnX(_ index: Int) -> Double { labelWidth + Double(index) * (columnWidth + Self.columnGap) }
        svg.grow(toWidth: columnX(steps.count - 1) + columnWidth + 10)

        // Columns: title, axis and grid, marked with their scale so a reader (or a test) can
        // turn widths back into milliseconds.
        for (index, step) in steps.enumerated() {
            let x = columnX(index), scale = columnWidth / step.spanMs
            svg.open(class: "step", ["data-step": String(index), "data-title": step.title,
                                     "data-span-ms": SVGWriter.number(step.spanMs), "data-px-per-ms": String(scale)])
            for (line, text) in headings[index].enumerated() {
                svg.text(text, x: x, y: top + 14 + Self.headingLineHeight * Double(line), class: "heading")
            }
            for tick in PictureStyle.ticks(upTo: step.spanMs) {
                let tickX = x + tick * scale
                svg.line(x1: tickX, y1: plotTop - 4, x2: tickX, y2: plotTop + plotHeight, class: "grid")
                svg.text(PictureStyle.tickLabel(tick), x: tickX, y: plotTop + plotHeight + 13, class: "small",
                         anchor: tick == 0 ? .start : .middle)
            }
            svg.text("ms", x: x + columnWidth, y: plotTop + plotHeight + 26, class: "small", anchor: .end)
            svg.line(x1: x, y1: plotTop + plotHeight, x2: x + columnWidth, y2: plotTop + plotHeight, class: "axis")
            svg.close()
        }

        // Lanes: one per environment, its bars in every column it served.
        let showEvery = row >= 9 ? 1 : 10
        for (laneIndex, lane) in lanes.enumerated() {
            let y = plotTop + Double(laneIndex) * row
            let provisioned = provisionedLanes.contains(lane)
            svg.open(class: "lane", ["data-environment": lane, "data-provisioned": provisioned ? "true" : "false"])
            if provisioned {
                svg.rect(x: labelWidth - 4, y: y, width: columnX(steps.count - 1) + columnWidth - labelWidth + 4, height: row, class: "provisioned-lane")
            }
            if laneIndex % showEvery == 0 {
                svg.text(lane, x: labelWidth - 8, y: y + row / 2 + 4, class: row >= 9 ? "label" : "small", anchor: .end)
            }
            let barY = y + (row - barHeight) / 2
            for (index, step) in steps.enumerated() {
                let x = columnX(index), scale = columnWidth / step.spanMs
                for bar in step.bars where bar.lane == lane {
                    let attributes: KeyValuePairs<String, String> = ["data-step": String(index), "data-request": bar.requestID]
                    let readyAt = bar.initStartMs ?? bar.handlerStartMs
                    if readyAt > bar.arrivedMs {
                        svg.rect(x: x + bar.arrivedMs * scale, y: barY, width: (readyAt - bar.arrivedMs) * scale, height: barHeight,
                                 class: "waiting", attributes, title: "\(lane): waited \(SVGWriter.number(readyAt - bar.arrivedMs)) ms")
                    }
                    if let start = bar.initStartMs, let initMs = bar.initMs {
                        svg.rect(x: x + start * scale, y: barY, width: initMs * scale, height: barHeight, class: "init", attributes,
                                 title: "\(lane): Init Duration \(SVGWriter.number(initMs)) ms")
                        let markX = x + start * scale
                        svg.polygon([(markX, barY - 1), (markX - 3.5, barY - 6), (markX + 3.5, barY - 6)], class: "cold-start")
                    }
                    svg.rect(x: x + bar.handlerStartMs * scale, y: barY, width: bar.handlerMs * scale, height: barHeight,
                             class: "handler", attributes, title: "\(lane): Duration \(SVGWriter.number(bar.handlerMs)) ms")
                }
            }
            svg.close()
        }
        let bottom = plotTop + plotHeight + 34
        svg.grow(toHeight: bottom)
        return bottom
    }

    static let headingLineHeight = 13.0

    /// A heading broken into lines that fit its column (about 7 px a character), so neighbours
    /// never overlap and no title is cut short.
    static func heading(_ text: String, width: Double) -> [String] {
        PictureStyle.wrap(text, characters: Int(width / 7))
    }

    /// The key to the colours, in one line.
    public static func drawLegend(into svg: inout SVGWriter, x: Double, y: Double, provisioned: Bool) -> Double {
        var cursor = x
        func swatch(_ name: String, _ text: String) {
            svg.rect(x: cursor, y: y - 9, width: 14, height: 10, class: name)
            svg.text(text, x: cursor + 19, y: y)
            cursor += 19 + Double(text.count) * 6.2 + 18
        }
        swatch("waiting", "waiting (request arrived → start)")
        swatch("init", "Init (process start + init code)")
        swatch("handler", "handler (Duration)")
        svg.polygon([(cursor + 7, y), (cursor + 2, y - 8), (cursor + 12, y - 8)], class: "cold-start")
        svg.text("cold start", x: cursor + 19, y: y)
        cursor += 19 + 10 * 6.2 + 18
        if provisioned { swatch("provisioned-lane", "provisioned environment") }
        svg.grow(toHeight: y + 10)
        return y + 10
    }
}

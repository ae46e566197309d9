/// A line chart, as SVG: a few series over one x axis, with labelled vertical markers. Chapter 6
/// draws what an hour costs against utilization with it: two lines that cross at break-even.
public struct LineChart {
    public struct Series {
        public var name: String
        /// A class of `PictureStyle` (its colour).
        public var style: String
        public var points: [(x: Double, y: Double)]

        public init(name: String, style: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.style = style
            self.points = points
        }
    }

    public struct Marker {
        public var x: Double
        public var label: String

        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var markers: [Marker]
    /// How tick values read: e.g. "60 %" or "$0.02".
    public var formatX: (Double) -> String
    public var formatY: (Double) -> String
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, series: [Series], markers: [Marker] = [],
                formatX: @escaping (Double) -> String = PictureStyle.tickLabel, formatY: @escaping (Double) -> String = PictureStyle.tickLabel,
                width: Double = 960, height: Double = 300) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
        self.formatX = formatX
        self.formatY = formatY
        self.width = width
        self.height = height
    }

    public func draw(into svg: inout SVGWriter, top: Double) -> Double {
        let left = 80.0, right = width - 190, plotTop = top + 36, plotBottom = top + height - 40
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let xMax = xs.max() ?? 1, yMax = (series.flatMap { $0.points.map(\.y) }.max() ?? 1) * 1.05
        func px(_ x: Double) -> Double { left + x / max(xMax, 1e-12) * (right - left) }
        func py(_ y: Double) -> Double { plotBottom - y / max(yMax, 1e-12) * (plotBottom - plotTop) }
        svg.text(title, x: 10, y: top + 14, class: "heading")
        for tick in PictureStyle.ticks(upTo: yMax, count: 5) {
            svg.line(x1: left, y1: py(tick), x2: right, y2: py(tick), class: "grid")
            svg.text(formatY(tick), x: left - 6, y: py(tick) + 4, class: "small", anchor: .end)
        }
        for tick in PictureStyle.ticks(upTo: xMax, count: 10) {
            svg.line(x1: px(tick), y1: plotBottom, x2: px(tick), y2: plotBottom + 4, class: "axis")
            svg.text(formatX(tick), x: px(tick), y: plotBottom + 16, class: "small", anchor: .middle)
        }
        svg.line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, class: "axis")
        svg.line(x1: left, y1: plotTop, x2: left, y2: plotBottom, class: "axis")
        svg.text(xLabel, x: (left + right) / 2, y: plotBottom + 32, class: "small", anchor: .middle)
        svg.text(yLabel, x: left - 6, y: plotTop - 12, class: "small", anchor: .end)
        for (index, marker) in markers.enumerated() {
            svg.line(x1: px(marker.x), y1: plotTop, x2: px(marker.x), y2: plotBottom, class: "marker")
            svg.text(marker.label, x: px(marker.x) + 4, y: plotTop + 12 + Double(index) * 14, class: "small")
        }
        for (index, line) in series.enumerated() {
            svg.open(class: "series", ["data-name": line.name])
            svg.polyline(line.points.map { (px($0.x), py($0.y)) }, class: line.style)
            svg.close()
            let y = plotTop + 10 + Double(index) * 18
            svg.line(x1: right + 16, y1: y - 4, x2: right + 40, y2: y - 4, class: line.style)
            svg.text(line.name, x: right + 46, y: y)
        }
        svg.grow(toHeight: top + height)
        return top + height
    }
}

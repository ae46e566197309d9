/// Calls as their caller saw them, or events as a queue handled them, as SVG: one block per step,
/// one row per call (or event), each block on its own time axis. Within a block every segment's
/// width is the time it stands for times the block's one scale (`data-px-per-ms`), as in the
/// waterfall; what takes no visible time — a 429 answered in a fraction of a millisecond, an event
/// accepted — is also marked with a symbol of fixed size at the moment it happened, so it can be
/// seen and counted.
public struct CallTimeline {
    /// What a segment stands for; its class in the stylesheet.
    public enum Kind: String, Sendable, CaseIterable {
        /// An attempt answered 429 (throttled): its round trip.
        case throttled = "attempt-throttled"
        /// An attempt answered 200 by an environment that started for it, or by a warm one.
        case cold = "attempt-cold"
        case warm = "attempt-warm"
        /// An event accepted (202): the caller's whole wait.
        case accepted = "attempt-accepted"
        /// Any other answer.
        case failed = "attempt-failed"
        /// The caller's wait between two attempts (the SDK's backoff, as really waited).
        case backoff
        /// An event waiting in the queue: before its first run, or between runs.
        case queued
        /// One run of an event, as the waterfall draws an invocation.
        case runWaiting = "run-waiting"
        case runInit = "run-init"
        case runHandler = "run-handler"
        case runFailed = "run-failed"
    }

    public struct Segment {
        public var startMs: Double
        public var ms: Double
        public var kind: Kind
        public var title: String
        public var requestID: String?

        public init(startMs: Double, ms: Double, kind: Kind, title: String, requestID: String? = nil) {
            self.startMs = startMs
            self.ms = ms
            self.kind = kind
            self.title = title
            self.requestID = requestID
        }
    }

    /// Something that happened at one moment, drawn at fixed size.
    public struct Mark {
        public enum Kind: String, Sendable {
            /// A 429: `detail` is its Reason.
            case throttle
            /// An event accepted (202).
            case accepted
            /// An event run again: a retry after a function error, or after a throttle.
            case retry
            /// An event's ending: `detail` is its condition.
            case succeeded = "ending-success"
            case ended = "ending-failed"
        }

        public var atMs: Double
        public var kind: Kind
        public var detail: String
        public var title: String

        public init(atMs: Double, kind: Kind, detail: String, title: String) {
            self.atMs = atMs
            self.kind = kind
            self.detail = detail
            self.title = title
        }
    }

    public struct Row {
        public var label: String
        public var segments: [Segment]
        public var marks: [Mark]
        /// Printed after the plot, in the block's note column.
        public var note: String?

        public init(label: String, segments: [Segment], marks: [Mark] = [], note: String? = nil) {
            self.label = label
            self.segments = segments
            self.marks = marks
            self.note = note
        }

        var endMs: Double { max(segments.map { $0.startMs + $0.ms }.max() ?? 0, marks.map(\.atMs).max() ?? 0) }
    }

    public struct Block {
        /// The step's number and name, as the transcript heads it.
        public var title: String
        /// Lines under the title: what the rows add up to, the throttles' reasons.
        public var notes: [String]
        /// What the time axis counts from, and whose clock.
        public var axis: String
        public var rows: [Row]

        public init(title: String, notes: [String], axis: String, rows: [Row]) {
            self.title = title
            self.notes = notes
            self.axis = axis
            self.rows = rows
        }

        /// The block's time span: its last segment's end or mark (at least 1 ms, so an axis exists).
        public var spanMs: Double { max(1, rows.map(\.endMs).max() ?? 0) }
    }

    public var heading: String
    public var blocks: [Block]
    public var width: Double

    public init(heading: String, blocks: [Block], width: Double = 960) {
        self.heading = heading
        self.blocks = blocks
        self.width = width
    }

    /// The colours of what only this picture draws (the rest is `PictureStyle.css`); written into
    /// a document only when it has a call timeline, so other pictures stay as they were.
    public static let css = """
        .attempt-throttled{fill:#c2185b}
        .attempt-cold{fill:#e8923a}
        .attempt-warm{fill:#2f6db5}
        .attempt-accepted{fill:#555555}
        .attempt-failed{fill:#7b241c}
        .backoff{fill:#c2185b;fill-opacity:0.25}
        .queued{fill:#f2d7e3}
        .run-waiting{fill:#cfcfcf}
        .run-init{fill:#e8923a}
        .run-handler{fill:#2f6db5}
        .run-failed{fill:#7b241c}
        .throttle{fill:#c2185b;stroke:#ffffff;stroke-width:0.5}
        .accepted{fill:#333333}
        .retry{fill:#7b241c}
        .ending-success{fill:#3f9a4a}
        .ending-failed{fill:#7b241c}
        .call-label{font-size:10px;fill:#333333}
        """

    static let characterWidth = 6.2

    /// Draws every block at `top`, one under another; returns the y below the last, legend included.
    public func draw(into svg: inout SVGWriter, top: Double) -> Double {
        var y = top
        svg.text(heading, x: 10, y: y + 14, class: "heading")
        y += 22
        for (index, block) in blocks.enumerated() {
            y = draw(block, index: index, into: &svg, top: y + 8)
        }
        y = legend(into: &svg, top: y + 6)
        svg.grow(toHeight: y)
        return y
    }

    private func draw(_ block: Block, index: Int, into svg: inout SVGWriter, top: Double) -> Double {
        let rows = block.rows
        let row = rows.count <= 12 ? 14.0 : rows.count <= 30 ? 10 : 7
        let barHeight = max(3, row * 0.6)
        let labelWidth = Double(max(7, rows.map(\.label.count).max() ?? 0)) * Self.characterWidth + 16
        let notes = rows.compactMap(\.note)
        let noteWidth = notes.isEmpty ? 0 : Double(notes.map(\.count).max() ?? 0) * 5.6 + 14
        let left = labelWidth, right = width - 10 - noteWidth
        let span = block.spanMs, scale = (right - left) / span
        var y = top
        svg.open(class: "call-block", ["data-step": String(index), "data-title": block.title,
                                       "data-span-ms": SVGWriter.number(span), "data-px-per-ms": String(scale)])
        // The title and its notes whole, wrapped to the picture's width.
        for line in PictureStyle.wrap(block.title, characters: Int((width - 20) / 7)) {
            svg.text(line, x: 10, y: y + 12, class: "heading")
            y += 14
        }
        for note in block.notes {
            for line in PictureStyle.wrap(note, characters: Int((width - 20) / 5.6)) {
                svg.text(line, x: 10, y: y + 11, class: "small")
                y += 12
            }
        }
        let plotTop = y + 6, plotHeight = Double(rows.count) * row
        for tick in PictureStyle.ticks(upTo: span, count: 8) {
            let tickX = left + tick * scale
            svg.line(x1: tickX, y1: plotTop - 2, x2: tickX, y2: plotTop + plotHeight, class: "grid")
            svg.text(PictureStyle.tickLabel(tick), x: tickX, y: plotTop + plotHeight + 12, class: "small", anchor: tick == 0 ? .start : .middle)
        }
        svg.line(x1: left, y1: plotTop + plotHeight, x2: right, y2: plotTop + plotHeight, class: "axis")
        svg.text(block.axis, x: right, y: plotTop + plotHeight + 24, class: "small", anchor: .end)
        for (rowIndex, content) in rows.enumerated() {
            let rowY = plotTop + Double(rowIndex) * row
            let middle = rowY + row / 2
            svg.open(class: "call-row", ["data-label": content.label])
            svg.text(content.label, x: labelWidth - 8, y: middle + 3.5, class: "call-label", anchor: .end)
            for segment in content.segments {
                // A wait is drawn thinner than what runs, so the eye follows the work.
                let thin = segment.kind == .backoff || segment.kind == .queued
                let height = thin ? max(2, barHeight * 0.5) : barHeight
                // The figure in full, so a reader (or a test) can check the width against it.
                var attributes = [("data-ms", String(segment.ms))]
                if let request = segment.requestID { attributes.append(("data-request", request)) }
                svg.rect(x: left + segment.startMs * scale, y: middle - height / 2, width: segment.ms * scale, height: height,
                         class: segment.kind.rawValue, attributes: attributes, title: segment.title)
            }
            for mark in content.marks {
                let x = left + mark.atMs * scale, size = min(4.5, row * 0.4)
                let attributes = [("data-ms", SVGWriter.number(mark.atMs)), ("data-detail", mark.detail)]
                switch mark.kind {
                case .throttle:
                    svg.polygon([(x, middle - size), (x + size, middle), (x, middle + size), (x - size, middle)], class: mark.kind.rawValue,
                                attributes: attributes, title: mark.title)
                case .accepted:
                    svg.polygon([(x, middle - size), (x + size * 1.2, middle), (x, middle + size)], class: mark.kind.rawValue,
                                attributes: attributes, title: mark.title)
                case .retry:
                    svg.polygon([(x - size, middle - size), (x + size, middle - size), (x, middle + size)], class: mark.kind.rawValue,
                                attributes: attributes, title: mark.title)
                case .succeeded, .ended:
                    svg.rect(x: x - size * 0.8, y: middle - size * 0.8, width: size * 1.6, height: size * 1.6, class: mark.kind.rawValue,
                             attributes: attributes, title: mark.title)
                }
            }
            if let note = content.note {
                svg.text(note, x: right + 10, y: middle + 3.5, class: "call-label")
            }
            svg.close()
        }
        svg.close()
        let bottom = plotTop + plotHeight + 30
        svg.grow(toHeight: bottom)
        return bottom
    }

    /// The key to what this picture drew, in as many lines as it needs.
    private func legend(into svg: inout SVGWriter, top: Double) -> Double {
        let kinds = Set(blocks.flatMap { $0.rows.flatMap { $0.segments.map(\.kind) } })
        let marks = Set(blocks.flatMap { $0.rows.flatMap { $0.marks.map(\.kind) } })
        var items: [(draw: (inout SVGWriter, Double, Double) -> Void, text: String)] = []
        func swatch(_ kind: Kind, _ text: String) {
            guard kinds.contains(kind) else { return }
            items.append(({ svg, x, y in svg.rect(x: x, y: y - 9, width: 14, height: 10, class: kind.rawValue) }, text))
        }
        if marks.contains(.throttle) {
            items.append(({ svg, x, y in
                svg.polygon([(x + 7, y - 10), (x + 12, y - 5), (x + 7, y), (x + 2, y - 5)], class: "throttle")
            }, "429 TooManyRequestsException (its Reason in the step's notes)"))
        }
        swatch(.throttled, "a 429 attempt's round trip")
        swatch(.backoff, "backoff before the next attempt (as waited)")
        swatch(.cold, "answered 200, cold start")
        swatch(.warm, "answered 200, warm")
        swatch(.failed, "failed")
        if marks.contains(.accepted) {
            items.append(({ svg, x, y in svg.polygon([(x + 3, y - 10), (x + 11, y - 5), (x + 3, y)], class: "accepted") }, "202: event accepted"))
        }
        swatch(.queued, "event queued (waiting for a run or a retry)")
        if marks.contains(.retry) {
            items.append(({ svg, x, y in svg.polygon([(x + 2, y - 9), (x + 12, y - 9), (x + 7, y)], class: "retry") }, "event run again (a retry)"))
        }
        swatch(.runInit, "run: Init")
        swatch(.runHandler, "run: handler")
        swatch(.runFailed, "run: handler failed")
        if marks.contains(.succeeded) {
            items.append(({ svg, x, y in svg.rect(x: x + 3, y: y - 8, width: 7, height: 7, class: "ending-success") }, "event ended: Success"))
        }
        if marks.contains(.ended) {
            items.append(({ svg, x, y in svg.rect(x: x + 3, y: y - 8, width: 7, height: 7, class: "ending-failed") }, "event ended otherwise (condition in its note)"))
        }
        var x = 10.0, y = top + 12
        for item in items {
            let itemWidth = 19 + Double(item.text.count) * Self.characterWidth + 18
            if x + itemWidth > width - 10, x > 10 {
                x = 10
                y += 16
            }
            item.draw(&svg, x, y)
            svg.text(item.text, x: x + 19, y: y)
            x += itemWidth
        }
        svg.grow(toHeight: y + 10)
        return y + 10
    }
}

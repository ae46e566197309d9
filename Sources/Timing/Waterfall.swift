import Foundation
/// A text waterfall: one row per execution environment, time running left to right, drawn to scale.
/// `░` is the Init phase (process start + init code), `█` the handler, `·` waiting before start.
///
///     env-1  ░░░░░░░░░░░░░░░░░████                  12.1 + 3.0 ms
///     env-2   ░░░░░░░░░░░░░░░░░░████                12.4 + 3.1 ms
public struct Waterfall: Sendable {
    public struct Row: Sendable {
        public var label: String
        /// When this row's first segment starts, from the common origin.
        public var offset: Duration
        public var initDuration: Duration?
        public var handlerDuration: Duration

        public init(label: String, offset: Duration, initDuration: Duration?, handlerDuration: Duration) {
            self.label = label
            self.offset = offset
            self.initDuration = initDuration
            self.handlerDuration = handlerDuration
        }
    }

    public var rows: [Row]
    public var width: Int

    public init(rows: [Row], width: Int = 48) {
        self.rows = rows
        self.width = width
    }

    public func render(indent: String = "  ") -> String {
        let end = rows.map { $0.offset + ($0.initDuration ?? .zero) + $0.handlerDuration }.max() ?? .zero
        let total = max(end.milliseconds, 0.001)
        let scale = Double(width) / total
        let labelWidth = rows.map(\.label.count).max() ?? 0
        func cells(_ ms: Double) -> Int { Int((ms * scale).rounded()) }
        var lines: [String] = []
        for row in rows {
            let lead = cells(row.offset.milliseconds)
            let initCells = row.initDuration.map { max(1, cells($0.milliseconds)) } ?? 0
            let handlerCells = max(1, cells(row.handlerDuration.milliseconds))
            var bar = String(repeating: " ", count: lead) + String(repeating: "░", count: initCells) + String(repeating: "█", count: handlerCells)
            bar += String(repeating: " ", count: max(0, width + 2 - bar.count))
            let figures = row.initDuration.map { "init \($0.milliseconds.ms2) + handler \(row.handlerDuration.milliseconds.ms2) ms" }
                ?? "handler \(row.handlerDuration.milliseconds.ms2) ms"
            lines.append(indent + row.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  " + bar + figures)
        }
        lines.append(indent + String(repeating: " ", count: labelWidth) + "  0" + String(repeating: " ", count: max(1, width - 1 - "\(Int(total.rounded())) ms".count)) + "\(Int(total.rounded())) ms")
        return lines.joined(separator: "\n")
    }
}

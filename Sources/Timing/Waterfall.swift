import Foundation
/// A text waterfall: one row per execution environment, time running left to right, drawn to scale.
/// `░` is the Init phase (process start + init code), `█` the handler, `·` waiting before start.
///
///     env-1  ░░░░░░░░░░░░░░░░░████                  init 12.10 + 3.00 ms
///     env-2   ░░░░░░░░░░░░░░░░░░████                init 12.40 + 3.10 ms
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
    /// The widest the bar may be, in cells; it shrinks so every line fits `columns`.
    public var width: Int
    /// The terminal's width: the default fits the classic 80 columns.
    public var columns: Int

    public init(rows: [Row], width: Int = 48, columns: Int = 80) {
        self.rows = rows
        self.width = width
        self.columns = columns
    }

    public func render(indent: String = "  ") -> String {
        let end = rows.map { $0.offset + ($0.initDuration ?? .zero) + $0.handlerDuration }.max() ?? .zero
        let total = max(end.milliseconds, 0.001)
        let labelWidth = rows.map(\.label.count).max() ?? 0
        let figures = rows.map { row in
            row.initDuration.map { "init \($0.milliseconds.twoDecimals) + \(row.handlerDuration.milliseconds.twoDecimals) ms" }
                ?? "handler \(row.handlerDuration.milliseconds.twoDecimals) ms"
        }
        // The bar takes what the label and the figures leave, never less than 16 cells.
        let room = columns - indent.count - labelWidth - 2 - 2 - (figures.map(\.count).max() ?? 0)
        let width = max(16, min(self.width, room))
        let scale = Double(width) / total
        func cells(_ ms: Double) -> Int { Int((ms * scale).rounded()) }
        var lines: [String] = []
        for (row, figure) in zip(rows, figures) {
            let lead = cells(row.offset.milliseconds)
            let initCells = row.initDuration.map { max(1, cells($0.milliseconds)) } ?? 0
            let handlerCells = max(1, cells(row.handlerDuration.milliseconds))
            var bar = String(repeating: " ", count: lead) + String(repeating: "░", count: initCells) + String(repeating: "█", count: handlerCells)
            bar += String(repeating: " ", count: max(0, width + 2 - bar.count))
            lines.append(indent + row.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  " + bar + figure)
        }
        let totalLabel = "\(Int(total.rounded())) ms"
        lines.append(indent + String(repeating: " ", count: labelWidth) + "  0" + String(repeating: " ", count: max(1, width - 1 - totalLabel.count)) + totalLabel)
        return lines.joined(separator: "\n")
    }
}

import Foundation

/// The look every picture shares: one stylesheet, so the waterfall, the latency strips and the
/// cost chart use the same colour for the same thing (Init is always orange, the handler blue).
public enum PictureStyle {
    public static let css = """
        .background{fill:#ffffff}
        text{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:11px;fill:#333333}
        .title{font-size:14px;font-weight:600}
        .heading{font-size:12px;font-weight:600}
        .small{font-size:10px;fill:#666666}
        .waiting{fill:#cfcfcf}
        .init{fill:#e8923a}
        .handler{fill:#2f6db5}
        .provisioned-lane{fill:#e9f4e4}
        .cold-start{fill:#c0392b}
        .axis{stroke:#999999;stroke-width:1}
        .grid{stroke:#e4e4e4;stroke-width:1}
        .divider{stroke:#bbbbbb;stroke-width:1;stroke-dasharray:3 3}
        .cold{fill:#e8923a;fill-opacity:0.8}
        .warm{fill:#2f6db5;fill-opacity:0.8}
        .provisioned{fill:#3f9a4a;fill-opacity:0.8}
        .median{stroke:#333333;stroke-width:2}
        .on-demand-line{fill:none;stroke:#e8923a;stroke-width:2}
        .provisioned-line{fill:none;stroke:#3f9a4a;stroke-width:2}
        .marker{stroke:#c0392b;stroke-width:1;stroke-dasharray:4 3}
        """

    /// Axis ticks at 1, 2 or 5 × 10ⁿ, about `count` of them from 0 to `maximum`.
    public static func ticks(upTo maximum: Double, count: Int = 4) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0] }
        let raw = maximum / Double(count)
        let magnitude = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: maximum + step * 1e-9, by: step).map { $0 }
    }

    /// A text broken into lines of at most `characters` characters, at spaces — never cut short: a
    /// word longer than a line is split across lines, not elided.
    public static func wrap(_ text: String, characters: Int) -> [String] {
        let room = max(1, characters)
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ").map(String.init) {
            var word = word
            if !line.isEmpty, line.count + 1 + word.count <= room {
                line += " " + word
                continue
            }
            if !line.isEmpty { lines.append(line) }
            while word.count > room {
                lines.append(String(word.prefix(room)))
                word = String(word.dropFirst(room))
            }
            line = word
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// A tick label: whole numbers where the step allows, else one or two decimals.
    public static func tickLabel(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        return SVGWriter.number(value)
    }
}

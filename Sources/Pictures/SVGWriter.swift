/// Writes an SVG document by hand: a few element kinds, attributes escaped, numbers with two
/// decimals. The workbook has no package dependencies, and its pictures need nothing more.
public struct SVGWriter {
    public private(set) var width: Double
    public private(set) var height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public mutating func grow(toHeight height: Double) { self.height = max(self.height, height) }
    public mutating func grow(toWidth width: Double) { self.width = max(self.width, width) }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, class name: String,
                              _ attributes: KeyValuePairs<String, String> = [:], title: String? = nil) {
        element("rect", ["x": Self.number(x), "y": Self.number(y), "width": Self.number(width), "height": Self.number(height), "class": name],
                attributes, title: title)
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, class name: String) {
        element("line", ["x1": Self.number(x1), "y1": Self.number(y1), "x2": Self.number(x2), "y2": Self.number(y2), "class": name], [:])
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, class name: String,
                                _ attributes: KeyValuePairs<String, String> = [:], title: String? = nil) {
        element("circle", ["cx": Self.number(cx), "cy": Self.number(cy), "r": Self.number(r), "class": name], attributes, title: title)
    }

    public mutating func polyline(_ points: [(Double, Double)], class name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        let text = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        element("polyline", ["points": text, "class": name], attributes)
    }

    public mutating func polygon(_ points: [(Double, Double)], class name: String) {
        let text = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        element("polygon", ["points": text, "class": name], [:])
    }

    /// A rectangle whose attributes are built as the picture is (a list, not a literal).
    public mutating func rect(x: Double, y: Double, width: Double, height: Double, class name: String,
                              attributes: [(String, String)], title: String? = nil) {
        element("rect", ["x": Self.number(x), "y": Self.number(y), "width": Self.number(width), "height": Self.number(height), "class": name],
                attributes, title: title)
    }

    /// A polygon with attributes and a title (a mark a reader can hover for its figures).
    public mutating func polygon(_ points: [(Double, Double)], class name: String, attributes: [(String, String)], title: String? = nil) {
        let text = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        element("polygon", ["points": text, "class": name], attributes, title: title)
    }

    public enum Anchor: String { case start, middle, end }

    public mutating func text(_ text: String, x: Double, y: Double, class name: String = "label", anchor: Anchor = .start) {
        elements.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" class=\"\(name)\" text-anchor=\"\(anchor.rawValue)\">\(Self.escape(text))</text>")
    }

    /// Opens a group; everything written until `close()` belongs to it (tests find rows by group).
    public mutating func open(class name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        elements.append("<g class=\"\(Self.escape(name))\"" + Self.attributes(attributes) + ">")
    }

    public mutating func close() { elements.append("</g>") }

    /// The whole document: a title for screen readers, the shared style, the elements.
    public func document(title: String, style: String = PictureStyle.css) -> String {
        var lines = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\">",
                     "<title>\(Self.escape(title))</title>",
                     "<style>\(style)</style>",
                     "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" class=\"background\"/>"]
        lines += elements
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    private mutating func element(_ name: String, _ fixed: [String: String], _ extra: KeyValuePairs<String, String>, title: String? = nil) {
        element(name, fixed, extra.map { ($0.key, $0.value) }, title: title)
    }

    private mutating func element(_ name: String, _ fixed: [String: String], _ extra: [(String, String)], title: String? = nil) {
        let order = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "points", "class"]
        var text = "<\(name)"
        for key in order { if let value = fixed[key] { text += " \(key)=\"\(Self.escape(value))\"" } }
        text += extra.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        if let title {
            text += "><title>\(Self.escape(title))</title></\(name)>"
        } else {
            text += "/>"
        }
        elements.append(text)
    }

    private static func attributes(_ pairs: KeyValuePairs<String, String>) -> String {
        pairs.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    /// Two decimals, without trailing zeros: small files that still place a 0.1 ms handler.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = (value * 100).rounded()
        let whole = Int(hundredths) / 100, fraction = abs(Int(hundredths) % 100)
        let sign = hundredths < 0 && whole == 0 ? "-" : ""
        if fraction == 0 { return "\(sign)\(whole)" }
        let digits = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0\(fraction)" : String(fraction))
        return "\(sign)\(whole).\(digits)"
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

import Workbook

/// The two kinds of option chapter 7 needs besides numbers: a path (`--package DIR`,
/// `--results FILE`) and a word with no default (`--recorded-on aws|lab`). Declared here, with the
/// Workbook's public `Option` initializer, so the chapter's options are still one list.
extension Option {
    /// A path or other text, nil until given.
    static func text(_ name: String, _ field: WritableKeyPath<Options, String?> & Sendable, placeholder: String,
                     _ help: String) -> Option {
        Option(name, placeholder: placeholder, help: help, set: { options, text in
            guard !text.isEmpty else { throw WorkbookError.invalidOption("--\(name) needs a \(placeholder.lowercased())") }
            options[keyPath: field] = text
        }, defaultText: { _ in nil })
    }

    /// One of a fixed set of words, nil until given.
    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ field: WritableKeyPath<Options, Value?> & Sendable, placeholder: String, _ help: String
    ) -> Option where Value.RawValue == String {
        let words = Value.allCases.map(\.rawValue)
        return Option(name, placeholder: placeholder, help: "\(help): \(words.joined(separator: " or "))", set: { options, text in
            guard let value = Value(rawValue: text) else {
                throw WorkbookError.invalidOption("--\(name) must be \(words.joined(separator: " or ")), got '\(text)'")
            }
            options[keyPath: field] = value
        }, defaultText: { _ in nil })
    }
}

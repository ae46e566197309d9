/// Splits a command line into arguments the way a shell would for simple cases: spaces separate,
/// single or double quotes group, a backslash escapes the next character. No expansion of any kind.
enum CommandSplitter {
    static func split(_ line: String) throws -> [String] {
        var arguments: [String] = []
        var current = ""
        var inArgument = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inArgument = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inArgument = true
            } else if character == " " || character == "\t" {
                if inArgument { arguments.append(current) }
                current = ""
                inArgument = false
            } else {
                current.append(character)
                inArgument = true
            }
        }
        guard quote == nil, !escaped else { throw LabOptionsError("unbalanced quote or trailing backslash in command: \(line)") }
        if inArgument { arguments.append(current) }
        return arguments
    }
}

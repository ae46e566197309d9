import Foundation
import LabTestSupport
import Testing
import Workbook
@testable import chapter1
@testable import chapter2
@testable import chapter3
@testable import chapter4
@testable import chapter5
@testable import chapter6
@testable import chapter7
@testable import chapter8

/// Every `swift run chapterN …` a chapter page shows — in "Run it" and in "Try this" — is run here,
/// in-process, with exactly the page's options: it must finish, and every claim it prints must hold
/// or say why it does not apply. A page cannot ask a reader to run something that fails.
@Suite("Chapter pages: every command they show", .serialized, .timeLimit(.minutes(10)))
struct PageCommandTests {
    static let chapters = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("chapters")

    /// One command a page shows, and what its "Try this" says the run will show.
    struct PageCommand {
        var arguments: [String]
        var expectations: [PageExpectation] = []
        /// Shown under "Try this", where every command must say what to expect.
        var isTryThis = false
    }

    /// The distinct commands of one page, as argument lists (`--json` and `--help` dropped: they
    /// change only how the same Outcome is printed), each with the `Expect:` line that follows it.
    static func commands(page prefix: String) throws -> [PageCommand] {
        let files = try FileManager.default.contentsOfDirectory(atPath: chapters.path).filter { $0.hasPrefix(prefix) && $0.hasSuffix(".md") }
        let file = try #require(files.first)
        let text = try String(contentsOf: chapters.appendingPathComponent(file), encoding: .utf8)
        let chapter = "chapter" + String(prefix.dropFirst().prefix(1))
        var seen: [PageCommand] = []
        var last: Int?
        var inTryThis = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { inTryThis = line == "## Try this" }
            // An expectation is a line of its own that starts with `Expect:` (prose may name them).
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("Expect:") {
                let index = try #require(last, "an Expect: line before any command in \(file)")
                seen[index].expectations += try PageExpectation.parse(String(trimmed.dropFirst("Expect:".count)))
                continue
            }
            var rest = Substring(line)
            while let range = rest.range(of: "swift run \(chapter)") {
                let tail = rest[range.upperBound...]
                let end = tail.firstIndex { $0 == "`" || $0 == "#" || $0 == ")" || $0 == ":" } ?? tail.endIndex
                let arguments = tail[..<end].split(separator: " ").map(String.init).filter { $0 != "--json" && $0 != "--help" }
                if let index = seen.firstIndex(where: { $0.arguments == arguments }) {
                    last = index
                } else {
                    seen.append(PageCommand(arguments: arguments))
                    last = seen.count - 1
                }
                if inTryThis { seen[last!].isTryThis = true }
                rest = tail[end...]
            }
        }
        return seen
    }

    /// Runs each of the page's commands through `run` and checks it: no claim failed, one held,
    /// and every expectation the page states for it is what the run showed. Every "Try this"
    /// command states one.
    static func runAll(page prefix: String, skipping skip: ([String]) -> Bool = { _ in false },
                       _ run: ([String]) async throws -> any ChapterOutcome) async throws {
        let commands = try Self.commands(page: prefix)
        #expect(commands.count >= 3)
        for command in commands {
            let shown = command.arguments.joined(separator: " ")
            #expect(!command.isTryThis || !command.expectations.isEmpty, "Try this: `\(shown)` says nothing to expect")
            guard !skip(command.arguments) else { continue }
            let outcome = try await exclusively { try await run(command.arguments) }
            let failed = outcome.claims.filter { $0.failed }
            #expect(failed.isEmpty, "\(shown): \(failed.map { $0.claim + " — " + $0.evidence })")
            let anyHeld = outcome.claims.contains { $0.holds }
            #expect(anyHeld, "\(shown): no claim held")
            for expectation in command.expectations {
                let miss = expectation.check(outcome.steps)
                #expect(miss == nil, "\(shown): expected \(miss ?? "")")
            }
        }
    }

    @Test("chapter 1's page: every command it shows runs with no claim failing")
    func chapter1() async throws {
        try await Self.runAll(page: "01-") { try await Chapter1.run(Chapter1.Options(arguments: $0)) }
    }

    @Test("chapter 2's page: every command it shows runs with no claim failing")
    func chapter2() async throws {
        try await Self.runAll(page: "02-") { try await Chapter2.run(Chapter2.Options(arguments: $0)) }
    }

    @Test("chapter 3's page: every command it shows runs with no claim failing")
    func chapter3() async throws {
        // A burst of 100 (200 in its third step) measures this test runner too: other suites run
        // beside it, and the chapter rightly reports a burst that did not arrive at once. CI runs
        // `chapter3 --concurrency 100` on its own and checks every claim.
        let large = { (arguments: [String]) in arguments.firstIndex(of: "--concurrency").map { Int(arguments[$0 + 1]) ?? 0 > 50 } ?? false }
        try await Self.runAll(page: "03-", skipping: large) { try await Chapter3.run(Chapter3.Options(arguments: $0)) }
    }

    @Test("chapter 4's page: every command it shows runs with no claim failing")
    func chapter4() async throws {
        try await Self.runAll(page: "04-") { try await Chapter4.run(Chapter4.Options(arguments: $0)) }
    }

    @Test("chapter 5's page: every command it shows runs with no claim failing")
    func chapter5() async throws {
        try await Self.runAll(page: "05-") { try await Chapter5.run(Chapter5.Options(arguments: $0)) }
    }

    @Test("chapter 6's page: every command it shows runs with no claim failing")
    func chapter6() async throws {
        try await Self.runAll(page: "06-") { try await Chapter6.run(Chapter6.Options(arguments: $0)) }
    }

    @Test("chapter 8's page: every command it shows runs with no claim failing, and shows what its Try this expects")
    func chapter8() async throws {
        try await Self.runAll(page: "08-") { try await Chapter8.run(Chapter8.Options(arguments: $0)) }
    }

    /// Each of chapter 7's runs takes a minute and a half of Terraform: its page shows two, and
    /// each is run elsewhere — `--fan-out 3 --provisioned 2` by Chapter7Tests (with its Expect
    /// line), in both of CI's test passes; the default is the page's transcript; `--package` by AL2023PackageTests and `--results` (on a recording) by
    /// Chapter7ResultsTests. Here: that the page shows exactly those, and that the runs parse.
    @Test("chapter 7's page: its commands are the ones the chapter 7 tests run, and they parse")
    func chapter7() throws {
        let commands = try Self.commands(page: "07-").map(\.arguments)
        let runs = commands.filter { !($0.first ?? "").hasPrefix("--package") && !($0.first ?? "").hasPrefix("--results") }
        #expect(Set(runs) == [[], ["--fan-out", "3", "--provisioned", "2"]])
        #expect(commands.contains { $0.first == "--package" } && commands.contains { $0.first == "--results" })
        for arguments in runs { _ = try Chapter7.Options(arguments: arguments) }
    }
}

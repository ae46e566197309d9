import Foundation
import Testing

/// The pages as a reader meets them: each chapter page has the same headings, reads in about
/// twelve minutes (a full transcript may wait in a collapsed `<details>`), says where it sits in
/// the article's story and cites its sources; every link between pages reaches a page and an
/// anchor that exist.
@Suite("Chapter pages: their shape, their length, their links")
struct PageStructureTests {
    static let chapters = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("chapters")
    static let root = chapters.deletingLastPathComponent()

    static func text(_ name: String) throws -> String {
        try String(contentsOf: chapters.appendingPathComponent(name), encoding: .utf8)
    }

    static var chapterPages: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: chapters.path)) ?? [])
            .filter { $0.hasPrefix("0") && $0.hasSuffix(".md") }.sorted()
    }

    /// 230 words a minute, twelve minutes.
    static let wordLimit = 2_800

    /// The words a reader meets: everything outside `<details>` blocks.
    static func words(_ text: String) -> Int {
        var rest = Substring(text), kept = ""
        while let open = rest.range(of: "<details>") {
            kept += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "</details>") else { rest = ""; break }
            rest = rest[close.upperBound...]
        }
        kept += rest
        return kept.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
    }

    @Test("every chapter page has the same headings, in order", arguments: chapterPages)
    func headings(page: String) throws {
        let headings = try Self.text(page).split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        #expect(headings == ["## Question", "## Run it", "## What happened", "## On AWS", "## Read the code", "## Try this", "## Check"])
    }

    @Test("every chapter page reads in twelve minutes: at most 2,800 words outside <details>", arguments: chapterPages)
    func length(page: String) throws {
        let count = Self.words(try Self.text(page))
        #expect(count <= Self.wordLimit, "\(page): \(count) words")
    }

    @Test("every chapter page says where it sits in the article's story and cites its sources", arguments: chapterPages)
    func sources(page: String) throws {
        let text = try Self.text(page)
        let question = text.components(separatedBy: "## Run it").first ?? ""
        #expect(question.contains("article"), "\(page): the first section does not place the chapter in the article's story")
        #expect(text.contains("aws-facts.md#") || text.contains("https://docs.aws.amazon.com"), "\(page): no source cited")
    }

    @Test("the README and the chapter 3 page cite the article: its title, its author, where it was published")
    func articleCited() throws {
        for text in [try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8),
                     try Self.text(Self.chapterPages.first { $0.hasPrefix("03-") } ?? "")] {
            let text = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            #expect(text.contains("Effortlessly Juggling Multiple Concurrent Requests in AWS Lambda"))
            #expect(text.contains("Ali Haydar"))
            #expect(text.contains("https://ali-haydar.medium.com/"))
        }
    }

    /// `[text](page.md#anchor)` between pages: the page exists, and so does a heading whose
    /// GitHub anchor is `anchor`.
    @Test("every link between the pages reaches a page and an anchor that exist")
    func links() throws {
        let pages = ["README.md"] + ((try? FileManager.default.contentsOfDirectory(atPath: Self.chapters.path)) ?? [])
            .filter { $0.hasSuffix(".md") }.map { "chapters/" + $0 }
        let pattern = try Regex(#"\]\(([A-Za-z0-9_./-]+\.md)(#[A-Za-z0-9_-]+)?\)"#)
        for page in pages {
            let text = try String(contentsOf: Self.root.appendingPathComponent(page), encoding: .utf8)
            // The page's folder, relative to the repository: "" or "chapters".
            let folder = page.contains("/") ? String(page[..<page.lastIndex(of: "/")!]) : ""
            for match in text.matches(of: pattern) {
                let target = String(match.output[1].substring ?? "")
                let path = (folder.isEmpty ? "" : folder + "/") + target
                let url = Self.root.appendingPathComponent(path).standardizedFileURL
                guard let linked = try? String(contentsOf: url, encoding: .utf8) else {
                    Issue.record("\(page): link to \(target), which does not exist")
                    continue
                }
                if let anchor = match.output[2].substring?.dropFirst() {
                    #expect(Self.anchors(linked).contains(String(anchor)), "\(page): link to \(target)#\(anchor), no such heading")
                }
            }
        }
    }

    /// GitHub's anchors: each heading lower-cased, punctuation dropped, spaces to hyphens.
    static func anchors(_ text: String) -> Set<String> {
        var result = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("#") {
            let title = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
            let anchor = String(title.lowercased().compactMap { character -> Character? in
                if character == " " { return "-" }
                if character.isLetter || character.isNumber || character == "-" || character == "_" { return character }
                return nil
            })
            result.insert(anchor)
        }
        // Explicit anchors: <a id="…"></a> or <a name="…"></a>.
        for match in text.matches(of: #/<a (?:id|name)="([^"]+)"/#) { result.insert(String(match.output.1)) }
        return result
    }
}

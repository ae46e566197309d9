import Workbook

@main
struct Chapter1Command {
    static func main() async {
        await ChapterMain.run(name: "chapter1", usage: Chapter1.Options.usage, parse: Chapter1.Options.init(arguments:),
                              experiment: Chapter1.run, narrate: Chapter1.narrate)
    }
}

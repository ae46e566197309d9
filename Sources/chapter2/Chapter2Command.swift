import Workbook

@main
struct Chapter2Command {
    static func main() async {
        await ChapterMain.run(name: "chapter2", usage: Chapter2.Options.usage, parse: Chapter2.Options.init(arguments:),
                              experiment: Chapter2.run, narrate: Chapter2.narrate)
    }
}

import Workbook

@main
struct Chapter6Command {
    static func main() async {
        await ChapterMain.run(name: "chapter6", usage: Chapter6.Options.usage, parse: Chapter6.Options.init(arguments:),
                              experiment: Chapter6.run, narrate: Chapter6.narrate)
    }
}

import Workbook

@main
struct Chapter3Command {
    static func main() async {
        await ChapterMain.run(name: "chapter3", usage: Chapter3.Options.usage, parse: Chapter3.Options.init(arguments:),
                              experiment: Chapter3.run, narrate: Chapter3.narrate)
    }
}

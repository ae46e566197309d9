import Workbook

@main
struct Chapter5Command {
    static func main() async {
        await ChapterMain.run(name: "chapter5", usage: Chapter5.Options.usage, parse: Chapter5.Options.init(arguments:),
                              experiment: Chapter5.run, narrate: Chapter5.narrate)
    }
}

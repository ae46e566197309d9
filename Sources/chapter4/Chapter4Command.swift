import Workbook

@main
struct Chapter4Command {
    static func main() async {
        await ChapterMain.run(name: "chapter4", usage: Chapter4.Options.usage, parse: Chapter4.Options.init(arguments:),
                              experiment: Chapter4.run, narrate: Chapter4.narrate)
    }
}

import Workbook

@main
struct Chapter2Command {
    static func main() async {
        await ChapterMain.run(Chapter2.self)
    }
}

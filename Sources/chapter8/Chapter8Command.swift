import Workbook

@main
struct Chapter8Command {
    static func main() async {
        await ChapterMain.run(Chapter8.self)
    }
}

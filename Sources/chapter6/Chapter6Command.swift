import Workbook

@main
struct Chapter6Command {
    static func main() async {
        await ChapterMain.run(Chapter6.self)
    }
}

import Workbook

@main
struct Chapter1Command {
    static func main() async {
        await ChapterMain.run(Chapter1.self)
    }
}

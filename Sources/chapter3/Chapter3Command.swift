import Workbook

@main
struct Chapter3Command {
    static func main() async {
        await ChapterMain.run(Chapter3.self)
    }
}

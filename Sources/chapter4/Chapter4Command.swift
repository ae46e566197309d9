import Workbook

@main
struct Chapter4Command {
    static func main() async {
        await ChapterMain.run(Chapter4.self)
    }
}

import Workbook

@main
struct Chapter5Command {
    static func main() async {
        await ChapterMain.run(Chapter5.self)
    }
}

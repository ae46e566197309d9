import Foundation
import LambdaLab
import RuntimeAPI
import Workbook

Console.lineBufferStandardOutput()
var configuration = LabConfiguration()
configuration.log = { line in print("[\(line.functionName) \(line.environmentID)] \(line.text)") }
let arguments = Array(CommandLine.arguments.dropFirst())
let port = arguments.firstIndex(of: "--port").flatMap { UInt16(arguments[safe: $0 + 1] ?? "") } ?? 9001
let lab = try Lab(configuration: configuration)
let database = try StandInDatabase()
try lab.deploy(WorkbookFunctions.worker(database: database))
try lab.deploy(WorkbookFunctions.orchestrator())
let bound = try lab.startInvokeAPI(port: port)
print("Lambda Lab listening on http://127.0.0.1:\(bound)")
signal(SIGINT, SIG_IGN)
let source = DispatchSource.makeSignalSource(signal: SIGINT)
source.setEventHandler { lab.shutdown(); exit(0) }
source.resume()
dispatchMain()

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

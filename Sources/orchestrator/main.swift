import Contracts
import Foundation
import LabRuntime

// The orchestrator function: invokes another function N times at once through the Invoke API at
// AWS_ENDPOINT_URL_LAMBDA (the AWS SDKs' own variable) and returns what each call cost it.
let fanOut = LambdaRuntime.initialize { () throws -> FanOut in
    let environment = ProcessInfo.processInfo.environment
    // Without it (on AWS, where nothing sets it), the region's own endpoint, as the SDKs choose it.
    guard let endpoint = environment["AWS_ENDPOINT_URL_LAMBDA"] ?? environment["AWS_REGION"].map({ "https://lambda.\($0).amazonaws.com" })
    else { throw FanOutError.noEndpoint }
    return try FanOut(endpoint: endpoint)
}

let runtime = LambdaRuntime { (event: FanOutEvent, _: LambdaContext) throws -> FanOutAnswer in
    try fanOut.run(event)
}
try await runtime.run()

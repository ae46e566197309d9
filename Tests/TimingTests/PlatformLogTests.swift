import Testing
@testable import Timing

@Suite("CloudWatch platform lines")
struct PlatformLogTests {
    @Test("REPORT of a cold start: tab-separated, Init Duration last, trailing tab, billed = ceil(init + duration)")
    func coldReport() {
        let report = Report(requestID: "abc", duration: .milliseconds(3.01), initDuration: .milliseconds(110.10),
                            memorySizeMB: 128, maxMemoryUsedMB: 36)
        #expect(PlatformLog.report(report)
            == "REPORT RequestId: abc\tDuration: 3.01 ms\tBilled Duration: 114 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t")
    }

    @Test("REPORT of a warm invocation has no Init Duration")
    func warmReport() {
        let report = Report(requestID: "abc", duration: .milliseconds(2.90), initDuration: nil, memorySizeMB: 128, maxMemoryUsedMB: 36)
        #expect(PlatformLog.report(report)
            == "REPORT RequestId: abc\tDuration: 2.90 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t")
    }

    @Test("START has a space before Version; END names the request")
    func startAndEnd() {
        #expect(PlatformLog.start(requestID: "r1", version: "$LATEST") == "START RequestId: r1 Version: $LATEST")
        #expect(PlatformLog.end(requestID: "r1") == "END RequestId: r1")
    }

    @Test("Billed Duration rounds up to the next millisecond, with no minimum", arguments: [
        (27.55, 28), (3.0, 3), (0.2, 1), (0.0, 0), (999.001, 1000),
    ])
    func billing(milliseconds: Double, billed: Int) {
        #expect(Billing.billedMilliseconds(.milliseconds(milliseconds)) == billed)
    }

    @Test("the timeout line carries two decimals of seconds")
    func timeout() {
        #expect(PlatformLog.timedOut(requestID: "r1", timeoutSeconds: 1).hasSuffix(" r1 Task timed out after 1.00 seconds"))
    }
}

@Suite("Summary and pictures")
struct SummaryTests {
    @Test("percentiles use nearest rank, so each is a value that was measured")
    func nearestRank() {
        let summary = Summary(milliseconds: (1...10).map(Double.init).reversed())
        #expect(summary.count == 10)
        #expect(summary.min == 1)
        #expect(summary.p50 == 5)
        #expect(summary.p90 == 9)
        #expect(summary.p99 == 10)
        #expect(summary.max == 10)
    }

    @Test("one value is every percentile; no values summarise to zeros")
    func edges() {
        #expect(Summary(milliseconds: [7]).p50 == 7)
        #expect(Summary(milliseconds: [7]).p99 == 7)
        #expect(Summary(milliseconds: []).count == 0)
        #expect(Summary(milliseconds: []).p90 == 0)
    }

    @Test("a table aligns numbers right and text left")
    func table() {
        var table = TextTable([("step", .left), ("n", .right)])
        table.add(["cold", "10"])
        table.add(["warm burst", "2"])
        #expect(table.render(indent: "") == "step         n\n──────────  ──\ncold        10\nwarm burst   2")
    }

    @Test("a waterfall draws Init and handler to scale")
    func waterfall() {
        let picture = Waterfall(rows: [
            .init(label: "env-1", offset: .zero, initDuration: .milliseconds(30), handlerDuration: .milliseconds(10)),
            .init(label: "env-2", offset: .zero, initDuration: nil, handlerDuration: .milliseconds(10)),
        ], width: 40).render(indent: "")
        let lines = picture.split(separator: "\n")
        #expect(lines[0].filter { $0 == "░" }.count == 30)
        #expect(lines[0].filter { $0 == "█" }.count == 10)
        #expect(lines[1].filter { $0 == "░" }.count == 0)
        #expect(lines[1].filter { $0 == "█" }.count == 10)
    }

    @Test("a waterfall of 200 environments with four-digit times still fits 80 columns, to scale")
    func waterfallFits80Columns() {
        let rows = (1...200).map { index in
            Waterfall.Row(label: "env-\(index)", offset: .milliseconds(Double(index)), initDuration: .milliseconds(1_234.56),
                          handlerDuration: .milliseconds(2_345.67))
        }
        let lines = Waterfall(rows: rows).render().split(separator: "\n")
        #expect(lines.count == 201)
        #expect(lines.allSatisfy { $0.count <= 80 })
        // Init and handler keep their proportion (1234.56 : 2345.67) within a cell of rounding.
        let initCells = lines[0].filter { $0 == "░" }.count, handlerCells = lines[0].filter { $0 == "█" }.count
        #expect(abs(Double(handlerCells) / Double(initCells) - 2_345.67 / 1_234.56) < 0.15)
    }
}

import Foundation
import Pictures
import Workbook

extension Chapter6 {
    /// The cost of an hour of steady traffic against utilization (modeled), above the run's
    /// waterfall and latency strips (measured: the fan-out, then the steady traffic).
    static func picture(_ outcome: Outcome) -> String {
        var svg = SVGWriter(width: 960, height: 0)
        svg.text(outcome.pictureTitle, x: 10, y: 22, class: "title")
        svg.text("Top: modeled from AWS's published prices (us-east-1, \(outcome.prices.architecture.rawValue), \(outcome.hour.memoryMB) MB). Below: measured in this run.",
                 x: 10, y: 40, class: "small")
        let chart = LineChart(
            title: "One hour of steady traffic: what it costs at each utilization of \(outcome.provisioned) provisioned environments",
            xLabel: "utilization of the provisioned environments (calls in flight ÷ P)", yLabel: "$ / hour",
            series: [.init(name: "on demand", style: "on-demand-line", points: outcome.sweep.map { ($0.utilization * 100, $0.onDemandUSD) }),
                     .init(name: "provisioned (P = \(outcome.provisioned))", style: "provisioned-line",
                           points: outcome.sweep.map { ($0.utilization * 100, $0.provisionedUSD) })],
            markers: [.init(x: outcome.breakEvenUtilizationWithInits * 100,
                            label: String(format: "break-even %.2f %%", outcome.breakEvenUtilizationWithInits * 100)),
                      .init(x: outcome.hour.utilization * 100,
                            label: String(format: "this run: %.0f %% (%d calls/s)", outcome.hour.utilization * 100, outcome.rate))],
            formatX: { "\(Int($0.rounded())) %" }, formatY: { "$" + Narrative.dollars($0) })
        var y = chart.draw(into: &svg, top: 52)
        y = RunPicture.waterfall(outcome.steps).draw(into: &svg, top: y + 10)
        y = WaterfallPicture.drawLegend(into: &svg, x: 10, y: y + 6, provisioned: true)
        y = RunPicture.strips(outcome.steps, width: svg.width).draw(into: &svg, top: y + 18)
        svg.grow(toHeight: y + 8)
        return svg.document(title: outcome.pictureTitle)
    }
}

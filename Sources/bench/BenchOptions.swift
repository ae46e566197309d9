import Workbook

struct BenchOptions {
    var json = false
    var help = false
    var warmCalls = 5_000
    var sweepRuns = 5
    var sweepConcurrencies = [1, 10, 25, 50, 100]
    var busy = 0
    var idle = 1_000
    var soak = 100_000
    /// Only the floors and the warm invokes (seconds, not minutes: for profiling).
    var warmOnly = false

    static let usage = """
        usage: swift run -c release bench [--json] [--sweep-runs R] [--busy B] [--idle K] [--warm-calls W] [--soak S]

          --json           print one JSON object (the keys of BenchReport) and nothing else on stdout
          --sweep-runs R   runs of chapter 3 at each of N = 1, 10, 25, 50, 100 (default 5; 0 skips the sweep)
          --busy B         busy-looping processes beside the sweep, as on a shared machine (default 0)
          --idle K         idle environments to hold at once (default 1000)
          --warm-calls W   warm invokes timed, for the lab and for the floor chain (default 5000)
          --soak S         invocations of the soak: the lab's resident memory before and after (default 100000)
          --warm-only      only the floors and the warm invokes (for profiling)
        """

    init(_ arguments: [String]) throws {
        let options = try CommandLineOptions(arguments, valued: ["sweep-runs", "busy", "idle", "warm-calls", "soak"], flags: ["warm-only"])
        json = options.json
        help = options.help
        sweepRuns = try options.int("sweep-runs", default: sweepRuns, in: 0...50)
        busy = try options.int("busy", default: busy, in: 0...8)
        idle = try options.int("idle", default: idle, in: 10...1_000)
        warmCalls = try options.int("warm-calls", default: warmCalls, in: 100...1_000_000)
        soak = try options.int("soak", default: soak, in: 0...10_000_000)
        warmOnly = options.flag("warm-only")
    }
}

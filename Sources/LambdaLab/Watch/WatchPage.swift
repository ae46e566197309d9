/// The page `GET /` serves: the lab watched live, from the server-sent events at `/lab/events`.
/// Per function and version, one row per execution environment (its phase, its kind — on-demand,
/// provisioned, managed instance with its free slots — and its pid), each invocation a bar growing on
/// that row (waiting in grey, Init in orange, the handler in blue; concurrent invocations of a managed
/// instance stacked in sub-rows), cold starts marked, throttles (429) with their Reason, the asynchronous
/// queue's counts and the run's counters. When the run ends it stays on screen and can be replayed from
/// the page's own log of the events. Self-contained (no framework, nothing fetched), so it works offline.
/// For tests: rows carry `data-environment`, `data-phase` (and `data-phases`, every phase seen), bars
/// `data-request-id`, counters `data-total`, and `#status` reads `live`, `run finished` or `replaying`.
enum WatchPage {
    /// One document, served whole: the page, its style and its script, nothing fetched from elsewhere.
    static let html = [document, drawingScript, streamScript, ending].joined(separator: "\n")

    /// The page and its style, up to the opening of its script.
    static let document: String = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Lambda Lab — watch</title>
    <style>
    /* Okabe–Ito colours, readable with every common colour-vision deficiency; nothing relies on colour alone:
       phases are words, errors are striped, cold starts carry a mark. */
    :root { --init: #E69F00; --handler: #0072B2; --error: #D55E00; --wait: #BDBDBD; --green: #009E73;
            --sky: #56B4E9; --ink: #222; --muted: #666; --line: #e2e2e2; --label: 270px; --row: 14px; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
    header { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line);
             padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 6px 20px; align-items: center; }
    h1 { font-size: 17px; margin: 0; }
    h1 span { font-weight: 400; color: var(--muted); }
    h2 { font-size: 14px; margin: 14px 0 4px; }
    h2 small { font-weight: 400; color: var(--muted); }
    #status { font-weight: 600; padding: 1px 10px; border-radius: 10px; border: 2px solid var(--muted); }
    #status[data-state=live] { border-color: var(--green); }
    #status[data-state=live]::before { content: "● "; color: var(--green); }
    #status[data-state=replaying] { border-style: dashed; }
    .clock { font-variant-numeric: tabular-nums; color: var(--muted); min-width: 5em; }
    .totals { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; margin: 0 0 0 auto; padding: 0; }
    .totals b { font-size: 18px; font-variant-numeric: tabular-nums; }
    button, select { font: inherit; padding: 2px 10px; }
    main { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 8px 24px; padding: 8px 16px 24px; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; padding: 0; margin: 0 0 6px; color: var(--muted); font-size: 12px; }
    .legend i { display: inline-block; position: relative; width: 22px; height: 10px; vertical-align: -1px; margin-right: 4px; }
    /* One grid for every row, so all lanes share the same time axis. */
    .row { display: grid; grid-template-columns: var(--label) minmax(0, 1fr); align-items: center; border-bottom: 1px solid #f0f0f0; }
    .label { padding: 2px 8px 2px 0; font-size: 12px; overflow-wrap: anywhere; }
    .label > * { margin-right: 6px; }
    .lane { position: relative; height: calc(var(--rows, 1) * var(--row) + 4px); overflow: hidden; contain: layout paint; }
    .env { content-visibility: auto; contain-intrinsic-size: auto 24px; }  /* rows off screen cost nothing to draw */
    .axis { position: sticky; top: var(--hh, 0); z-index: 4; background: #fff; border-bottom: 1px solid #999; color: var(--muted); }
    .axis .lane { height: 18px; }
    .tick { position: absolute; top: 0; bottom: 0; left: calc(var(--t) * 100% / var(--span)); border-left: 1px solid #999; padding-left: 3px; font-size: 11px; white-space: nowrap; }
    #functions:empty::before { content: "No execution environment yet — they appear here as the lab starts them."; display: block; padding: 16px 0; color: var(--muted); }
    /* Bars are positioned by custom properties in lab milliseconds: --s start, --e end (absent while it is
       still growing, moved to the clock at each frame). The board holds --o (first activity) and --span, so
       rescaling is one property write for the whole page, not one per bar. */
    #board { --o: 0; --span: 1000; min-width: 0; }
    .inv { position: absolute; left: 0; right: 0; top: calc(2px + var(--slot) * var(--row)); height: calc(var(--row) - 3px); }
    .seg, .thr, .cold-mark { position: absolute; left: calc((var(--s) - var(--o)) * 100% / var(--span)); }
    .seg { top: 0; bottom: 0; width: max(2px, calc((var(--e) - var(--s)) * 100% / var(--span))); }
    .lane > .seg { top: 2px; bottom: auto; height: calc(var(--row) - 3px); z-index: 1; } /* an environment's Init, over its first waiting bar */
    .wait { background: var(--wait); }
    .init { background: var(--init); }
    .handler { background: var(--handler); }
    .seg.open { border-right: 2px solid var(--ink); }            /* still growing */
    .seg.error { background: repeating-linear-gradient(135deg, var(--error) 0 3px, #fff 3px 5px); outline: 1px solid var(--error); }
    .cold-mark { top: -2px; z-index: 2; width: 0; height: 0; border-left: 4px solid transparent; border-right: 4px solid transparent;
                 border-top: 6px solid var(--ink); margin-left: -4px; }  /* ▼ at the start of a cold invocation */
    .legend .cold-mark { left: 7px; top: 2px; }
    .legend .seg { top: 0; bottom: 0; left: 0; width: 100%; }
    .thr { top: 2px; bottom: 2px; width: 3px; background: var(--error); }
    /* Phases are words; the badge's border style repeats them for a quick scan. */
    .phase { display: inline-block; padding: 0 6px; border-radius: 8px; border: 1px solid var(--muted); }
    [data-phase=initializing] .phase { border: 1px dashed var(--init); background: #fdf1d8; }
    [data-phase=invoking] .phase { background: var(--handler); border-color: var(--handler); color: #fff; }
    [data-phase=shuttingDown] .phase { border-style: dotted; font-style: italic; }
    [data-phase=removed] { opacity: .45; }
    [data-phase=removed] .label b { text-decoration: line-through; }
    .kind, .pid { color: var(--muted); }
    [data-kind=provisioned-concurrency] .lane { background: #e3f4ee; }
    [data-kind=lambda-managed-instances] .lane { background: #e8f4fb; }
    aside h2 { margin-top: 0; }
    aside section { margin-bottom: 18px; }
    #throttle-list { list-style: none; padding: 0; margin: 0; font-size: 12px; }
    #throttle-list li { border-left: 3px solid var(--error); padding: 2px 6px; margin-bottom: 4px; overflow-wrap: anywhere; }
    #throttle-list li > * { display: block; }
    #throttle-list small { color: var(--muted); }
    .queue { font-size: 12px; border-bottom: 1px solid var(--line); padding: 4px 0; }
    .queue > b { display: block; overflow-wrap: anywhere; }
    .queue span { display: inline-block; margin-right: 10px; color: var(--muted); }
    .queue span b { color: var(--ink); font-variant-numeric: tabular-nums; }
    .note { color: var(--muted); font-size: 12px; }
    /* A phone: counters wrap, the side panel moves below, and each row puts its label above its lane. */
    @media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }
    @media (max-width: 640px) {
      header { padding: 6px 10px; } main { padding: 6px 10px 20px; }
      .totals { margin: 0; gap: 2px 12px; } .totals b { font-size: 15px; }
      .row { grid-template-columns: minmax(0, 1fr); }
      .axis .label { display: none; }
      .label { padding-top: 4px; }
    }
    </style>
    </head>
    <body>
    <header>
      <h1>Lambda Lab <span>watch</span></h1>
      <div id="status" role="status" data-state="connecting">connecting</div>
      <span id="clock" class="clock" title="time since the first activity"></span>
      <span id="replay-controls" hidden>
        <button id="replay" type="button">Replay</button>
        <select id="speed" aria-label="Replay speed"><option value="1">1×</option><option value="4">4×</option></select>
      </span>
      <ul class="totals">
        <li><b data-total="environmentsStarted">0</b> environments</li>
        <li><b data-total="coldStarts">0</b> cold starts</li>
        <li><b data-total="invocations">0</b> invocations</li>
        <li><b data-total="throttles">0</b> throttles</li>
        <li><b data-total="inFlight">0</b> in flight</li>
      </ul>
    </header>
    <main>
      <div id="board">
        <ul class="legend">
          <li><i><span class="seg wait"></span></i>waiting</li>
          <li><i><span class="seg init"></span></i>Init</li>
          <li><i><span class="seg handler"></span></i>handler</li>
          <li><i><span class="seg error"></span></i>error</li>
          <li><i><span class="cold-mark"></span></i>cold start</li>
          <li><i><span class="seg handler open"></span></i>still running</li>
        </ul>
        <div class="row axis"><div class="label">time since first activity</div><div class="lane" id="axis"></div></div>
        <div class="row" id="throttle-row" hidden><div class="label"><b>throttled</b> 429</div><div class="lane" id="throttle-lane"></div></div>
        <div id="functions"></div>
      </div>
      <aside>
        <section>
          <h2>Throttles <small>429</small></h2>
          <ul id="throttle-list"></ul>
          <p class="note" id="no-throttles">None yet.</p>
        </section>
        <section>
          <h2>Asynchronous queue</h2>
          <div id="queues"></div>
          <p class="note" id="no-queues">No asynchronous invocation yet.</p>
        </section>
      </aside>
    </main>
    <script>
    """#

    /// The close of the script and the page.
    static let ending: String = #"""
    </script>
    </body>
    </html>
    """#
}

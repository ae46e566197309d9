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
    static let html: String = #"""
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
    "use strict";
    // Everything on the page comes from the event stream, and `apply` is the only thing that changes it,
    // so a live run and its replay take the same path. Events are queued as they arrive and applied
    // together once per animation frame: one style and layout pass however fast the lab talks.
    const $ = (selector) => document.querySelector(selector);
    const board = $("#board"), functionsEl = $("#functions"), statusEl = $("#status");
    const TYPES = ["snapshot", "environment", "invocation", "throttle", "queue", "totals", "end"];
    const PHASES = { initializing: "initializing", idle: "idle", invoking: "invoking", shuttingDown: "shutting down", removed: "removed" };
    const QUIET_GAP = 2000;     // a replay skips lulls longer than this (say, a chapter waiting for a key press)
    const log = [];             // every event received, in order: what Replay plays back
    let pending = [];           // received, not yet drawn
    let mode = "connecting";    // connecting | live | finished | replaying
    let stream = null, ticking = false, replay = null, growing = new Set(), totals = null;
    let envs, invs, sections, queueRows, throttleGroups, totalsEls, origin, span, shown, lastAt, lastWall, endAt;

    function el(tag, className, parent, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text != null) node.textContent = text;
      if (parent) parent.appendChild(node);
      return node;
    }
    // Writes only what changed (remembered on the node, so nothing is read back from the DOM): each write
    // makes the browser restyle that element, and most events change one field of many.
    function set(node, name, value) {
      const last = node.written ??= {};
      if (last[name] === value) return;
      last[name] = value;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("--")) node.style.setProperty(name, value);
      else node.setAttribute(name, value);
    }
    // A bar from lab time s to e; no e means it is still growing: `tick` moves its end to the clock each
    // frame. Only the growing bars are touched, so a frame costs the bars in flight, not all of them.
    function place(node, s, e, error) {
      set(node, "--s", s);
      set(node, "--e", e ?? shown);
      if (e == null) growing.add(node); else growing.delete(node);
      set(node, "class", node.kind + (e == null ? " open" : "") + (error ? " error" : ""));
    }
    function segment(parent, kind, s, e) { const node = el("div", null, parent); node.kind = "seg " + kind; place(node, s, e); return node; }
    function fmt(ms) {
      if (!(ms > 0)) return "0";
      return ms < 1000 ? Math.round(ms) + " ms" : +(ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    }
    // 1, 1.5, 2, 3, 5, 7.5 × 10ⁿ: the scale changes in steps, so bars do not shrink on every frame.
    function niceUp(x) {
      const p = Math.pow(10, Math.floor(Math.log10(x)));
      return [1, 1.5, 2, 3, 5, 7.5, 10].map((m) => m * p).find((v) => v >= x);
    }
    function setStatus(text) { mode = text === "run finished" ? "finished" : text; statusEl.textContent = text; statusEl.dataset.state = mode; }

    function reset() {
      envs = new Map(); invs = new Map(); sections = new Map(); queueRows = new Map(); throttleGroups = new Map();
      origin = null; span = 0; shown = 0; endAt = null; growing = new Set();
      for (const id of ["functions", "throttle-list", "throttle-lane", "queues", "axis"]) $("#" + id).textContent = "";
      $("#throttle-row").hidden = true;
      $("#no-throttles").hidden = $("#no-queues").hidden = false;
      totalsEls = {};
      for (const node of document.querySelectorAll("[data-total]")) { totalsEls[node.dataset.total] = node; set(node, "text", "0"); }
      board.style.setProperty("--o", 0);
    }

    // The waterfall starts at the first activity, not at the lab's start, so a late viewer of a lab that
    // idled for an hour still sees a readable picture.
    function seen(t) {
      if (t == null || (origin !== null && t >= origin)) return;
      origin = t;
      board.style.setProperty("--o", t);
      span = 0;
    }

    function section(functionName, version) {
      const key = functionName + " " + version;
      let s = sections.get(key);
      if (!s) {
        const node = el("section", "fn", functionsEl);
        node.dataset.function = functionName; node.dataset.version = version;
        const h = el("h2", null, node, functionName + " ");
        el("small", null, h, version);
        s = { node };
        sections.set(key, s);
      }
      return s;
    }

    function environment(id, functionName, version) {
      let e = envs.get(id);
      if (e) return e;
      const row = el("div", "row env", section(functionName, version).node);
      row.dataset.environment = id;
      const label = el("div", "label", row);
      e = { d: { environmentID: id, functionName, version }, row, slots: [], phases: [], init: null,
            name: el("b", null, label, id), phase: el("span", "phase", label), kind: el("span", "kind", label),
            pid: el("span", "pid", label), lane: el("div", "lane", row) };
      envs.set(id, e);
      return e;
    }

    function kindText(x) {
      if (x.initializationType === "provisioned-concurrency") return "provisioned" + (x.provisionedFor ? " · " + x.provisionedFor : "");
      if (x.initializationType === "lambda-managed-instances") return "managed instance · " + Math.max(0, x.capacity - x.inFlight) + " of " + x.capacity + " free";
      return x.initializationType || "";
    }

    function onEnvironment(d) {
      const e = environment(d.environmentID, d.functionName, d.version);
      const x = Object.assign(e.d, d);
      set(e.row, "data-phase", x.phase);
      // Every phase the row has been through, so a test that reads the page after the lab stopped (and
      // removed its environments) can still tell that each one went idle.
      if (!e.phases.includes(x.phase)) { e.phases.push(x.phase); set(e.row, "data-phases", e.phases.join(" ")); }
      set(e.row, "data-kind", x.initializationType);
      set(e.phase, "text", PHASES[x.phase] || x.phase);
      set(e.kind, "text", kindText(x));
      set(e.pid, "text", x.pid != null ? "pid " + x.pid : "");
      // Init drawn on the environment (slot 0), so provisioned and managed environments show theirs too.
      const start = x.spawnedAtMs ?? (x.phase === "initializing" ? (e.firstAt ??= x.at) : null);
      const end = x.initDurationMs != null ? start + x.initDurationMs : null;
      if (start == null || (end == null && x.phase !== "initializing")) return;
      seen(start);
      e.init ??= segment(e.lane, "init", start, end);
      place(e.init, start, end);
      set(e.init, "title", "Init" + (end != null ? " " + fmt(x.initDurationMs) : "…"));
    }

    function onInvocation(d) {
      let i = invs.get(d.requestID);
      if (!i) {
        const e = environment(d.environmentID ?? "unplaced", d.functionName, d.version);
        seen(d.receivedAtMs);
        // The lowest sub-row free when this invocation arrived: one row for an on-demand environment,
        // as many as run at once on a managed instance.
        let slot = e.slots.findIndex((busyUntil) => busyUntil <= d.receivedAtMs);
        if (slot < 0) { slot = e.slots.length; set(e.lane, "--rows", slot + 1); }
        const box = el("div", "inv", e.lane);
        box.dataset.requestId = d.requestID;
        box.style.setProperty("--slot", slot);
        i = { d: {}, e, slot, box, wait: segment(box, "wait", d.receivedAtMs, null), handler: null };
        if (d.coldStart) el("div", "cold-mark", box).style.setProperty("--s", d.receivedAtMs);
        invs.set(d.requestID, i);
      }
      const x = Object.assign(i.d, d), started = x.handlerStartedAtMs;
      const end = x.state !== "finished" ? null
        : started != null && x.durationMs != null ? started + x.durationMs : x.at;
      if (started != null) i.handler ??= segment(i.box, "handler", started, end);
      place(i.wait, x.receivedAtMs, started ?? end, !!x.functionError && !i.handler);
      if (i.handler) place(i.handler, started, end, !!x.functionError);
      // A cold start's REPORT has its Init Duration: the environment's Init bar ends there, even if
      // the environment was gone before the page saw its Init end.
      if (x.state === "finished" && x.coldStart && x.initDurationMs != null && started != null && i.e.d.initDurationMs == null) {
        onEnvironment({ environmentID: i.e.d.environmentID, functionName: x.functionName, version: x.version,
                        spawnedAtMs: i.e.d.spawnedAtMs ?? started - x.initDurationMs, initDurationMs: x.initDurationMs, at: x.at });
      }
      i.e.slots[i.slot] = end ?? Infinity;
      set(i.box, "data-state", x.state);
    }

    // An invocation's figures, as a tooltip written when the pointer reaches its bar rather than at every event.
    function describe(x) {
      const started = x.handlerStartedAtMs;
      return [x.requestID, (x.coldStart ? "cold start" : "warm") + (x.spillover ? ", spillover" : ""),
        started != null ? "waited " + fmt(started - x.receivedAtMs) : "waiting",
        x.initDurationMs != null ? "Init " + fmt(x.initDurationMs) : "",
        x.durationMs != null ? "handler " + fmt(x.durationMs) + ", billed " + fmt(x.billedDurationMs) : "",
        x.functionError ? "error: " + x.functionError + (x.errorType ? " (" + x.errorType + ")" : "") : ""].filter(Boolean).join("\n");
    }
    functionsEl.addEventListener("mouseover", (event) => {
      const box = event.target.closest(".inv"), i = box && invs.get(box.dataset.requestId);
      if (i) box.title = describe(i.d);
    });

    // A mark on the "throttled" lane for each 429, and one line per function and Reason, counted.
    function onThrottle(d) {
      seen(d.at);
      $("#throttle-row").hidden = false;
      $("#no-throttles").hidden = true;
      const mark = el("div", "thr", $("#throttle-lane"));
      mark.style.setProperty("--s", d.at);
      mark.title = d.functionName + ": " + d.status + " " + d.reason;
      const key = d.functionName + " " + d.reason;
      let g = throttleGroups.get(key);
      if (!g) {
        g = { count: 0, li: el("li", null, $("#throttle-list")) };
        g.li.dataset.throttleReason = d.reason;
        throttleGroups.set(key, g);
      }
      g.count += 1;
      g.li.textContent = "";
      el("b", null, g.li, d.status + " " + d.functionName + " × " + g.count);
      el("code", null, g.li, d.reason);
      el("small", null, g.li, "last at " + fmt(d.at - origin));
    }

    const QUEUE_COUNTS = { accepted: "accepted", queued: "queued", succeeded: "succeeded", sentToDestination: "sent to destination", dropped: "dropped" };
    function onQueue(d) {
      $("#no-queues").hidden = true;
      let q = queueRows.get(d.functionName);
      if (!q) {
        const node = el("div", "queue", $("#queues"));
        node.dataset.queue = d.functionName;
        el("b", null, node, d.functionName);
        q = {};
        for (const k in QUEUE_COUNTS) { const span = el("span", null, node); q[k] = el("b", null, span); q[k].dataset.count = k; span.append(" " + QUEUE_COUNTS[k]); }
        queueRows.set(d.functionName, q);
      }
      for (const k in QUEUE_COUNTS) q[k].textContent = d[k] ?? 0;
    }

    function onTotals(d) { totals = d; }   // written once per frame, by `tick`: only the latest counts matter

    function onSnapshot(d) {
      reset();
      const number = (id) => parseInt(String(id).replace(/\D+/g, ""), 10) || 0;
      [...d.environments].sort((a, b) => number(a.environmentID) - number(b.environmentID)).forEach(onEnvironment);
      [...d.recent, ...d.invocations].sort((a, b) => a.receivedAtMs - b.receivedAtMs).forEach(onInvocation);
      // A finished invocation whose environment is no longer listed ran on one that is gone.
      for (const [id, e] of envs) if (!e.d.phase) onEnvironment({ environmentID: id, functionName: e.d.functionName, version: e.d.version, phase: "removed", at: d.at });
      d.throttles.forEach(onThrottle);
      d.queues.forEach(onQueue);
      onTotals(d.totals);
      if (mode === "connecting") setStatus("live");
    }

    function finish(at) {
      endAt = at ?? shown;   // the lab's word on when it ended, over this page's estimate
      if (stream) { stream.close(); stream = null; }   // or EventSource would reconnect to a lab that is gone
      replay = null;
      setStatus("run finished");
      $("#replay-controls").hidden = false;
      $("#replay").textContent = "Replay";
    }

    function apply(type, d) {
      switch (type) {
        case "snapshot": onSnapshot(d); break;
        case "environment": onEnvironment(d); break;
        case "invocation": onInvocation(d); break;
        case "throttle": onThrottle(d); break;
        case "queue": onQueue(d); break;
        case "totals": onTotals(d); break;
        case "end": finish(d.at); break;
      }
    }

    // The lab's clock: the last event's time plus what has passed here since, never going backwards.
    function now() {
      if (endAt != null) return endAt;
      const t = mode === "replaying" ? replay.t : lastAt + (performance.now() - lastWall);
      return (shown = Math.max(shown, t));
    }

    function drawAxis() {
      const axis = $("#axis");
      axis.textContent = "";
      const step = niceUp(span / 6);
      for (let v = 0; v <= span + 1e-9; v += step) {
        el("div", "tick", axis, fmt(v)).style.setProperty("--t", v);
      }
    }

    function tick() {
      const t = now();
      for (const node of growing) set(node, "--e", t);
      if (totals) { for (const k in totalsEls) if (totals[k] != null) set(totalsEls[k], "text", String(totals[k])); totals = null; }
      if (origin === null) return;
      const wanted = niceUp(Math.max(t - origin, 100) * 1.05);
      if (wanted !== span) { span = wanted; board.style.setProperty("--span", span); drawAxis(); }
      $("#clock").textContent = "t = " + fmt(t - origin);
    }

    function stepReplay() {
      const r = replay;
      r.t = r.base + (performance.now() - r.wall) * r.speed;
      const next = r.events[r.i];
      if (next && next[1].at - r.t > QUIET_GAP) { r.base += next[1].at - r.t - QUIET_GAP / 4; r.t = next[1].at - QUIET_GAP / 4; }
      while (replay && r.i < r.events.length && r.events[r.i][1].at <= r.t) apply(...r.events[r.i++]);
      if (replay && r.i >= r.events.length) finish(r.t);   // a log without `end` (the stream was lost)
    }

    function drain() { const batch = pending; pending = []; for (const [type, d] of batch) apply(type, d); }
    function frame() {
      if (mode === "replaying") stepReplay(); else drain();
      tick();
      if (mode === "live" || mode === "replaying" || pending.length) requestAnimationFrame(frame);
      else ticking = false;
    }
    function wake() { if (!ticking) { ticking = true; requestAnimationFrame(frame); } }

    function startReplay() {
      if (mode === "replaying") {        // Stop: jump to the end of the recording
        const last = replay.events[replay.events.length - 1][1].at;
        while (replay) apply(...(replay.events[replay.i++] ?? ["end", { at: last }]));
        return;
      }
      if (!log.length) return;
      reset();
      const at = log[0][1].at ?? 0;
      replay = { events: log.slice(), i: 0, t: at, base: at, wall: performance.now(), speed: Number($("#speed").value) || 1 };
      setStatus("replaying");
      $("#replay").textContent = "Stop";
      wake();
    }

    function connect() {
      stream = new EventSource("/lab/events");
      for (const type of TYPES) {
        stream.addEventListener(type, (message) => {
          const d = JSON.parse(message.data);
          log.push([type, d]);
          if (typeof d.at === "number") { lastAt = Math.max(lastAt, d.at); lastWall = performance.now(); }
          pending.push([type, d]);
          // The end is drawn at once, not at the next frame: a headless browser may print the page
          // as soon as the stream closes, and must see it finished.
          if (type === "end") { drain(); tick(); } else wake();
        });
      }
      stream.onopen = () => { if (mode === "connecting") setStatus("live"); };
      // A dropped stream means the lab is gone (a lab that stops sends `end` first): keep what is on screen.
      stream.onerror = () => {
        if (mode === "live") { stream.close(); stream = null; pending.push(["end", { at: now() }]); drain(); tick(); }
        else if (mode === "connecting") statusEl.textContent = "connecting (retrying)";
      };
    }

    // The time axis sticks under the header, whose height changes as it wraps.
    const header = $("header");
    new ResizeObserver(() => document.body.style.setProperty("--hh", header.offsetHeight + "px")).observe(header);
    $("#replay").addEventListener("click", startReplay);
    lastAt = 0; lastWall = performance.now();
    reset();
    connect();
    </script>
    </body>
    </html>
    """#
}

/// The watch page's script, first part: its state, and how each event draws an environment's row,
/// an invocation's bar, a throttle or the queue's counts.
extension WatchPage {
    /// Drawing: state and the event handlers.
    static let drawingScript: String = #"""
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

    """#
}

/// The watch page's script, second part: the snapshot, the event stream and its connection, the
/// frame-by-frame drawing, and the replay of a finished run.
extension WatchPage {
    /// The stream: snapshot, apply, the clock, replay and the connection.
    static let streamScript: String = #"""
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
    """#
}

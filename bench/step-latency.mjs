// Step latency: a key press to the frame that shows the step, measured as the web platform and
// Chromium measure an interaction (bench/diagram.mjs and bench/profile-step.mjs use it).
//
// The key is pressed for real (Playwright's keyboard: CDP `Input.dispatchKeyEvent`, a trusted
// event whose timeStamp is when the browser took it, as an OS key press), at no particular
// moment of the frame (the presses are spaced by the step's own frames plus 0–16 ms, so they
// fall at every phase of the display's 60 Hz, as a person's do). For each press, on the same
// presses:
// - **Event Timing** (the page's own instrument, what INP is made of): a PerformanceObserver of
//   type 'event' with durationThreshold 16. Its `duration` is from the event's timeStamp to the
//   presentation of the next frame painted after its handlers, rounded to 8 ms; a keydown under
//   16 ms gives no entry (counted below 16).
// - **Chromium's trace** (browser-wide): `EventLatency` of type KEY_PRESSED, from the key's
//   timestamp to the presentation of the frame that carries its update (the trace's
//   `EventTiming` has the same duration unrounded: both come from the same presentation
//   feedback). The headline figure.
// - **In the page**: the keydown handler's start and end, and the main thread done with the
//   frame that shows the step (a message posted from that frame's requestAnimationFrame runs
//   after its style, layout and paint): what the page itself costs, without the compositor's
//   raster, draw and presentation.
// - **Old instrument** (`oldStepLatency`, kept to compare): a synthetic keydown dispatched in a
//   requestAnimationFrame callback, to the next frame's callback. That is the start of the frame
//   AFTER the one that shows the step, so every sample includes one whole frame interval.

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);

/** Starts Chromium's trace (browser-wide) of input latency and event timing. */
export async function startTrace(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['devtools.timeline', 'input', 'benchmark'] },
    transferMode: 'ReportEvents',
  });
  return {
    async stop() {
      const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
      await cdp.send('Tracing.end');
      await done;
      await cdp.detach();
      return events;
    },
  };
}

/**
 * EventLatency's stages (Chromium's names), in four: the key reaching the renderer's main
 * thread; the page's keydown handlers (and the render they set off); from there to the commit
 * of the frame that carries the update (waiting for the next frame, then its style, layout,
 * paint); the compositor's raster and activation; drawing and presenting the frame.
 */
const STAGES = {
  input: ['GenerationToBrowserMain', 'BrowserMainToRendererCompositor', 'RendererCompositorQueueingDelay',
    'RendererCompositorProcessing', 'RendererCompositorToMain'],
  handlers: ['RendererMainProcessing'],
  // One of: the frame's BeginMainFrame already sent (…ToCommit), or not yet (the three others).
  to_commit: ['RendererMainFinishedToCommit', 'RendererMainFinishedToBeginImplFrame', 'RendererMainFinishedToSendBeginMainFrame',
    'BeginImplFrameToSendBeginMainFrame', 'SendBeginMainFrameToCommit'],
  raster: ['Commit', 'EndCommitToActivation', 'Activation'],
  draw: ['EndActivateToSubmitCompositorFrame', 'SubmitCompositorFrameToPresentationCompositorFrame'],
};

/** Async slices (`b` … `e`) of one name, with their begin event. */
function slices(events, name) {
  const open = new Map();
  const out = [];
  for (const e of events.filter((x) => x.name === name).sort((a, b) => a.ts - b.ts)) {
    const k = `${e.pid}:${e.id2?.local ?? e.id}`;
    if (e.ph === 'b') open.set(k, e);
    else if (e.ph === 'e' && open.has(k)) {
      const b = open.get(k);
      open.delete(k);
      out.push({ b, ts: b.ts, ms: (e.ts - b.ts) / 1000 });
    }
  }
  return out;
}

/**
 * Trace figures per keydown: `at` is the event's timeStamp in the page's clock (ms; the page
 * sees it coarsened to 0.1 ms, so samples are joined to the nearest within 0.5 ms), `latency`
 * (EventLatency KEY_PRESSED, which begins at the same instant) and `timing` (EventTiming
 * keydown, unrounded).
 */
export function traceByKey(events) {
  const parts = Object.fromEntries(Object.values(STAGES).flat().map((n) => [n, slices(events, n)]));
  const latency = new Map(slices(events, 'EventLatency')
    .filter((s) => s.b.args?.event_latency?.event_type === 'KEY_PRESSED').map((s) => {
      // Its stages: slices with the same id, within it.
      const stages = {};
      for (const [stage, names] of Object.entries(STAGES)) {
        stages[stage] = 0;
        for (const n of names) {
          for (const p of parts[n]) {
            if (p.b.pid === s.b.pid && p.b.id2?.local === s.b.id2?.local && p.ts >= s.ts && p.ts <= s.ts + s.ms * 1000) stages[stage] += p.ms;
          }
        }
      }
      return [s.ts, { ms: s.ms, stages }];
    }));
  const out = [];
  for (const e of events) {
    const d = e.name === 'EventTiming' && e.ph === 'b' && e.args?.data;
    if (!d || d.type !== 'keydown') continue;
    const l = latency.get(e.ts);
    out.push({ at: d.timeStamp, timing: d.duration, latency: l?.ms ?? null, stages: l?.stages ?? null });
  }
  return {
    get(ts) {
      let best = null;
      for (const t of out) if (Math.abs(t.at - ts) < 0.5 && (!best || Math.abs(t.at - ts) < Math.abs(best.at - ts))) best = t;
      return best;
    },
  };
}

/** Installs the page's recorders (once per page). */
export async function installRecorders(page) {
  await page.evaluate(() => {
    if (window.__steps) return;
    window.__steps = [];
    window.__eventTiming = new Map();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.name === 'keydown') window.__eventTiming.set(e.startTime, e.duration);
      }
    }).observe({ type: 'event', durationThreshold: 16, buffered: true });
    // The player's step: the app's data-step (the position follows it a frame later since
    // session 22, with the side panels), else the position (older builds).
    const pos = () => document.querySelector('.app[data-step]')?.dataset.step ?? document.querySelector('#position')?.textContent;
    // Capture on window: before the page's own listener on the document.
    window.addEventListener('keydown', (e) => {
      const scroller = document.querySelector('.diagram');
      const rec = { ts: e.timeStamp, start: performance.now(), before: pos(), shown: null, top: scroller?.scrollTop };
      window.__steps.push(rec);
      requestAnimationFrame(() => {
        rec.frameAfter = pos();
        rec.scrolled = document.querySelector('.diagram')?.scrollTop !== rec.top;
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          rec.shown = performance.now();
          window.__onShown?.();
        };
        ch.port2.postMessage(0);
      });
    }, { capture: true });
    // After the page's own listener on the document (added before this one) and the render it
    // set off in a microtask.
    document.addEventListener('keydown', () => {
      const rec = window.__steps[window.__steps.length - 1];
      if (rec) rec.bubbled = performance.now();
    });
  });
}

/**
 * `n` presses of `key`, each shown before the next (see the file's head). Returns the raw
 * samples; `trace` is a Map from traceByKey (or null), joined after the trace stops.
 */
export async function pressSteps(page, key, n) {
  await installRecorders(page);
  const from = await page.evaluate(() => window.__steps.length);
  for (let i = 0; i < n; i++) {
    await page.keyboard.press(key);
    // Wait until the frame that shows it is done, two frames more, then 0–16 ms (every phase).
    // (No polling: a timer every few ms would itself delay frames.)
    await page.evaluate((j) => new Promise((res) => {
      const next = () => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(res, (j * 7) % 17)));
      window.__onShown = null;
      if (window.__steps[j]?.shown != null) next();
      else window.__onShown = () => { if (window.__steps[j]?.shown != null) { window.__onShown = null; next(); } };
    }), from + i);
  }
  return page.evaluate((f) => {
    const out = window.__steps.slice(f).map((r) => ({
      ts: r.ts, delay: r.start - r.ts, handler: r.bubbled - r.start, changed: r.frameAfter !== r.before, scrolled: r.scrolled,
      shown: r.shown - r.ts, api: window.__eventTiming.get(r.ts) ?? null,
    }));
    return out;
  }, from);
}

/** Summary of samples (from pressSteps), with the trace's figures joined by timeStamp. */
export function summarize(samples, trace) {
  const lat = [];
  const tim = [];
  const staged = [];
  // Steps whose row was out of view (the diagram scrolled to it) and the others.
  const scrolled = [];
  const still = [];
  for (const s of samples) {
    const t = trace?.get(s.ts);
    if (t?.latency != null) lat.push(t.latency);
    if (t?.timing != null) tim.push(t.timing);
    if (t?.stages) staged.push({ ms: t.latency, ...t.stages });
    if (t?.latency != null) (s.scrolled ? scrolled : still).push(t.latency);
  }
  // Each stage's p50, and its mean over the slowest 5 % of presses (where the p95 comes from).
  const stages = {};
  const slow = [...staged].sort((a, b) => b.ms - a.ms).slice(0, Math.max(1, Math.ceil(staged.length * 0.05)));
  for (const k of Object.keys(STAGES)) {
    stages[k] = { p50_ms: r1(pct(staged.map((x) => x[k]), 0.5)), slowest_5pct_ms: r1(slow.reduce((a, x) => a + x[k], 0) / slow.length) };
  }
  // The API gives no entry under 16 ms: those count as 0 in its percentiles (shown as "< 16").
  const api = samples.map((s) => s.api ?? 0);
  const shown = samples.map((s) => s.shown);
  const handler = samples.map((s) => s.handler);
  return {
    n: samples.length,
    latency_p50_ms: r1(pct(lat, 0.5)), latency_p95_ms: r1(pct(lat, 0.95)), latency_samples: lat.length,
    latency_stages: staged.length ? stages : null,
    scrolled: { n: scrolled.length, p50_ms: r1(pct(scrolled, 0.5)), p95_ms: r1(pct(scrolled, 0.95)) },
    not_scrolled: { n: still.length, p50_ms: r1(pct(still, 0.5)), p95_ms: r1(pct(still, 0.95)) },
    event_timing_trace_p50_ms: r1(pct(tim, 0.5)), event_timing_trace_p95_ms: r1(pct(tim, 0.95)),
    event_timing_api_p50_ms: pct(api, 0.5), event_timing_api_p95_ms: pct(api, 0.95),
    event_timing_api_over_16: samples.filter((s) => (s.api ?? 0) > 16).length,
    main_thread_p50_ms: r1(pct(shown, 0.5)), main_thread_p95_ms: r1(pct(shown, 0.95)),
    handler_p50_ms: r1(pct(handler, 0.5)), handler_p95_ms: r1(pct(handler, 0.95)),
    changed_in_next_frame: samples.filter((s) => s.changed).length,
  };
}

/**
 * The old instrument, kept to compare: a synthetic keydown dispatched at the start of a frame
 * (in a requestAnimationFrame callback) to the NEXT frame's callback, and the work alone (key
 * to the step applied and laid out).
 */
export async function oldStepLatency(page, key, n) {
  const frame = [];
  const work = [];
  for (let i = 0; i < n; i++) {
    const t = await page.evaluate((k) => new Promise((res) => requestAnimationFrame(() => {
      const app = document.querySelector('.app[data-step]');
      const pos = app ?? document.querySelector('#position');
      const read = () => (app ? app.dataset.step : pos.textContent);
      const before = read();
      const t0 = performance.now();
      const mo = new MutationObserver(() => {
        if (read() === before) return;
        mo.disconnect();
        document.querySelector('.arrow.current')?.getBoundingClientRect();
        const w = performance.now() - t0;
        requestAnimationFrame(() => res([w, performance.now() - t0]));
      });
      mo.observe(pos, app ? { attributes: true, attributeFilter: ['data-step'] } : { childList: true, subtree: true, characterData: true });
      document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    })), key);
    work.push(t[0]);
    frame.push(t[1]);
  }
  return { old_p50_ms: r1(pct(frame, 0.5)), old_p95_ms: r1(pct(frame, 0.95)), work_p50_ms: r1(pct(work, 0.5)), work_p95_ms: r1(pct(work, 0.95)) };
}

// What the live bench's long frames are (`LIVE_TRACE=full LIVE_TRACE_OUT=FILE node
// tests/e2e/live-bench.mjs`, then `node tests/e2e/live-frames.mjs FILE [MS=50]`).
//
// A frame is the time from one animation frame's task to the next on the page's main thread.
// For each frame longer than MS it says where the wall time went:
// - the main thread's tasks: their wall time, and the thread time (CPU) they ran; the
//   difference is time a task was ready but had no core ("waiting in tasks");
// - the main thread idle between tasks (nothing to run: waiting for the stream, the
//   compositor's next begin-frame, or the GPU process);
// - by kind of its CPU (script, style, layout, paint, gc), the elements restyled and the layout
//   objects dirty, and each V8 or Blink garbage collection in it;
// - the functions with the most self time, from V8's samples (a build that keeps the wasm's
//   names shows the Rust functions);
// - the other threads of Chromium that ran meanwhile (compositor, raster, the GPU process),
//   and the largest of the main thread's tasks with what they ran.
import fs from 'node:fs';

const file = process.argv[2];
const MS = Number(process.argv[3] || 50);
const events = JSON.parse(fs.readFileSync(file, 'utf8')).traceEvents;

const names = new Map();
const procs = new Map();
for (const e of events) {
  if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  if (e.ph === 'M' && e.name === 'process_name') procs.set(e.pid, e.args.name);
}
const count = new Map();
for (const e of events) if (e.name === 'FireAnimationFrame') count.set(`${e.pid}:${e.tid}`, (count.get(`${e.pid}:${e.tid}`) || 0) + 1);
const main = [...count].sort((a, b) => b[1] - a[1])[0][0];
const TOP = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);
const byThread = new Map();
for (const e of events) {
  if (e.ph !== 'X' || e.dur === undefined) continue;
  const k = `${e.pid}:${e.tid}`;
  if (!byThread.has(k)) byThread.set(k, []);
  byThread.get(k).push(e);
}
for (const xs of byThread.values()) xs.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
// The outermost events of a thread (its tasks).
const outer = (xs) => {
  const out = [];
  let end = -Infinity;
  for (const e of xs) if (e.ts >= end) { out.push(e); end = e.ts + e.dur; }
  return out;
};
const mainXs = byThread.get(main);
const tasks = outer(mainXs.filter((e) => TOP.has(e.name) || e.name === 'FireAnimationFrame' || e.name === 'FunctionCall'));
const starts = [...new Set(mainXs.filter((e) => e.name === 'FireAnimationFrame').map((e) => {
  const t = tasks.find((x) => x.ts <= e.ts && e.ts < x.ts + x.dur);
  return t ? t.ts : e.ts;
}))].sort((a, b) => a - b);

// V8's samples: the nodes of each profile (by id), and each sample's time.
const nodes = new Map();
const samples = [];
const profiles = new Map();
for (const e of events) {
  if (e.name === 'Profile') profiles.set(e.id, { t: e.args.data.startTime });
  if (e.name !== 'ProfileChunk') continue;
  const d = e.args.data;
  const p = profiles.get(e.id) || { t: 0 };
  for (const n of d.cpuProfile?.nodes || []) nodes.set(`${e.id}:${n.id}`, { name: n.callFrame.functionName || `(${(n.callFrame.url || 'anonymous').split('/').pop()})`, parent: n.parent ? `${e.id}:${n.parent}` : null });
  const ss = d.cpuProfile?.samples || [];
  const td = d.timeDeltas || [];
  for (let i = 0; i < ss.length; i += 1) { p.t += td[i] || 0; samples.push({ t: p.t, node: `${e.id}:${ss[i]}` }); }
  profiles.set(e.id, p);
}
samples.sort((a, b) => a.t - b.t);
const interval = samples.length > 1 ? (samples[samples.length - 1].t - samples[0].t) / samples.length : 0;

const KIND = [
  ['gc', /(GC|^V8\.GC|MajorGC|MinorGC|BlinkGC)/],
  ['style', /^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet)$/],
  ['layout', /^(Layout|UpdateLayerTree)$/],
  ['paint', /^(Paint|PrePaint|Layerize|UpdateLayer|CompositeLayers|Commit|PaintImage)$/],
  ['script', /^(FunctionCall|EvaluateScript|TimerFire|FireAnimationFrame|EventDispatch|v8\.|V8\.)/],
];
const kindOf = (n) => (KIND.find(([, re]) => re.test(n)) || [null])[0];
const r = (x) => Math.round(x * 10) / 10;

function describe(s, e) {
  const wall = (e - s) / 1000;
  const inFrame = mainXs.filter((x) => x.ts >= s && x.ts < e);
  const ts = tasks.filter((x) => x.ts >= s && x.ts < e);
  const busyWall = ts.reduce((a, x) => a + Math.min(x.dur, e - x.ts), 0) / 1000;
  const cpu = ts.reduce((a, x) => a + (x.tdur ?? x.dur), 0) / 1000;
  // Self thread time by kind (nesting inside the frame's events).
  const by = {};
  const stack = [];
  const nodesK = [];
  for (const x of inFrame) {
    while (stack.length && x.ts >= stack[stack.length - 1].ts + stack[stack.length - 1].dur) stack.pop();
    const parent = stack[stack.length - 1];
    const n = { ts: x.ts, dur: x.dur, cpu: x.tdur ?? x.dur, kind: kindOf(x.name) || parent?.kind || 'other', kids: 0 };
    if (parent) parent.kids += n.cpu;
    stack.push(n);
    nodesK.push(n);
  }
  for (const n of nodesK) by[n.kind] = (by[n.kind] || 0) + Math.max(0, n.cpu - n.kids) / 1000;
  const gcs = inFrame.filter((x) => /^(MinorGC|MajorGC|V8\.GC_MARK_COMPACTOR|V8\.GCFinalizeMC|BlinkGC\.AtomicPhase|V8\.GC_MC_INCREMENTAL)$/.test(x.name) || /grow/i.test(x.name))
    .map((x) => `${x.name} ${r(x.dur / 1000)} ms (cpu ${r((x.tdur ?? x.dur) / 1000)})`);
  const styled = inFrame.filter((x) => x.name === 'UpdateLayoutTree').reduce((a, x) => a + Number(x.args?.elementCount ?? 0), 0);
  const dirty = inFrame.filter((x) => x.name === 'Layout').reduce((a, x) => a + Number(x.args?.beginData?.dirtyObjects ?? 0), 0);
  // The tasks, largest first, with what ran in them.
  const what = (t) => {
    const inner = inFrame.filter((x) => x.ts >= t.ts && x.ts < t.ts + t.dur && x !== t);
    const fc = inner.filter((x) => ['FunctionCall', 'EventDispatch', 'TimerFire', 'FireAnimationFrame', 'ProxyMain::BeginMainFrame', 'ParseHTML', 'EvaluateScript'].includes(x.name))
      .map((x) => `${x.name}${x.args?.data?.type ? `(${x.args.data.type})` : ''}${x.args?.data?.functionName ? `(${x.args.data.functionName})` : ''}`);
    return [...new Set(fc)].slice(0, 4).join(', ');
  };
  const top = [...ts].sort((a, b) => b.dur - a.dur).slice(0, 4).map((t) => `${r((t.ts - s) / 1000)}+${r(t.dur / 1000)} ms (cpu ${r((t.tdur ?? t.dur) / 1000)}): ${what(t)}`);
  // Samples in the frame: self and the innermost wasm function (names kept).
  const self = new Map();
  const wasm = new Map();
  for (const sm of samples) {
    if (sm.t < s || sm.t >= e) continue;
    const n = nodes.get(sm.node);
    if (!n || n.name === '(idle)' || n.name === '(program)') continue;
    self.set(n.name, (self.get(n.name) || 0) + 1);
    for (let p = n, i = 0; p && i < 200; p = nodes.get(p.parent), i += 1) {
      if (/^[_$]|::|\$/.test(p.name) && !/^(\(|js-to-wasm|wasm-to-js)/.test(p.name)) { wasm.set(p.name, (wasm.get(p.name) || 0) + 1); break; }
    }
  }
  const topOf = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${r(v * interval / 1000)} ms ${k.slice(0, 90)}`);
  // Other threads' tasks overlapping the frame.
  const others = [];
  for (const [k, xs] of byThread) {
    if (k === main) continue;
    let w = 0;
    let c = 0;
    for (const x of outer(xs)) {
      const a = Math.max(s, x.ts);
      const b = Math.min(e, x.ts + x.dur);
      if (b <= a) continue;
      w += b - a;
      c += (x.tdur ?? x.dur) * (b - a) / Math.max(1, x.dur);
    }
    if (w > 2000) others.push(`${procs.get(Number(k.split(':')[0])) || '?'}/${names.get(k) || k} ${r(w / 1000)} ms (cpu ${r(c / 1000)})`);
  }
  return {
    at_ms: r((s - starts[0]) / 1000), during: e > clicksAt ? 'clicks' : 'run', wall: r(wall), main_tasks_wall: r(busyWall), main_cpu: r(cpu), waiting_in_tasks: r(busyWall - cpu), main_idle: r(wall - busyWall),
    by_kind: Object.fromEntries(Object.entries(by).filter(([, v]) => v >= 0.5).map(([k, v]) => [k, r(v)])), styled, layout_dirty: dirty, gc: gcs,
    tasks: top, self: topOf(self), rust: topOf(wasm), other_threads: others,
  };
}

// The bench's mark where its clicks (pause, back, live) begin, once the page has caught up.
const clicksAt = events.find((e) => e.name === 'bench-interact')?.ts ?? Infinity;
const frames = [];
for (let i = 0; i + 1 < starts.length; i += 1) if ((starts[i + 1] - starts[i]) / 1000 > MS) frames.push(describe(starts[i], starts[i + 1]));
console.log(JSON.stringify({ frames: starts.length - 1, sample_interval_ms: r(interval / 1000), over: MS, long: frames }, null, 1));

// The live bench's trace (LIVE_TRACE=1): each frame's main-thread CPU time, by kind.
//
// A frame's length (the gap between two animation frames) is partly the time the page waits
// for a core on a loaded machine; the trace's thread time (`tdur`) is what its main thread
// itself ran. Frames are the top-level tasks that fire animation frames; a frame's CPU is the
// thread time of the tasks from its start to the next one's, split by the kind of the
// innermost traced event (script, style, layout, paint; what no event names is "other").
// Counts beside the times (they do not depend on the machine's load): the elements whose
// style was recalculated (`UpdateLayoutTree`'s elementCount) and the layout objects that
// needed layout (`Layout`'s dirtyObjects) and were in the layout's scope (totalObjects).

const KINDS = [
  ['style', /^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet)$/],
  ['layout', /^(Layout|UpdateLayerTree)$/],
  ['paint', /^(Paint|PrePaint|Layerize|UpdateLayer|CompositeLayers|Commit|PaintImage|Decode Image|IntersectionObserverController::computeIntersections)$/],
  ['gc', /(GC|^V8\.GC)/],
  ['script', /^(FunctionCall|EvaluateScript|TimerFire|FireAnimationFrame|EventDispatch|FireIdleCallback|v8\.|V8\.|XHRReadyStateChange|v8\.compile|ParseHTML)/],
];
const kindOf = (name) => (KINDS.find(([, re]) => re.test(name)) || [null])[0];
const TOP = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);

export function frameCpu(events) {
  // The renderer's main thread: the CrRendererMain with the most animation frames.
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`);
  const count = new Map();
  for (const e of events) if (e.name === 'FireAnimationFrame') count.set(`${e.pid}:${e.tid}`, (count.get(`${e.pid}:${e.tid}`) || 0) + 1);
  const main = mains.sort((a, b) => (count.get(b) || 0) - (count.get(a) || 0))[0];
  if (!main) return null;
  const xs = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === main && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Nesting: each event's self thread time goes to its kind (or its parent's kind).
  const tasks = [];
  const nodes = [];
  const stack = [];
  for (const e of xs) {
    while (stack.length && e.ts >= stack[stack.length - 1].ts + stack[stack.length - 1].dur) stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent && !TOP.has(e.name) && !kindOf(e.name)) continue;
    const node = { ts: e.ts, dur: e.dur, cpu: e.tdur ?? e.dur, kind: kindOf(e.name) || parent?.kind || 'other', children: 0 };
    if (parent) {
      parent.children += node.cpu;
      node.task = parent.task;
    } else {
      node.task = { ts: e.ts, cpu: node.cpu, by: {}, anim: false, styled: 0, dirty: 0, scope: 0, layouts: 0 };
      tasks.push(node.task);
    }
    if (e.name === 'UpdateLayoutTree') node.task.styled += Number(e.args?.elementCount ?? 0);
    if (e.name === 'Layout') {
      node.task.layouts += 1;
      node.task.dirty += Number(e.args?.beginData?.dirtyObjects ?? 0);
      node.task.scope += Number(e.args?.beginData?.totalObjects ?? 0);
    }
    if (e.name === 'FireAnimationFrame') node.task.anim = true;
    stack.push(node);
    nodes.push(node);
  }
  for (const n of nodes) n.task.by[n.kind] = (n.task.by[n.kind] || 0) + Math.max(0, n.cpu - n.children);
  const starts = tasks.filter((t) => t.anim).map((t) => t.ts);
  const frames = [];
  let j = 0;
  for (let i = 0; i + 1 < starts.length; i += 1) {
    const f = { wall: (starts[i + 1] - starts[i]) / 1000, cpu: 0, by: {}, styled: 0, dirty: 0, scope: 0, layouts: 0 };
    while (j < tasks.length && tasks[j].ts < starts[i]) j += 1;
    for (; j < tasks.length && tasks[j].ts < starts[i + 1]; j += 1) {
      f.cpu += tasks[j].cpu / 1000;
      for (const k of ['styled', 'dirty', 'scope', 'layouts']) f[k] += tasks[j][k];
      for (const [k, v] of Object.entries(tasks[j].by)) f.by[k] = (f.by[k] || 0) + v / 1000;
    }
    frames.push(f);
  }
  const r = (x) => Math.round(x * 10) / 10;
  const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s.length ? r(s[Math.min(s.length - 1, Math.floor(s.length * p))]) : null; };
  const row = (f) => ({ wall: r(f.wall), cpu: r(f.cpu), ...Object.fromEntries(Object.entries(f.by).map(([k, v]) => [k, r(v)])), styled: f.styled, layout_dirty: f.dirty, layout_scope: f.scope });
  const sum = (k) => frames.reduce((x, f) => x + f[k], 0);
  const total = { cpu: 0 };
  for (const f of frames) { total.cpu += f.cpu; for (const [k, v] of Object.entries(f.by)) total[k] = (total[k] || 0) + v; }
  return {
    frames: frames.length,
    cpu_ms: { p50: pct(frames.map((f) => f.cpu), 0.5), p95: pct(frames.map((f) => f.cpu), 0.95), max: pct(frames.map((f) => f.cpu), 1) },
    cpu_over_50ms: frames.filter((f) => f.cpu > 50).length,
    cpu_over_100ms: frames.filter((f) => f.cpu > 100).length,
    // The main thread's tasks during the frames (each task's own CPU, not its wait for a core):
    // the longest, and how many took over 16 and 50 ms (a task over 16 ms of the page's own
    // work cannot fit in a frame at 60 Hz even on an idle core).
    task_cpu_ms: (() => {
      const xs = tasks.filter((t) => starts.length && t.ts >= starts[0] && t.ts < starts[starts.length - 1]).map((t) => t.cpu / 1000);
      return { max: r(Math.max(0, ...xs)), over_16: xs.filter((c) => c > 16).length, over_50: xs.filter((c) => c > 50).length };
    })(),
    total_ms: Object.fromEntries(Object.entries(total).map(([k, v]) => [k, Math.round(v)])),
    // Over the frames: elements restyled, layouts, layout objects dirty and in scope.
    counts: { styled: sum('styled'), layouts: sum('layouts'), layout_dirty: sum('dirty'), layout_scope: sum('scope') },
    longest: [...frames].sort((a, b) => b.wall - a.wall).slice(0, 6).map(row),
    busiest: [...frames].sort((a, b) => b.cpu - a.cpu).slice(0, 6).map(row),
  };
}

// Where a step's time goes in the page: opens the made-up log of N messages (bench/gen-log.mjs)
// in the built page (dist/, or BENCH_DIST), steps forward and back under Chrome's sampling
// profiler (CDP `Profiler`) and prints the functions with the most self time. A wasm build
// whose names are kept (wasm-opt off or with -g) shows Rust's function names.
//   node bench/profile-step.mjs [messages=10000] [steps=40]
// TRACE=1: Chrome's trace instead of the profiler: the renderer's main-thread time per step
// by kind (script, style, layout, paint, ...) and how many objects layout touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { makeLog } from './gen-log.mjs';
import { pressSteps } from './step-latency.mjs';

const n = Number(process.argv[2] || 10000);
const steps = Number(process.argv[3] || 40);
const dist = path.resolve(process.env.BENCH_DIST || DIST);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-prof-'));
const file = path.join(dir, `log-${n}.jsonl`);
fs.writeFileSync(file, makeLog(n));
const server = await serveDist(dist);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('#position');
  const cdp = await page.context().newCDPSession(page);
  // FIRST=1: the profile of opening the file (to its first draw) instead of the steps.
  const first = !!process.env.FIRST;
  if (first) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  const t0 = Date.now();
  await page.setInputFiles('#import', file);
  await page.waitForFunction((k) => document.querySelector('#position').textContent === `step 0 of ${k}`, n);
  if (first) {
    const prof = await cdp.send('Profiler.stop');
    console.log(`opened in about ${Date.now() - t0} ms`);
    if (process.env.PROFILE_OUT) fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(prof.profile));
    profileTable(prof, [0]);
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
  const trace = [];
  if (process.env.TRACE) {
    cdp.on('Tracing.dataCollected', (e) => trace.push(...e.value));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink', transferMode: 'ReportEvents' });
  } else {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  // As bench/diagram.mjs steps (bench/step-latency.mjs): real key presses at any moment of the
  // frame, the next one after the frame that shows the step; `times` are key press to the main
  // thread done with that frame.
  const samples = await pressSteps(page, 'ArrowRight', steps);
  await page.keyboard.press('End');
  await page.waitForFunction((k) => document.querySelector('#position').textContent === `step ${k} of ${k}`, n);
  samples.push(...await pressSteps(page, 'ArrowLeft', steps));
  const times = samples.map((s) => s.shown);
  if (process.env.TRACE) {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    if (process.env.TRACE_OUT) fs.writeFileSync(process.env.TRACE_OUT, JSON.stringify({ traceEvents: trace }));
    summarizeTrace(trace, times);
  } else {
    const prof = await cdp.send('Profiler.stop');
    if (process.env.PROFILE_OUT) fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(prof.profile));
    profileTable(prof, times);
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The functions with the most self time in a CPU profile. */
function profileTable({ profile }, times) {
  const self = new Map();
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
  let total = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) || 0;
    const name = node.callFrame.functionName || `(${node.callFrame.url.split('/').pop() || 'anonymous'})`;
    if (name === '(idle)' || name === '(program)') continue;
    total += us;
    self.set(name, (self.get(name) || 0) + us);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`${n} messages, ${times.length} steps: key to main thread done p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms; busy ${(total / 1000).toFixed(0)} ms`);
  // INCLUSIVE=1: time in each function and what it called (a recursive function counted once).
  let table = self;
  if (process.env.INCLUSIVE) {
    const byId = new Map(profile.nodes.map((nd) => [nd.id, nd]));
    const incl = new Map();
    const walk = (nd, open) => {
      const name = nd.callFrame.functionName || `(${nd.callFrame.url.split('/').pop() || 'anonymous'})`;
      let us = dt.get(nd.id) || 0;
      const fresh = !open.has(name);
      if (fresh) open.add(name);
      for (const c of nd.children || []) us += walk(byId.get(c), open);
      if (fresh) {
        open.delete(name);
        if (name !== '(idle)' && name !== '(program)' && name !== '(root)') incl.set(name, (incl.get(name) || 0) + us);
      }
      return us;
    };
    walk(profile.nodes[0], new Set());
    table = incl;
  }
  for (const [name, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 40))) {
    console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${(100 * us / total).toFixed(1).padStart(5)} %  ${name.slice(0, 140)}`);
  }
}

/** The renderer main thread's complete events by name, per step, and layout's object counts. */
function summarizeTrace(events, times) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const on = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur);
  const names = ['FunctionCall', 'EventDispatch', 'TimerFire', 'FireAnimationFrame', 'RunMicrotasks', 'v8.callFunction',
    'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'HitTest', 'CommitLoad', 'ScrollLayer',
    'IntersectionObserverController::computeIntersections', 'ParseHTML', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER'];
  const by = new Map();
  for (const e of on) {
    if (!names.includes(e.name)) continue;
    const b = by.get(e.name) || { n: 0, us: 0, cpu: 0, max: 0 };
    b.n++; b.us += e.dur; b.cpu += e.tdur || 0; b.max = Math.max(b.max, e.dur);
    by.set(e.name, b);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`${times.length} steps: key to main thread done p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms`);
  // Thread time (CPU) is what the page costs whatever the machine's load; wall time includes
  // waiting for a core.
  let busy = 0;
  let end = 0;
  for (const e of on.sort((a, b) => a.ts - b.ts)) {
    if (e.ts >= end) { busy += e.tdur || 0; end = e.ts + e.dur; }
  }
  console.log(`main thread busy (CPU) ${(busy / 1000 / times.length).toFixed(2)} ms a step`);
  console.log('event (nested events count in their parents too): count, wall ms, wall ms a step, CPU ms a step, max wall ms');
  for (const [name, b] of [...by].sort((a, b) => b[1].cpu - a[1].cpu)) {
    console.log(`${name.padEnd(28)} ${String(b.n).padStart(6)} ${(b.us / 1000).toFixed(1).padStart(9)} ${(b.us / 1000 / times.length).toFixed(2).padStart(7)} ${(b.cpu / 1000 / times.length).toFixed(2).padStart(7)} ${(b.max / 1000).toFixed(1).padStart(7)}`);
  }
  const layouts = on.filter((e) => e.name === 'Layout' && e.args?.beginData);
  const dirty = layouts.map((e) => e.args.beginData.dirtyObjects || 0).sort((a, b) => a - b);
  const total = layouts.map((e) => e.args.beginData.totalObjects || 0);
  if (dirty.length) console.log(`layouts: ${dirty.length}; dirty objects p50 ${dirty[dirty.length >> 1]}, max ${dirty[dirty.length - 1]}; total objects max ${Math.max(...total)}`);
  const styles = on.filter((e) => e.name === 'UpdateLayoutTree' && e.args?.elementCount != null).map((e) => e.args.elementCount).sort((a, b) => a - b);
  if (styles.length) console.log(`style recalcs: ${styles.length}; elements p50 ${styles[styles.length >> 1]}, max ${styles[styles.length - 1]}`);
}

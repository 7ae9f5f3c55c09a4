// What a step makes Chromium invalidate, repaint, raster and draw (issue 15's step latency):
// opens the made-up log of N messages (bench/gen-log.mjs) in the built page (dist/, or
// BENCH_DIST), presses → then ← under a trace with the paint and raster categories, and
// prints per step:
// - a summary: the thread time of the keydown's script, style, layout, pre-paint, paint and
//   layerize on the main thread, the raster tasks (one a tile) and viz's draw (the software
//   renderer's quads), with their counts: counted figures, steadier than wall time under load;
// - the events with the most thread time, by process/thread;
// - the objects invalidated (style, layout and paint invalidation tracking: node, reason).
// bench/paint-rects.mjs shows the areas repainted (screenshots) and the composited layers.
// The same for the floor page (one line of text changed per key) with FLOOR=1.
//   node bench/paint-probe.mjs [messages=10000] [steps=20]
// PROBE_OUT=file: the whole trace, to open in chrome://tracing or Perfetto.
// PROBE_CSS='rules': a style sheet added to the page before the steps (to try a change of the
// style sheet without a build; the page's CSP is bypassed for it). PROBE_JS='script': the same
// for a script run in the page (a change of the DOM).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { openGenerated } from './gen-log.mjs';
import { pressSteps } from './step-latency.mjs';

const n = Number(process.argv[2] || 10000);
const steps = Number(process.argv[3] || 20);
const dist = path.resolve(process.env.BENCH_DIST || DIST);
const floor = !!process.env.FLOOR;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-probe-'));
const server = await serveDist(dist);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: !!process.env.PROBE_CSS });
  if (floor) {
    await page.setContent('<p id="position">step 0 of 100</p><script>let n = 0; document.addEventListener(\'keydown\', () => { document.querySelector(\'#position\').textContent = `step ${++n} of 100`; });</script>');
  } else {
    await openGenerated(page, server.url, n, dir);
    if (process.env.PROBE_CSS) await page.addStyleTag({ content: process.env.PROBE_CSS });
    // PROBE_JS='script': run in the page before the steps (to try a change of the DOM without a build).
    if (process.env.PROBE_JS) await page.evaluate(process.env.PROBE_JS);
    // A few steps first, so that what happens once (the first draw's leftovers) is not counted.
    // PROBE_FROM (3): where the steps start; beyond the first screen of rows (e.g. 40) each
    // step scrolls the diagram by a row, as most of the benchmark's steps do.
    await pressSteps(page, 'ArrowRight', Number(process.env.PROBE_FROM || 3));
  }
  const cdp = await browser.newBrowserCDPSession();
  const trace = [];
  cdp.on('Tracing.dataCollected', (e) => trace.push(...e.value));
  await cdp.send('Tracing.start', {
    traceConfig: {
      includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.invalidationTracking',
        'blink', 'cc', 'viz', 'gpu', 'benchmark', 'input'],
    },
    transferMode: 'ReportEvents',
  });
  const samples = await pressSteps(page, 'ArrowRight', steps);
  if (!floor) samples.push(...await pressSteps(page, 'ArrowLeft', steps));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  await done;
  if (process.env.PROBE_OUT) fs.writeFileSync(process.env.PROBE_OUT, JSON.stringify({ traceEvents: trace }));
  report(trace, samples.length);
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

function report(events, k) {
  const threads = new Map();
  for (const e of events) if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
  const procs = new Map();
  for (const e of events) if (e.name === 'process_name') procs.set(e.pid, e.args.name);
  // The page's renderer: the process whose main thread ran the key's handlers.
  const ed = events.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown');
  const rpid = ed?.pid;
  const thread = (e) => `${procs.get(e.pid) === 'Renderer' && e.pid !== rpid ? 'other renderer' : procs.get(e.pid) || e.pid}/${threads.get(`${e.pid}:${e.tid}`) || e.tid}`;
  // Complete events' thread time (wall if none) by thread and name, per step; nested events of
  // the same name counted once (the outermost).
  const by = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const key = `${thread(e)}  ${e.name}`;
    const b = by.get(key) || { n: 0, us: 0, cpu: 0 };
    b.n++; b.us += e.dur; b.cpu += e.tdur ?? e.dur;
    by.set(key, b);
  }
  // The headline: what each part costs a step (thread ms), and how many tiles and quads.
  const get = (t, name) => by.get(`${t}  ${name}`) || { n: 0, us: 0, cpu: 0 };
  const rm = (name) => get('Renderer/CrRendererMain', name);
  const head = [['script', rm('EventDispatch')], ['style', rm('UpdateLayoutTree')], ['layout', rm('Layout')], ['prepaint', rm('PrePaint')],
    ['paint', rm('Paint')], ['layerize', rm('Layerize')], ['raster', get('Renderer/ThreadPoolForegroundWorker', 'RasterTask')],
    ['draw', get('GPU Process/VizCompositorThread', 'DirectRenderer::DrawFrame')], ['quads', get('GPU Process/VizCompositorThread', 'SoftwareRenderer::DoDrawQuad')]];
  console.log(`SUMMARY per step, thread ms (count): ${head.map(([name, b]) => `${name} ${(b.cpu / k / 1000).toFixed(2)} (${(b.n / k).toFixed(1)})`).join(', ')}`);
  console.log(`${k} steps; per step: count, wall ms, thread ms (the 45 largest by thread time)`);
  for (const [name, b] of [...by].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, Number(process.env.TOP || 45))) {
    console.log(`${(b.n / k).toFixed(1).padStart(6)} ${(b.us / k / 1000).toFixed(2).padStart(7)} ${(b.cpu / k / 1000).toFixed(2).padStart(7)}  ${name}`);
  }
  // Paint invalidations: which objects, why.
  const inv = new Map();
  for (const e of events) {
    if (e.name !== 'PaintInvalidationTracking' && e.name !== 'StyleRecalcInvalidationTracking' && e.name !== 'LayoutInvalidationTracking') continue;
    const d = e.args?.data || {};
    const key = `${e.name.replace('InvalidationTracking', '')}: ${d.nodeName || '?'} (${d.reason || d.subtree || ''})`;
    inv.set(key, (inv.get(key) || 0) + 1);
  }
  console.log('\ninvalidations per step (kind: node, reason)');
  for (const [key, c] of [...inv].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(c / k).toFixed(1).padStart(6)}  ${key}`);
}

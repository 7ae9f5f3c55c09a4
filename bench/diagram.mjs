// The diagram's figures for the benchmark (bench/bench.mjs prints and stores them):
// - step latency p50/p95 and DOM nodes with logs of 100, 1,000 and 10,000 messages (made up
//   like `mailsim serve --log` writes them: bench/gen-log.mjs), the time to first draw of the
//   10,000 log, the JS heap;
// - the world simulating about 1,000 messages (the class scenario with 13 pairs) in wasm, in
//   the page, against the native `mailsim` binary (target/release; scripts/bench.sh builds it);
// - the same 2,000-message diagram drawn by Mermaid 11 (npm `mermaid`) in the same browser
//   against ours.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { makeLog } from './gen-log.mjs';
import { pressSteps, summarize, startTrace, traceByKey, oldStepLatency } from './step-latency.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_DIST: another build of the page to measure (e.g. a copy of an older dist/).
const DIST_USED = path.resolve(process.env.BENCH_DIST || DIST);
const STEPS = Number(process.env.BENCH_STEPS || 60);
// BENCH_OLD=0: without the old instrument's figures (bench/step-latency.mjs).
const OLD = process.env.BENCH_OLD !== '0';
// BENCH_TRACE=0: without Chromium's trace (the Event Timing API's figures alone).
const TRACE = process.env.BENCH_TRACE !== '0';
// BENCH_PARTS: which of steps, floor, world, mermaid to measure (all by default), e.g. `world`.
const PARTS = new Set((process.env.BENCH_PARTS || 'steps,floor,world,mermaid').split(','));
// BENCH_WARM_RUNS: how often the world's file is opened again in one page (6): the warm figure
// is the best after the first. On a loaded machine V8 takes longer to optimize the code it runs
// (its compiling threads wait for a core), so more runs find the warm figure.
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS || 6);
// BENCH_SIZES: the logs' sizes for the step figures (100,1000,10000 by default).
const SIZES = (process.env.BENCH_SIZES || '100,1000,10000').split(',').map(Number);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const r1 = (x) => Math.round(x * 10) / 10;

async function openLog(page, file, total) {
  await page.evaluate(() => {
    window.__opened = null;
    document.querySelector('#import').addEventListener('change', () => { window.__opened = performance.now(); }, { once: true, capture: true });
  });
  await page.setInputFiles('#import', file);
  // First draw: the file chosen to the first frame showing its diagram.
  return page.evaluate((n) => new Promise((res) => {
    const check = () => {
      if (document.querySelector('#position').textContent === `step 0 of ${n}` && document.querySelector('.arrow')) {
        requestAnimationFrame(() => res(performance.now() - window.__opened));
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  }), total);
}

const nodes = (page) => page.evaluate(() => document.getElementsByTagName('*').length);

async function heap(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/** The class scenario with `pairs` pairs, as a file. */
function classFile(pairs) {
  const text = fs.readFileSync(path.join(ROOT, 'scenarios/class.toml'), 'utf8')
    .replace(/^n = 100$/m, `n = ${pairs}`).replace(/^id = "class"$/m, 'id = "class-bench"');
  const file = path.join(DIST_USED, 'bench-class.toml');
  fs.writeFileSync(file, text);
  return file;
}

/**
 * The native binary on the same file, best of 7: `run` is `Scenario::run` alone, timed inside
 * the process by `mailsim run --time` (a fresh process: the first run, cold); `process` is the
 * whole process (reading the file, parsing it, running, writing the JSON lines), the figure
 * earlier runs compared against.
 *
 * And the same work as the page's figure (`window.mailsimRunMs`: the engine module runs the
 * world and writes its log as JSON lines, the page reads them back), natively: the example
 * `world_phases` (crates/engine-wasm/examples; scripts/bench.sh builds it) runs the file 7
 * times in one process and times `Scenario::run`, `to_jsonl` and `from_jsonl` each time. Its
 * first run is cold (as the page's first run: nothing kept, SCRAM's Hi() computed), the others
 * warm (as the page's warm runs: the same file again in the same page, the Hi() results kept).
 * `same` is run + to_jsonl + from_jsonl: cold (best of 3 processes) and warm (best of the rest).
 * Only the strings crossing between the two wasm modules have no native counterpart.
 */
function native(file) {
  const bin = path.join(ROOT, 'target/release/mailsim');
  if (!fs.existsSync(bin)) return null;
  const runs = [];
  const processes = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    const out = spawnSync(bin, ['run', '--file', file, '--format', 'json', '-o', '/dev/null', '--time'], { encoding: 'utf8' });
    processes.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const m = /in ([\d.]+) ms/.exec(out.stderr || '');
    if (m) runs.push(Number(m[1]));
  }
  const result = { run: runs.length ? Math.min(...runs) : null, process: Math.min(...processes) };
  // BENCH_PHASES_BIN: another build of world_phases (e.g. the one of the build in BENCH_DIST,
  // so that before and after each set the page against its own native reader).
  const phases = process.env.BENCH_PHASES_BIN || path.join(ROOT, 'target/release/examples/world_phases');
  if (fs.existsSync(phases)) {
    const cold = [];
    const warm = [];
    const warmRun = [];
    for (let i = 0; i < 3; i++) {
      const out = spawnSync(phases, [file, '7'], { encoding: 'utf8' });
      const rows = (out.stdout || '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const same = (r) => r.run_ms + r.to_jsonl_ms + r.from_jsonl_ms;
      if (rows.length) cold.push(same(rows[0]));
      for (const r of rows.slice(1)) { warm.push(same(r)); warmRun.push(r.run_ms); }
    }
    if (cold.length) Object.assign(result, { same_cold: Math.min(...cold), same_warm: Math.min(...warm), run_warm: Math.min(...warmRun) });
  }
  return result;
}

/** A Mermaid sequence diagram of the made-up log: the same two lanes as ours, grouped. */
function mermaidText(messages) {
  const lines = ['sequenceDiagram', '  participant S as mailsim serve', '  participant C as clients (127.0.0.1)'];
  for (const l of makeLog(messages).trim().split('\n')) {
    const e = JSON.parse(l);
    if (e.event !== 'message_sent') continue;
    const label = e.label.replace(/[;#:<>{}]/g, ' ');
    lines.push(e.from === 'server' ? `  S->>C: ${label}` : `  C->>S: ${label}`);
  }
  return lines.join('\n');
}

export async function diagramFigures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-bench-'));
  const server = await serveDist(DIST_USED);
  const browser = await launch();
  const results = { logs: {}, wasm_vs_native: null, mermaid: null };
  const rows = [];
  try {
    for (const n of PARTS.has('steps') ? SIZES : []) {
      const file = path.join(dir, `log-${n}.jsonl`);
      fs.writeFileSync(file, makeLog(n));
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(server.url);
      await page.waitForSelector('#position');
      const first = await openLog(page, file, n);
      // The same presses, measured by the page (Event Timing) and by Chromium's trace.
      const trace = TRACE ? await startTrace(browser) : null;
      const samples = await pressSteps(page, 'ArrowRight', STEPS);
      const at = { nodes: await nodes(page) };
      await page.keyboard.press('End');
      await page.waitForSelector(`#arrow-${n}.current`);
      samples.push(...await pressSteps(page, 'ArrowLeft', STEPS));
      at.nodes = Math.max(at.nodes, await nodes(page));
      const all = summarize(samples, trace && traceByKey(await trace.stop()));
      if (OLD) {
        // The old instrument, on its own presses after these (the worse of the two directions).
        await page.keyboard.press('Home');
        await page.waitForFunction((k) => document.querySelector('#position').textContent === `step 0 of ${k}`, n);
        const f = await oldStepLatency(page, 'ArrowRight', STEPS);
        await page.keyboard.press('End');
        await page.waitForSelector(`#arrow-${n}.current`);
        const b = await oldStepLatency(page, 'ArrowLeft', STEPS);
        for (const k of Object.keys(f)) all[k] = Math.max(f[k], b[k]);
      }
      results.logs[n] = { first_draw_ms: Math.round(first), steps: all, dom_nodes: at.nodes, js_heap_bytes: await heap(page) };
      const m = `${n.toLocaleString('en')} messages`;
      rows.push([`${m}: step p50 / p95 (key to frame presented, trace)`, `${all.latency_p50_ms} / ${all.latency_p95_ms} ms (${all.latency_samples} of ${all.n})`]);
      rows.push([`${m}: Event Timing API p50 / p95 (8 ms, < 16 = 0)`, `${all.event_timing_api_p50_ms} / ${all.event_timing_api_p95_ms} ms (${all.event_timing_api_over_16} over 16)`]);
      rows.push([`${m}: key to main thread done with its frame`, `${all.main_thread_p50_ms} / ${all.main_thread_p95_ms} ms`]);
      rows.push([`${m}: keydown handler and render`, `${all.handler_p50_ms} / ${all.handler_p95_ms} ms`]);
      if (all.latency_stages) {
        const st = Object.entries(all.latency_stages);
        rows.push([`${m}: stages p50 (${st.map(([k]) => k).join(', ')})`, st.map(([, v]) => v.p50_ms).join(', ') + ' ms']);
        rows.push([`${m}: stages, slowest 5 %`, st.map(([, v]) => v.slowest_5pct_ms).join(', ') + ' ms']);
        const [sc, no] = [all.scrolled, all.not_scrolled];
        rows.push([`${m}: steps that scroll / do not: n, p50 / p95`, `${sc.n}: ${sc.p50_ms} / ${sc.p95_ms}; ${no.n}: ${no.p50_ms} / ${no.p95_ms} ms`]);
      }
      if (OLD) rows.push([`${m}: old instrument (to next frame's start; work)`, `${all.old_p50_ms} / ${all.old_p95_ms} ms (${all.work_p50_ms} / ${all.work_p95_ms})`]);
      rows.push([`${m}: DOM nodes, JS heap`, `${at.nodes}, ${(results.logs[n].js_heap_bytes / 1048576).toFixed(1)} MB`]);
      if (n === 10000) rows.push(['10,000 messages: first draw', `${Math.round(first)} ms`]);
      await page.close();
    }

    // The floor: the same presses and instruments on a page that only changes one line of text
    // per key (no wasm, no diagram): what the browser itself adds on this machine at this load.
    if (PARTS.has('floor')) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.setContent('<p id="position">step 0 of 100</p><script>let n = 0; document.addEventListener(\'keydown\', () => { document.querySelector(\'#position\').textContent = `step ${++n} of 100`; });</script>');
      const trace = TRACE ? await startTrace(browser) : null;
      const samples = await pressSteps(page, 'ArrowRight', 2 * STEPS);
      const f = summarize(samples, trace && traceByKey(await trace.stop()));
      results.floor = f;
      rows.push(['floor (a page changing one line): step p50 / p95', `${f.latency_p50_ms} / ${f.latency_p95_ms} ms (Event Timing API ${f.event_timing_api_p50_ms} / ${f.event_timing_api_p95_ms})`]);
      if (f.latency_stages) rows.push(['floor: stages p50 (input, handlers, to_commit, raster, draw)', Object.values(f.latency_stages).map((v) => v.p50_ms).join(', ') + ' ms']);
      await page.close();
    }

    // The world: about 1,000 messages, in wasm in the page and natively.
    if (PARTS.has('world')) {
      const file = classFile(13);
      const wasmRuns = [];
      let messages = 0;
      for (let i = 0; i < 5; i++) {
        const page = await browser.newPage();
        await page.goto(`${server.url}?scenario=bench-class.toml#/file/step/0`);
        await page.waitForFunction(() => /of [1-9]\d{3}/.test(document.querySelector('#position')?.textContent || ''), null, { timeout: 60_000 });
        messages = Number((await page.textContent('#position')).split(' of ')[1]);
        wasmRuns.push(await page.evaluate(() => window.mailsimRunMs));
        await page.close();
      }
      const wasm = Math.min(...wasmRuns);
      // Warm: the same file opened again and again in one page (Open…), so that the engine
      // has compiled the code it runs, as the native binary has: the best of the runs after
      // the first.
      const warmRuns = [];
      {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForSelector('#position');
        for (let i = 0; i < WARM_RUNS; i++) {
          await page.evaluate(() => { window.mailsimRunMs = null; });
          await page.setInputFiles('#import', file);
          await page.waitForFunction(() => window.mailsimRunMs != null && /of [1-9]\d{3}/.test(document.querySelector('#position')?.textContent || ''), null, { timeout: 60_000 });
          if (i > 0) warmRuns.push(await page.evaluate(() => window.mailsimRunMs));
        }
        await page.close();
      }
      const warm = Math.min(...warmRuns);
      const nat = native(file);
      const run = nat?.run;
      results.wasm_vs_native = {
        messages, wasm_ms: r1(wasm), wasm_warm_ms: r1(warm), native_ms: run && r1(run), ratio: run && r1(wasm / run),
        ratio_warm: run && r1(warm / run), native_process_ms: nat && r1(nat.process), ratio_to_process: nat && r1(wasm / nat.process),
      };
      if (nat?.same_cold) {
        // Like for like: the page's figure against the same work natively (native()).
        Object.assign(results.wasm_vs_native, {
          native_same_work_ms: r1(nat.same_cold), native_same_work_warm_ms: r1(nat.same_warm), native_run_warm_ms: r1(nat.run_warm),
          ratio_same_work: r1(wasm / nat.same_cold), ratio_same_work_warm: r1(warm / nat.same_warm),
        });
        rows.push([`world, ${messages} messages: wasm first run / native, same work, first run`, `${r1(wasm)} / ${r1(nat.same_cold)} ms (${r1(wasm / nat.same_cold)}×)`]);
        rows.push([`world, ${messages} messages: wasm warm / native, same work, warm`, `${r1(warm)} / ${r1(nat.same_warm)} ms (${r1(warm / nat.same_warm)}×)`]);
      }
      rows.push([`world, ${messages} messages: wasm first run / native run`, run ? `${r1(wasm)} / ${r1(run)} ms (${r1(wasm / run)}×)` : `${r1(wasm)} ms / (no target/release/mailsim with --time)`]);
      rows.push([`world, ${messages} messages: wasm warm / native run`, run ? `${r1(warm)} / ${r1(run)} ms (${r1(warm / run)}×)` : `${r1(warm)} ms`]);
      if (nat) rows.push([`world, ${messages} messages: native whole process`, `${r1(nat.process)} ms (wasm's first run ${r1(wasm / nat.process)}× that)`]);
      fs.rmSync(file, { force: true });
    }

    // Mermaid 11 against ours, 2,000 messages, same browser.
    const mjs = path.join(ROOT, 'node_modules/mermaid/dist/mermaid.min.js');
    if (PARTS.has('mermaid') && fs.existsSync(mjs)) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(server.url);
      await page.waitForSelector('#position');
      const log = path.join(dir, 'log-2000.jsonl');
      fs.writeFileSync(log, makeLog(2000));
      const ours = await openLog(page, log, 2000);
      await page.close();
      const mp = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await mp.goto('about:blank');
      await mp.addScriptTag({ path: mjs });
      const text = mermaidText(2000);
      const mermaidMs = await mp.evaluate(async (t) => {
        window.mermaid.initialize({ startOnLoad: false, maxTextSize: 10_000_000, maxEdges: 100_000, securityLevel: 'strict' });
        const t0 = performance.now();
        const { svg } = await window.mermaid.render('bench', t);
        const host = document.createElement('div');
        host.innerHTML = svg;
        document.body.append(host);
        await new Promise((r) => requestAnimationFrame(() => r()));
        return performance.now() - t0;
      }, text);
      await mp.close();
      results.mermaid = { messages: 2000, mermaid_ms: Math.round(mermaidMs), ours_ms: Math.round(ours), ratio: r1(mermaidMs / ours) };
      rows.push(['2,000 messages drawn: Mermaid 11 / ours', `${Math.round(mermaidMs)} / ${Math.round(ours)} ms (ours ${r1(mermaidMs / ours)}× faster)`]);
    }
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { rows, results };
}

// Run alone (`node bench/diagram.mjs`): only these figures, printed (BENCH_PARTS, BENCH_DIST).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, results } = await diagramFigures();
  for (const [k, v] of rows) console.log(`${k.padEnd(60)} ${v}`);
  if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
}

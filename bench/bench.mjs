// The benchmark's measurements of the built page in dist/ (scripts/bench.sh builds it first):
// the bundle a browser downloads (gzipped wasm, JS and CSS) and the time to interactive on
// loopback in headless Chromium. Prints a table and merges its figures into
// bench/results.json (other sections of that file, written by other measurements, are kept).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measure, DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { diagramFigures } from './diagram.mjs';
import { typedLineFigures } from './typed-line.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const LOADS = Number(process.env.BENCH_LOADS || 7);
const THROTTLE = Number(process.env.BENCH_THROTTLE || 0);
// Another build to measure (the same figures for a build before a change): BENCH_DIST=DIR.
const BUILD = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : DIST;

const kb = (b) => (b / 1024).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Gzipped bytes per kind: wasm, JS (the wasm-bindgen glue and the loader), CSS. */
function bundle() {
  const { rows, total } = measure(BUILD);
  if (!rows.some((r) => r.file.endsWith('.wasm'))) throw new Error('no wasm in dist/: run trunk build --release first');
  const kinds = { wasm: { raw: 0, gzip: 0 }, js: { raw: 0, gzip: 0 }, css: { raw: 0, gzip: 0 } };
  for (const r of rows) {
    const k = kinds[path.extname(r.file).slice(1)];
    k.raw += r.raw;
    k.gzip += r.gzip;
  }
  return { ...kinds, total: { raw: rows.reduce((s, r) => s + r.raw, 0), gzip: total } };
}

/**
 * Time to interactive: from navigation start to the first frame in which the player's
 * controls are on the page (`#position`, drawn from the default scenario's precomputed log).
 * Then the engines' arrival: the frame in which "Save as scenario" is enabled (the engine
 * module is here and has the scenario: what the learner does runs at once from then on).
 * Each load is a fresh browser context, so nothing comes from a cache.
 */
async function timeToInteractive() {
  const server = await serveDist(BUILD);
  const browser = await launch();
  const runs = [];
  const engine = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(server.url, { waitUntil: 'commit' });
      const handle = await page.waitForFunction(() => document.querySelector('#position') && performance.now(), null, {
        polling: 'raf',
        timeout: 30_000,
      });
      runs.push(Math.round(await handle.jsonValue()));
      const ready = await page.waitForFunction(
        () => document.querySelector('#save-scenario')?.disabled === false && performance.now(),
        null,
        { polling: 'raf', timeout: 60_000 },
      );
      engine.push(Math.round(await ready.jsonValue()));
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return { median_ms: median(runs), runs_ms: runs, engine_ready_median_ms: median(engine), engine_ready_ms: engine };
}

/**
 * A returning learner's first draw (branch boot9): the learner took a server down in
 * alice-to-bob (stored in local storage, as the page keeps it) and comes back in a fresh
 * browser context (nothing cached but local storage). From navigation start to the first frame
 * that shows the scenario with their action (the SYN of a connection the fault makes the
 * server retry), and to the engines' arrival. `kept`: local storage as the page left it (with
 * the log kept by src/kept.rs, where the build keeps one); `no kept log`: the same without it
 * (a build that keeps none, or the first load after a new build). Also the bytes fetched
 * before that frame (the resources whose response had ended, as the server sent them: this
 * server does not compress), a count that does not depend on the machine's load; and with
 * BENCH_THROTTLE=MBIT the loads go through Chromium's network emulation at that many Mbit/s
 * down and 20 ms of latency (a classroom's Wi-Fi rather than loopback).
 */
async function returningLearner() {
  const server = await serveDist(BUILD);
  const browser = await launch();
  const url = `${server.url}#/scenario/alice-to-bob/step/13`;
  const out = {};
  try {
    const prep = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await prep.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false, null, { timeout: 60_000 });
    await page.click('#learn summary');
    await page.click('#tab-faults');
    await page.click('#f-down-bob-server');
    await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
    await page.waitForTimeout(1000);
    const state = await prep.storageState();
    await prep.close();
    const withoutKept = {
      ...state,
      origins: state.origins.map((o) => ({ ...o, localStorage: o.localStorage.filter((e) => !e.name.startsWith('mailsim.kept')) })),
    };
    const keeps = state.origins.some((o) => o.localStorage.some((e) => e.name.startsWith('mailsim.kept.')));
    const variants = keeps ? [['kept', state], ['no kept log', withoutKept]] : [['no kept log', withoutKept]];
    for (const [name, storageState] of variants) {
      const draws = [];
      const engine = [];
      const bytes = [];
      const engineFirst = [];
      for (let i = 0; i < LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, storageState });
        const p = await context.newPage();
        if (THROTTLE) {
          const cdp = await context.newCDPSession(p);
          await cdp.send('Network.enable');
          const rate = (THROTTLE * 1e6) / 8;
          await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: rate, uploadThroughput: rate });
        }
        await p.goto(url, { waitUntil: 'commit' });
        const drawn = await p.waitForFunction(
          () => {
            if (!document.querySelector('#position')
              || ![...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN'))) return false;
            const now = performance.now();
            const done = performance.getEntriesByType('resource').filter((r) => r.responseEnd <= now);
            const nav = performance.getEntriesByType('navigation')[0];
            return { now, bytes: done.reduce((n, r) => n + r.encodedBodySize, nav ? nav.encodedBodySize : 0),
              engine: done.some((r) => /mailsim-engine[^/]*_bg\.wasm/.test(r.name)) };
          },
          null,
          { polling: 'raf', timeout: 60_000 },
        );
        const d = await drawn.jsonValue();
        draws.push(Math.round(d.now));
        bytes.push(d.bytes);
        engineFirst.push(d.engine);
        const ready = await p.waitForFunction(
          () => document.querySelector('#save-scenario')?.disabled === false && performance.now(),
          null,
          { polling: 'raf', timeout: 60_000 },
        );
        engine.push(Math.round(await ready.jsonValue()));
        await context.close();
      }
      out[name] = {
        first_draw_median_ms: median(draws), first_draw_ms: draws, engine_ready_median_ms: median(engine), engine_ready_ms: engine,
        bytes_before_first_draw: median(bytes), engine_before_first_draw: engineFirst.filter(Boolean).length, throttle_mbit: THROTTLE || null,
      };
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

function commit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    return null;
  }
}

// The machine's load (1, 5, 15-minute averages) before and after: the times depend on it.
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const loadBefore = fs.existsSync('/proc/loadavg') ? loadavg() : null;
const size = bundle();
const tti = process.env.BENCH_SKIP_TTI ? null : await timeToInteractive();
const returning = process.env.BENCH_SKIP_RETURNING ? null : await returningLearner();
const diagram = process.env.BENCH_SKIP_DIAGRAM ? null : await diagramFigures();
const typed = process.env.BENCH_SKIP_TYPED ? null : await typedLineFigures(undefined, BUILD);

const rows = [
  ['wasm (gzipped)', `${kb(size.wasm.gzip)} KB`],
  ['JS (gzipped)', `${kb(size.js.gzip)} KB`],
  ['CSS (gzipped)', `${kb(size.css.gzip)} KB`],
  ['bundle total (gzipped)', `${kb(size.total.gzip)} KB`],
  ['wasm (raw)', `${kb(size.wasm.raw)} KB`],
  ...(tti ? [
    [`time to interactive (median of ${tti.runs_ms.length})`, `${tti.median_ms} ms`],
    ['the engines ready (median)', `${tti.engine_ready_median_ms} ms`],
  ] : []),
  ...Object.entries(returning || {}).flatMap(([name, r]) => [
    [`returning learner, ${name}: first draw (median of ${r.first_draw_ms.length})`, `${r.first_draw_median_ms} ms`],
    [`returning learner, ${name}: the engines ready (median)`, `${r.engine_ready_median_ms} ms`],
    [`returning learner, ${name}: bytes fetched before the first draw`, `${kb(r.bytes_before_first_draw)} KB${r.engine_before_first_draw ? ` (engine module in ${r.engine_before_first_draw} of ${r.first_draw_ms.length})` : ''}`],
  ]),
  ...(diagram ? diagram.rows : []),
  ...(typed || []).map((r) => [`playground: a line typed after ${r.sessions} sessions (${r.arrows.toLocaleString('en')} arrows), median / slowest of ${r.lines_ms.length}`,
    `${r.median_ms} / ${r.max_ms} ms`]),
];
const loadAfter = loadBefore && loadavg();
if (loadBefore) rows.push(['machine load (1/5/15 min) before; after', `${loadBefore.join(' ')}; ${loadAfter.join(' ')}`]);
const w = Math.max(...rows.map((r) => r[0].length));
const v = Math.max(...rows.map((r) => r[1].length));
console.log(`| ${'measure'.padEnd(w)} | ${'value'.padStart(v)} |`);
console.log(`|${'-'.repeat(w + 2)}|${'-'.repeat(v + 1)}:|`);
for (const [k, x] of rows) console.log(`| ${k.padEnd(w)} | ${x.padStart(v)} |`);

let results = {};
try {
  results = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
} catch {
  // First run, or an unreadable file: start again.
}
results.date = new Date().toISOString();
results.commit = commit();
results.bundle_bytes = size;
if (tti) results.time_to_interactive = tti;
if (returning) results.returning_learner = returning;
results.load = loadBefore && { before: loadBefore, after: loadAfter };
if (diagram) results.diagram = diagram.results;
if (typed) results.typed_line = typed;
fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS) || RESULTS}`);

// The world in wasm without the page: the engine module alone (crates/engine-wasm, as Trunk
// put it in dist/, or any wasm-bindgen `--target web` output) loads a scenario file and runs it
// RUNS times through its `run` export, in Node or in headless Chromium. Each run is timed around
// the call: `Scenario::run`, the log written as JSON lines and the reply copied out of the
// module (their bytes, a Uint8Array, since branch ratio10; a JS string decoded from them
// before): what the page's `engine::run` gets before it reads the lines back. The first run is
// the cold one (V8 compiles the code as it first meets it), the rest warm. One JSON object per
// run on standard output; the native figures of the same work come from
// `cargo run --release -p mailsim-engine-wasm --example world_phases -- FILE RUNS`.
//
//   node bench/world-wasm.mjs [FILE.toml] [RUNS]            # in Node (add --cpu-prof to profile)
//   BENCH_BROWSER=1 node bench/world-wasm.mjs [FILE] [RUNS]  # in Chromium (a fresh page)
//   BENCH_BROWSER=1 BENCH_PROFILE=x.cpuprofile node bench/world-wasm.mjs  # and its CPU profile
//
// BENCH_ENGINE_DIR: where the module is (default dist/); without FILE, the class scenario with
// 13 pairs (1,027 messages), as bench/diagram.mjs makes it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.resolve(process.env.BENCH_ENGINE_DIR || path.join(ROOT, 'dist'));
// BENCH_PROFILE=FILE (Chromium): the sampling profile of the whole (load and runs), as a
// .cpuprofile (bench/profile-summary.mjs sums it by function).
const PROFILE = process.env.BENCH_PROFILE;

/** The class scenario with `pairs` pairs (bench/diagram.mjs's `classFile`), as text. */
export function classText(pairs) {
  return fs.readFileSync(path.join(ROOT, 'scenarios/class.toml'), 'utf8')
    .replace(/^n = 100$/m, `n = ${pairs}`).replace(/^id = "class"$/m, 'id = "class-bench"');
}

/** The engine module's glue and wasm in `dir`: [js file name, wasm file name]. */
export function engineFiles(dir = DIR) {
  const names = fs.readdirSync(dir);
  const js = names.find((n) => /^mailsim-engine(-[0-9a-f]+)?\.js$/.test(n));
  const wasm = names.find((n) => /^mailsim-engine(-[0-9a-f]+)?_bg\.wasm$/.test(n));
  if (!js || !wasm) throw new Error(`no engine module (mailsim-engine*.js, *_bg.wasm) in ${dir}`);
  return [js, wasm];
}

/** Loads the module `m` (its wasm: bytes or URL) and the scenario `text`: [key, init ms]. */
async function load(m, wasmBytesOrUrl, name, text) {
  const t0 = performance.now();
  await m.default({ module_or_path: wasmBytesOrUrl });
  const initMs = performance.now() - t0;
  const header = JSON.parse(m.load_scenario(name, text));
  if (header.error) throw new Error(header.error);
  return [header.key, Math.round(initMs * 10) / 10];
}

/**
 * Times `runs` runs of scenario `key`, numbered from `first`: the `run` export (the world, its
 * log written as JSON lines and copied out as bytes), and, in a module built with the
 * `phases` exports (bench/build-engine-phases.sh), each phase alone: `world` (`Scenario::run`),
 * `write` (`to_jsonl`), `decode` (the bytes out into JavaScript: the name is from when they
 * were decoded into a string), `encode` (the bytes back into a module's memory), `read`
 * (UTF-8 checked and `EventLog::from_jsonl`, the page's reading).
 */
function timeRuns(m, key, first, runs) {
  const out = [];
  const r3 = (x) => Math.round(x * 1000) / 1000;
  for (let i = first; i < first + runs; i++) {
    let t = performance.now();
    // The log's JSON lines: their bytes (a Uint8Array) since branch ratio10, a string before.
    const jsonl = m.run(key, '[]');
    const runMs = r3(performance.now() - t);
    const text = typeof jsonl === 'string' ? jsonl : new TextDecoder().decode(jsonl);
    const row = { run: i, bytes: jsonl.length, messages: (text.match(/"event":"message_sent"/g) || []).length, run_ms: runMs };
    if (m.phase_run_world) {
      const lap = () => { const now = performance.now(); const d = now - t; t = now; return r3(d); };
      t = performance.now();
      m.phase_run_world(key);
      row.world_ms = lap();
      m.phase_write_jsonl();
      row.write_ms = lap();
      const out = m.phase_take_jsonl();
      row.decode_ms = lap();
      m.phase_length(out);
      row.encode_ms = lap();
      const events = m.phase_read_jsonl(out);
      row.read_ms = r3(lap() - row.encode_ms);
      row.events = events;
    }
    out.push(row);
  }
  return out;
}

async function inNode(file, text, runs) {
  const [js, wasm] = engineFiles();
  const m = await import(pathToFileURL(path.join(DIR, js)).href);
  const [key, initMs] = await load(m, fs.readFileSync(path.join(DIR, wasm)), path.basename(file), text);
  return { init_ms: initMs, runs: timeRuns(m, key, 0, runs) };
}

async function inChromium(file, text, runs) {
  const { serveDist } = await import('../tests/e2e/serve-dist.mjs');
  const { CHROMIUM } = await import('../tests/e2e/browser.mjs');
  const { chromium } = await import('playwright-core');
  const [js, wasm] = engineFiles();
  const server = await serveDist(DIR);
  // tests/e2e/browser.mjs's flags, and BENCH_JS_FLAGS for V8 (e.g. `--no-liftoff`: to see what
  // the cold run costs with every function compiled optimized at once).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ...(process.env.BENCH_JS_FLAGS ? [`--js-flags=${process.env.BENCH_JS_FLAGS}`] : [])],
  });
  try {
    const page = await browser.newPage();
    const cdp = PROFILE ? await page.context().newCDPSession(page) : null;
    // A blank page of the same origin (the server's 404 would do; the page itself would load
    // and run its own first scenario beside the measure).
    await page.goto(`${server.url}${js}`);
    const initMs = await page.evaluate(async ({ js, wasm, name, text, body }) => {
      window.m = await import(`./${js}`);
      // eslint-disable-next-line no-new-func
      const [key, initMs] = await new Function(`return (${body})`)()(window.m, new URL(`./${wasm}`, location.href), name, text);
      window.key = key;
      return initMs;
    }, { js, wasm, name: path.basename(file), text, body: load.toString() });
    await page.evaluate((body) => { window.timeRuns = new Function(`return (${body})`)(); }, timeRuns.toString()); // eslint-disable-line no-new-func
    // The renderer's CPU time (all its threads: V8 compiles on background threads) around each
    // run, from the browser's process list: steadier than the wall time on a loaded machine.
    const bcdp = await browser.newBrowserCDPSession();
    const rendererCpu = async () => {
      const { processInfo } = await bcdp.send('SystemInfo.getProcessInfo');
      return processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0) * 1000;
    };
    const out = [];
    // BENCH_PROFILE_SKIP=N: the profile starts after the first N runs (the warm runs alone).
    const skip = Math.min(runs, Number(process.env.BENCH_PROFILE_SKIP || 0));
    for (let i = 0; i < runs; i++) {
      if (cdp && i === skip) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await cdp.send('Profiler.start');
      }
      const cpu0 = await rendererCpu();
      const [r] = await page.evaluate((a) => window.timeRuns(window.m, window.key, a, 1), i);
      r.cpu_ms = Math.round((await rendererCpu()) - cpu0);
      out.push(r);
    }
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync(PROFILE, JSON.stringify(profile));
    }
    return { init_ms: initMs, runs: out };
  } finally {
    await browser.close();
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] || path.join(os.tmpdir(), 'bench-class.toml');
  const runs = Number(process.argv[3] || 7);
  const text = process.argv[2] ? fs.readFileSync(file, 'utf8') : classText(13);
  const r = await (process.env.BENCH_BROWSER ? inChromium(file, text, runs) : inNode(file, text, runs));
  console.log(JSON.stringify({ where: process.env.BENCH_BROWSER ? 'chromium' : `node ${process.version}`, init_ms: r.init_ms }));
  for (const x of r.runs) console.log(JSON.stringify(x));
}

// Where a step's time goes in the page: opens the made-up log of N messages (bench/gen-log.mjs)
// in the built page (dist/, or BENCH_DIST), steps forward and back under Chrome's sampling
// profiler (CDP `Profiler`) and prints the functions with the most self time. A wasm build
// whose names are kept (wasm-opt off or with -g) shows Rust's function names.
//   node bench/profile-step.mjs [messages=10000] [steps=40]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { makeLog } from './gen-log.mjs';

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
  await page.setInputFiles('#import', file);
  await page.waitForFunction((k) => document.querySelector('#position').textContent === `step 0 of ${k}`, n);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  const stepOnce = (key) => page.evaluate((k) => new Promise((res) => {
    const pos = document.querySelector('#position');
    const before = pos.textContent;
    const t0 = performance.now();
    const mo = new MutationObserver(() => {
      if (pos.textContent === before) return;
      mo.disconnect();
      document.querySelector('.arrow.current')?.getBoundingClientRect();
      res(performance.now() - t0);
    });
    mo.observe(pos, { childList: true, subtree: true, characterData: true });
    document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
  }), key);
  const times = [];
  for (let i = 0; i < steps; i++) times.push(await stepOnce('ArrowRight'));
  await page.keyboard.press('End');
  for (let i = 0; i < steps; i++) times.push(await stepOnce('ArrowLeft'));
  const { profile } = await cdp.send('Profiler.stop');
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
  console.log(`${n} messages, ${times.length} steps: work p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms; busy ${(total / 1000).toFixed(0)} ms`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 40))) {
    console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${(100 * us / total).toFixed(1).padStart(5)} %  ${name.slice(0, 140)}`);
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

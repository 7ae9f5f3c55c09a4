// What one `history.replaceState` costs the page's main thread (src/state.rs writes the step
// into the URL at most about once a second while stepping; Chromium fetches and decodes the
// favicon again after each). Usage: node bench/url-cost.mjs DIST [DIST…] — alternates the
// builds ROUNDS times (env, default 6) and prints each one's renderer main-thread task time per
// call (CDP Performance.getMetrics TaskDuration, 40 calls 120 ms apart, after the first draw).
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';

const dists = process.argv.slice(2);
if (!dists.length) {
  console.error('usage: node bench/url-cost.mjs DIST [DIST…]');
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS || 6);
const CALLS = 40;
const browser = await launch();
const results = Object.fromEntries(dists.map((d) => [d, []]));
for (let round = 0; round < rounds; round++) {
  for (const dir of dists) {
    const srv = await serveDist(dir);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(srv.url + '#/scenario/alice-to-bob/step/1');
    await page.waitForSelector('#position');
    await page.waitForTimeout(1500);
    const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
    const before = await task();
    for (let i = 0; i < CALLS; i++) {
      await page.evaluate((i) => history.replaceState(null, '', `#/scenario/alice-to-bob/step/${(i % 30) + 2}`), i);
      await page.waitForTimeout(120);
    }
    results[dir].push(((await task()) - before) * 1000 / CALLS);
    await page.close();
    await srv.close();
  }
}
await browser.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [dir, xs] of Object.entries(results)) {
  console.log(`${dir}: main-thread task ms per replaceState, median ${median(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(', ')})`);
}

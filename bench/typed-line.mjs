// What a line typed into the playground's terminal costs once the learner has typed many
// sessions before it: each typed line runs the scenario again with every action the learner
// stored (src/state.rs, `Player::replay`), so its cost grows with what came before. The
// playground is opened with K sessions already in local storage (each an SMTP session to
// Alice's server on port 25 that relays a message to Bob: 28 arrows), a new session is
// opened in the terminal and four lines are typed; the time of each is from the key press
// (Enter) to the animation frame in which the terminal shows the server's reply.
//
//   node bench/typed-line.mjs [K,K,...]        (default 0,20,100,200; BENCH_DIST=dir)
// Also part of `scripts/bench.sh` (bench/bench.mjs; BENCH_SKIP_TYPED=1 leaves it out).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';

const SESSION = ['EHLO x', 'MAIL FROM:<alice@alice.example>', 'RCPT TO:<bob@bob.example>', 'DATA', 'Subject: hi', '', 'hello', '.', 'QUIT'];
const TYPED = SESSION.slice(0, 4);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** K terminal sessions as the page stores a learner's actions (`mailsim.actions.ID`, TOML). */
function stored(k) {
  let s = '';
  for (let i = 0; i < k; i++) {
    s += `\n[[action]]\nkind = "terminal"\nat = ${1000 + i * 60000}\nclient = "alice-ua"\nhost = "mail.alice.example"\nport = 25\n`
      + `lines = [\n${SESSION.map((l) => `  ${JSON.stringify(l)},\n`).join('')}]\n`;
  }
  return s;
}

/** For each K: the median and the slowest of the typed lines' times (ms), and the arrows. */
export async function typedLineFigures(ks = [0, 20, 100, 200], dist = process.env.BENCH_DIST || DIST) {
  const server = await serveDist(path.resolve(dist));
  const browser = await launch();
  const out = [];
  try {
    for (const k of ks) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}#/scenario/alice-to-bob/step/0`);
      await page.evaluate((t) => { localStorage.clear(); if (t) localStorage.setItem('mailsim.actions.playground', t); }, stored(k));
      await page.goto(`${server.url}?k=${k}#/scenario/playground/step/0`);
      await page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false, null, { timeout: 120_000 });
      if (!(await page.locator('#tab-terminal').isVisible())) await page.click('#learn summary');
      await page.click('#tab-terminal');
      await page.click('#t-open');
      await page.waitForFunction(() => /S: 220/.test(document.querySelector('#t-out')?.textContent ?? ''), null, { timeout: 120_000 });
      const times = [];
      for (const line of TYPED) {
        await page.fill('#t-line', line);
        const n = await page.evaluate(() => {
          window.__typedAt = null;
          document.querySelector('#t-line').addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__typedAt = performance.now(); }, { once: true, capture: true });
          return (document.querySelector('#t-out').textContent.match(/S: /g) || []).length;
        });
        await page.press('#t-line', 'Enter');
        const shown = await page.waitForFunction(
          (n) => (document.querySelector('#t-out').textContent.match(/S: /g) || []).length > n && performance.now() - window.__typedAt,
          n, { polling: 'raf', timeout: 120_000 },
        );
        times.push(Math.round(await shown.jsonValue()));
      }
      const arrows = Number(/of (\d+)/.exec(await page.textContent('#position'))[1]);
      out.push({ sessions: k, arrows, median_ms: median(times), max_ms: Math.max(...times), lines_ms: times });
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ks = process.argv[2] ? process.argv[2].split(',').map(Number) : undefined;
  for (const r of await typedLineFigures(ks)) {
    console.log(`${r.sessions} sessions before (${r.arrows} arrows): a typed line ${r.median_ms} ms median, ${r.max_ms} ms the slowest (${r.lines_ms.join(', ')})`);
  }
}

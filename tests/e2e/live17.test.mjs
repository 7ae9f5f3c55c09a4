// The live view's per-frame budget (branch live17, issue 16): a burst's draw makes at most
// NEW_PER_FRAME (16) new rows of the diagram and lines of the transcript a frame, the newest
// first, the rest in the next frames (src/growing.rs, `newest_first`). A burst far larger than
// the budget: in every frame the rows and lines drawn are a run of consecutive messages, each
// once, each with its own label (the --log's); and once the page has caught up, the newest
// rows and lines are all there, nothing left for a frame that never came.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { launch, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, logRecords } from './serve-lib.mjs';

const USERS = { 'alice@alice.example': 'alice-Secret1' };
const BUDGET = 16;
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-live17-' });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  serve?.stop();
});

/** A page label as the page cuts it (the diagram's labels end in … when cut). */
const sameLabel = (logged, shown) => logged === shown || (shown.endsWith('…') && logged.startsWith(shown.slice(0, -1)));

/**
 * In the page, at every animation frame: the steps of the diagram's rows drawn and their
 * labels, the transcript's first line number and labels (when they changed since the last
 * frame), and how many row and line elements are new since the frame before.
 */
function watchFrames() {
  const w = window.watch17 = { frames: [], stop: false };
  const seen = new WeakSet();
  let last = '';
  const fresh = (els) => { let k = 0; for (const e of els) if (!seen.has(e)) { seen.add(e); k += 1; } return k; };
  const frame = () => {
    const arrows = [...document.querySelectorAll('.diagram-body svg.rows g.arrow')];
    const ol = document.querySelector('#live-transcript');
    const lines = ol ? [...ol.children] : [];
    const f = {
      position: document.querySelector('#position')?.textContent || '',
      newRows: fresh(arrows),
      newLines: fresh(lines),
    };
    const key = arrows.map((a) => a.dataset.step).join(',') + '|' + (ol?.start ?? '') + ':' + lines.length;
    if (key !== last) {
      last = key;
      f.steps = arrows.map((a) => Number(a.dataset.step));
      f.rowLabels = arrows.map((a) => a.querySelector('.label').textContent);
      f.start = ol ? ol.start : 0;
      f.lineLabels = lines.map((l) => l.querySelector('.label').textContent);
    }
    w.frames.push(f);
    if (!w.stop) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

test('a burst larger than the budget: every frame draws consecutive messages once each, with their labels; at the end the newest are all drawn', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/403|Forbidden|net::/.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => context.close());
  await page.goto(serve.live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  await page.evaluate(watchFrames);
  // One IMAP connection's 600 NOOPs and their replies at once (1,200 messages and more), in
  // two bursts: the first from an empty diagram (every row drawn up to 160), the second beyond
  // (a window of rows), each far more than a frame's budget.
  const sock = net.connect(serve.ports.imap, '127.0.0.1');
  await new Promise((r) => sock.once('data', r));
  const burst = (from, n) => sock.write(Array.from({ length: n }, (_, i) => `t${from + i} NOOP\r\n`).join(''));
  const logged = () => logRecords(serve.logFile).filter((e) => e.event === 'message_sent');
  const settle = async (n) => {
    // The log's writer may be behind the stream: until it has the n replies.
    for (let i = 0; i < 100 && logged().filter((e) => /^t\d+ OK/.test(e.label)).length < n; i += 1) await new Promise((r) => setTimeout(r, 100));
    const all = logged();
    await page.waitForFunction((k) => document.querySelector('#position').textContent === `step ${k} of ${k}`, all.length, { timeout: 15000 });
    return all;
  };
  burst(0, 150);
  await settle(150);
  burst(150, 450);
  const all = await settle(600);
  // The session ends after the test: its LOGOUT's messages would come while the frames are
  // still watched (under load they did, after the newest row was current: steps beyond `all`).
  t.after(() => sock.end('z LOGOUT\r\n'));
  const n = all.length;
  // The newest rows and lines, in view, drawn without anything else happening.
  await page.waitForFunction((k) => {
    const ol = document.querySelector('#live-transcript');
    return document.querySelector(`#arrow-${k}.current`) && ol && ol.start + ol.children.length - 1 === k;
  }, n, { timeout: 5000 });
  await page.waitForTimeout(300);
  const frames = await page.evaluate(() => { window.watch17.stop = true; return window.watch17.frames; });
  assert.deepEqual(errors, [], 'no console errors');

  // Every frame: a run of consecutive steps in the diagram and the transcript, each with the
  // label --log has for that message.
  let checked = 0;
  for (const [k, f] of frames.entries()) {
    if (!f.steps) continue;
    checked += 1;
    f.steps.forEach((s, i) => {
      if (i > 0) assert.equal(s, f.steps[i - 1] + 1, `frame ${k}: rows ${f.steps[i - 1]} then ${s}`);
      assert.ok(sameLabel(all[s - 1].label, f.rowLabels[i]), `frame ${k}: row of step ${s} says "${f.rowLabels[i]}", --log "${all[s - 1].label}"`);
    });
    f.lineLabels.forEach((l, i) => {
      const s = f.start + i;
      assert.ok(s <= n && sameLabel(all[s - 1].label, l), `frame ${k}: line ${s} says "${l}", --log "${all[s - 1]?.label}"`);
    });
  }
  assert.ok(checked > 5, `${checked} frames drew something new`);
  // At the end: the diagram's rows drawn end with the newest, and the window reaches the rows
  // in view (the last 20 or so); the transcript's lines end with the newest.
  const end = frames.filter((f) => f.steps).at(-1);
  assert.equal(end.steps.at(-1), n, 'the newest row is drawn');
  assert.ok(end.steps.length >= 20, `${end.steps.length} rows drawn at the end`);
  assert.equal(end.start + end.lineLabels.length - 1, n, 'the newest line is drawn');
  assert.ok(end.lineLabels.length >= 8, `${end.lineLabels.length} lines drawn at the end`);
  const drawn = await page.getAttribute('.diagram-body', 'data-drawn');
  const [from, to] = drawn.split('-').map(Number);
  assert.equal(to, n, `rows ${drawn} drawn of ${n}`);
  // The budget: the rows and lines made between two of the watcher's frame callbacks. That
  // span can hold two frames' renders, each within the budget: the draw that runs after the
  // watcher's callback, and the next frame's render on the scroll event the draw's scroll
  // caused (scroll events come before the frame callbacks).
  const rows = Math.max(...frames.map((f) => f.newRows));
  const lines = Math.max(...frames.map((f) => f.newLines));
  assert.ok(rows <= 2 * BUDGET, `at most ${2 * BUDGET} new rows a frame (${rows})`);
  assert.ok(lines <= 2 * BUDGET, `at most ${2 * BUDGET} new lines a frame (${lines})`);
  await page.screenshot({ path: path.join(OUT, 'live17-burst.png') });
  t.diagnostic(`per frame (new rows/lines, position): ${frames.filter((f) => f.newRows || f.newLines).map((f) => `${f.newRows}/${f.newLines} ${f.position.replace(/^step \d+ of /, "")}`).join(", ")}`);
  t.diagnostic(`${n} messages, ${frames.length} frames, ${checked} with new rows or lines; new rows a frame at most ${rows}, lines ${lines}; rows drawn at the end ${from}-${to}`);
});

// Branch step16 (issue 15): a step's own frame draws the diagram's row and the position; the
// side panels (details, world) follow in the next frame (src/app.rs, `Deferred`), and the
// diagram follows the current row by pages (src/diagram.rs). What a learner must never see:
// panels left on another step after the last key, panels of two different steps at once, the
// current row out of view.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, panelsShown } from './browser.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const pw = useBrowser();
const { open } = pw;

/**
 * Records, at every animation frame until `stop()`: the position's step, the steps the details
 * and world panels name, and whether the current arrow's row is within the diagram's visible
 * part (below its sticky header).
 */
async function record(page) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__recording = true;
    const num = (sel, re) => {
      const m = re.exec(document.querySelector(sel)?.textContent ?? '');
      return m ? Number(m[1]) : null;
    };
    const frame = () => {
      if (!window.__recording) return;
      const pane = document.querySelector('.diagram');
      const head = document.querySelector('.diagram-sticky');
      const cur = document.querySelector('.arrow.current > rect');
      let inView = null;
      if (cur && pane) {
        const p = pane.getBoundingClientRect();
        const r = cur.getBoundingClientRect();
        const mid = (r.top + r.bottom) / 2;
        inView = mid >= p.top + head.getBoundingClientRect().height && mid <= p.top + pane.clientHeight;
      }
      window.__frames.push({
        // The player's step (the position itself follows with the panels since session 22).
        position: Number(document.querySelector('.app[data-step]')?.dataset.step ?? NaN),
        // What the position says: it moves with the panels, in their frame.
        said: num('#position', /^step (\d+) of/),
        details: num('#details h2', /^Step (\d+):/) ?? (document.querySelector('#details .description') ? 0 : null),
        world: num('#world h2', /^The world at step (\d+)/),
        inView,
        scrolled: pane?.scrollTop,
      });
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return async () => {
    await page.evaluate(() => { window.__recording = false; });
    return page.evaluate(() => window.__frames);
  };
}

/** Key presses as fast as the test can send them (no wait between them). */
async function burst(page, key, n) {
  for (let i = 0; i < n; i++) {
    await page.keyboard.down(key);
    await page.keyboard.up(key);
  }
}

const step = (page) => page.evaluate(() => Number(/^step (\d+)/.exec(document.querySelector('#position').textContent)[1]));
const panels = (page) => page.evaluate(() => ({
  details: document.querySelector('#details h2')?.textContent,
  world: document.querySelector('#world h2')?.textContent,
}));

/** Every frame: details and world name the same step, one the player was at; none after the last. */
function checkFrames(frames, steps, last) {
  assert.ok(frames.length > 0, 'frames were recorded');
  for (const f of frames) {
    assert.equal(f.details, f.world, `details and world show one step: ${JSON.stringify(f)}`);
    assert.equal(f.said, f.world, `the position says the panels' step: ${JSON.stringify(f)}`);
    assert.ok(steps.has(f.world), `the panels show a step the player was at: ${JSON.stringify(f)}`);
    // Once the panels show the step (two frames after it at most). Not in the step's own frame:
    // Yew runs the effects of a render that took over 16 ms after yielding to the browser (its
    // scheduler), so after a long jump (End) under load the row can come into view a frame
    // late, as on main (where the scroll is the same effect).
    if (f.inView !== null && f.world === f.position) assert.ok(f.inView, `the current row is in view: ${JSON.stringify(f)}`);
  }
  const end = frames.at(-1);
  assert.deepEqual([end.position, end.details, end.world], [last, last, last], 'the panels end on the last step');
}

test('quick Next and Back presses: the panels end on the last step, never show two steps, the row stays in view', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/0');
  const stop = await record(page);
  await burst(page, 'ArrowRight', 30);
  await page.click('#next');
  await page.click('#next');
  await burst(page, 'ArrowLeft', 9);
  assert.equal(await step(page), 23);
  await panelsShown(page);
  // Two frames more: nothing changes after the panels caught up.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const frames = await stop();
  checkFrames(frames, new Set(Array.from({ length: 33 }, (_, i) => i)), 23);
  const p = await panels(page);
  assert.match(p.details, /^Step 23: /);
  assert.equal(p.world, 'The world at step 23');
});

test('a burst of presses between two frames coalesces: the panels go to the last step', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/5');
  const stop = await record(page);
  // Twelve presses in one task each, queued at once: several land between two frames.
  await page.evaluate(() => new Promise((done) => {
    let n = 0;
    const press = () => {
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
      if (++n < 12) setTimeout(press, 0); else done();
    };
    press();
  }));
  await panelsShown(page);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const frames = await stop();
  checkFrames(frames, new Set(Array.from({ length: 13 }, (_, i) => 5 + i)), 17);
  // Fewer panel steps than presses were drawn (coalesced), each a step the player was at.
  const shown = new Set(frames.map((f) => f.world));
  assert.ok(shown.has(17));
});

test('a link to a step opens with the panels on that step, in the first frame', async (t) => {
  for (const hash of ['#/scenario/alice-to-bob/step/17', '#/scenario/class/step/400']) {
    const page = await open(t, null);
    await page.goto(pw.server.url + hash);
    const n = Number(hash.split('/').at(-1));
    await page.waitForFunction((k) => document.querySelector('#position')?.textContent.startsWith(`step ${k} of`), n);
    // No wait for the panels: they are on the step already.
    const p = await panels(page);
    assert.match(p.details, new RegExp(`^Step ${n}: `), hash);
    assert.equal(p.world, `The world at step ${n}`, hash);
    await page.close();
  }
});

test('a long log: the view follows by pages, the current row always in view, forward and back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'step16-'));
  const file = path.join(dir, 'log-400.jsonl');
  fs.writeFileSync(file, makeLog(400));
  const page = await open(t, '');
  await page.setInputFiles('#import', file);
  await page.waitForFunction(() => document.querySelector('#position').textContent === 'step 0 of 400');
  const stop = await record(page);
  await burst(page, 'ArrowRight', 80);
  await panelsShown(page);
  await page.keyboard.press('End');
  await page.waitForSelector('#arrow-400.current');
  await burst(page, 'ArrowLeft', 80);
  await panelsShown(page);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await panelsShown(page);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const frames = await stop();
  const steps = new Set([...Array.from({ length: 81 }, (_, i) => i), ...Array.from({ length: 81 }, (_, i) => 320 + i)]);
  checkFrames(frames, steps, 1);
  // By pages: of the 80 steps forward, few moved the view (one row a step moved it at most).
  const forward = frames.filter((f) => f.position >= 1 && f.position <= 80);
  const tops = new Set(forward.map((f) => f.scrolled));
  assert.ok(tops.size <= 12, `the view moved ${tops.size} times over 80 steps forward`);
  assert.ok(tops.size >= 3, 'and it did follow the row');
});

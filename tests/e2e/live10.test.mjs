// The diagram's rows after a change under the pointer (branch live10): a row the diagram
// draws again for another arrow (a collapse, a filter, the labels as the network sees them)
// keeps its element; the tooltip made for the arrow it showed before must follow, at once,
// not when the pointer comes again. And the current row's highlight spans the pane, not only
// the lanes, when the lanes leave room to their right.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser } from './browser.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const { open } = useBrowser();
let file;
before(() => {
  file = path.join(os.tmpdir(), `mailsim-live10-${process.pid}.jsonl`);
  fs.writeFileSync(file, makeLog(100));
});
after(() => fs.rmSync(file, { force: true }));

// Every tooltip in the diagram: an arrow's says its own step; a collapsed connection has only
// its own ("Click to expand"). With the element the test marked, if it is still there.
const tooltips = (page) => page.$$eval('.diagram-body g[data-step], .diagram-body g.collapsed', (rows) => rows.map((g) => ({
  step: g.getAttribute('data-step'),
  collapsed: g.classList.contains('collapsed'),
  titles: [...g.children].filter((c) => c.tagName === 'title').map((c) => c.textContent),
  marked: !!g.__mark,
})));

function check(rows) {
  for (const r of rows) {
    if (r.collapsed) assert.deepEqual(r.titles, ['Click to expand this connection'], `a collapsed row: ${JSON.stringify(r)}`);
    else {
      assert.ok(r.titles.length <= 1, `at most one title: ${JSON.stringify(r)}`);
      for (const t of r.titles) assert.ok(t.startsWith(`Step ${r.step}: `), `row of step ${r.step} says "${t}"`);
    }
  }
}

test('a row drawn again for another arrow does not keep the old tooltip (collapse, expand, filter)', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/1');
  await page.waitForSelector('#arrow-30');
  // The pointer on arrow 30: its tooltip is made. The element is marked to find it again.
  await page.hover('#arrow-30 .label');
  assert.match(await page.$eval('#arrow-30 > title', (x) => x.textContent), /^Step 30: /);
  await page.$eval('#arrow-30', (g) => { g.__mark = true; });
  await page.hover('#arrow-25 .label');
  // The first SMTP connection collapses: the rows below move up, and the marked element (its
  // row by position) now shows another arrow. The pointer does not come back to it.
  await page.click('.collapse[data-conn="1"]');
  await page.waitForSelector('.collapsed');
  const marked = (await tooltips(page)).find((r) => r.marked);
  assert.ok(marked, 'the element is drawn again, not made anew (the case that went stale)');
  assert.notEqual(marked.step, '30', 'it shows another row now');
  check(await tooltips(page));
  const stale = await page.$$eval('.diagram-body title', (ts) => ts.filter((x) => /^Step 30: /.test(x.textContent)).map((x) => x.parentElement.getAttribute('data-step')));
  assert.ok(stale.every((s) => s === '30'), `only arrow 30 says step 30 (rows: ${stale})`);
  // Expanded again, then one connection only: still each title its own row's.
  await page.click('.collapsed');
  await page.waitForSelector('#arrow-30');
  check(await tooltips(page));
  const conns = await page.$$eval('#only-conn option', (os) => os.map((o) => o.value).filter(Boolean));
  await page.selectOption('#only-conn', conns[2]);
  await page.waitForFunction(() => document.querySelectorAll('.diagram-body .arrow').length === 15);
  check(await tooltips(page));
  await page.selectOption('#only-conn', '');
  await page.waitForSelector('#arrow-30');
  check(await tooltips(page));
  // A hover still makes the one title, with the whole label.
  await page.hover('#arrow-30 .time');
  assert.equal((await page.$$eval('#arrow-30 > title', (ts) => ts.map((x) => x.textContent))).length, 1);
});

test('a tooltip does not keep the label of before "show decrypted" was ticked', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth/step/8');
  await page.hover('#arrow-8 .label');
  assert.match(await page.$eval('#arrow-8 > title', (x) => x.textContent), /^Step 8: .*: TLS record, \d+ bytes$/);
  // Ticked with the keyboard: the pointer stays on the row and sends no new mouseover.
  await page.focus('#decrypted');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /^AUTH PLAIN/.test(document.querySelector('#arrow-8 .label').textContent));
  const titles = await page.$$eval('#arrow-8 > title', (ts) => ts.map((x) => x.textContent));
  assert.ok(titles.every((x) => /^Step 8: .*: AUTH PLAIN/.test(x)), `no title with the ciphertext's label: ${titles}`);
  check(await tooltips(page));
  await page.hover('#arrow-7 .label');
  await page.hover('#arrow-8 .label');
  assert.match(await page.$eval('#arrow-8 > title', (x) => x.textContent), /^Step 8: .*: AUTH PLAIN/);
});

test('the current row\'s highlight spans the pane when the lanes leave room', async (t) => {
  const page = await open(t);
  await page.setInputFiles('#import', file);
  await page.waitForFunction(() => document.querySelector('#position').textContent === 'step 0 of 100');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-5.current');
  const m = await page.evaluate(() => {
    const pane = document.querySelector('.diagram');
    const row = document.querySelector('#arrow-5.current > rect').getBoundingClientRect();
    const last = [...document.querySelectorAll('.diagram-head .actor rect')].pop().getBoundingClientRect();
    const p = pane.getBoundingClientRect();
    return { left: row.left - p.left, width: row.width, pane: pane.clientWidth, scroll: pane.scrollWidth, lanesEnd: last.right - p.left };
  });
  assert.ok(m.lanesEnd < m.pane - 100, `two lanes leave room to their right (${JSON.stringify(m)})`);
  assert.ok(m.left <= 1 && m.width >= m.pane - 2, `the highlight spans the pane (${JSON.stringify(m)})`);
  assert.equal(m.scroll, m.pane, 'and the pane does not scroll sideways');
  await page.screenshot({ path: path.join(path.dirname(new URL(import.meta.url).pathname), 'out', 'live10-highlight.png') });
});

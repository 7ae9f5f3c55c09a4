// Scale: the page's size and work per step do not grow with the log. A log of 100 and one of
// 10,000 messages (made up like `mailsim serve --log` writes them, bench/gen-log.mjs) are
// opened; the DOM holds about as many nodes for both, and every step still shows its arrow.
// The built-in class of 200 opens and its last step is drawn. An opened log comes back on a
// reload, and the scenario menu names it.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, panelsShown } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const { open } = useBrowser();
const files = {};
before(() => {
  for (const n of [100, 5000, 10000]) {
    files[n] = path.join(os.tmpdir(), `mailsim-scale-${process.pid}-${n}.jsonl`);
    fs.writeFileSync(files[n], makeLog(n));
  }
});
after(() => {
  for (const f of Object.values(files)) fs.rmSync(f, { force: true });
});

async function importLog(page, file, total) {
  await page.setInputFiles('#import', file);
  await page.waitForFunction((n) => document.querySelector('#position').textContent === `step 0 of ${n}`, total, { timeout: 30_000 });
}

const nodes = (page) => page.evaluate(() => document.getElementsByTagName('*').length);

test('the DOM does not grow with the log: 100 against 10,000 messages', async (t) => {
  const page = await open(t);
  const counts = {};
  for (const n of [100, 10000]) {
    await importLog(page, files[n], n);
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#arrow-5.current');
    const start = await nodes(page);
    await page.keyboard.press('End');
    await page.waitForSelector(`#arrow-${n}.current`);
    counts[n] = Math.max(start, await nodes(page));
  }
  assert.ok(counts[10000] <= 3000, `at most 3,000 nodes at 10,000 messages (${counts[10000]})`);
  assert.ok(counts[10000] <= counts[100] * 1.3, `about as many nodes as at 100 (${counts[100]} → ${counts[10000]})`);
  // Only a window of rows is drawn, and the SVG is as tall as the whole run.
  const drawn = await page.$$eval('.arrow', (as) => as.length);
  assert.ok(drawn < 300, `a window of rows is drawn (${drawn})`);
  assert.equal(await page.getAttribute('.diagram-body', 'data-rows'), '10000');
  // Stepping back from the end, each step's arrow is there and current.
  for (let s = 9999; s > 9990; s--) {
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector(`#arrow-${s}.current`);
  }
  // Home: the first rows are drawn again.
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-1.current');
  // The track jumps: its middle is about the middle of the run.
  const box = await page.locator('.track').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const at = Number((await page.textContent('#position')).split(' ')[1]);
  assert.ok(at > 4000 && at < 6000, `the track's middle is the middle of the run (${at})`);
  await page.waitForSelector(`#arrow-${at}.current`);
});

/** The labels of a log's messages, in order (an arrow's label is the first line of its bytes). */
const labelsOf = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  .filter((e) => e.event === 'message_sent').map((e) => e.label);

/** The transcript's lines drawn: their numbers (the list's start on), texts, the current one's number. */
const transcriptLines = (page) => page.$eval('#transcript .transcript-rows', (box) => {
  const ol = box.querySelector('ol');
  const lis = [...ol.children];
  const gaps = [...box.querySelectorAll('.gap')].reduce((h, g) => h + Number(g.getAttribute('height')), 0);
  return {
    numbers: lis.map((_, i) => ol.start + i),
    texts: lis.map((l) => l.textContent),
    current: lis.map((l, i) => (l.classList.contains('current') && l.getAttribute('aria-current') === 'step' ? ol.start + i : 0)).filter(Boolean),
    height: box.scrollHeight, gaps, top: box.scrollTop, boxHeight: box.clientHeight,
  };
});

/** A transcript line's height in px (src/transcript.rs LINE_PX). */
const LINE = 34;

test('the transcript of 5,000 messages draws a window of lines, the right ones, scrolled or stepped', async (t) => {
  const page = await open(t);
  const labels = labelsOf(files[5000]);
  assert.equal(labels.length, 5000);
  await importLog(page, files[5000], 5000);
  await page.click('#transcript summary');
  await page.waitForSelector('#transcript li');
  /** Checks what is drawn: a bounded window, numbered from the list's start, each line its message's. */
  const check = async (what) => {
    const l = await transcriptLines(page);
    assert.ok(l.texts.length > 0 && l.texts.length <= 100, `${what}: ${l.texts.length} lines drawn (a window)`);
    // The blank boxes and the lines drawn are as tall as every line: the scroll bar is true.
    assert.equal(l.gaps + LINE * l.texts.length, LINE * 5000, `${what}: gaps ${l.gaps} + ${l.texts.length} lines`);
    assert.ok(l.height >= LINE * 5000, `${what}: scroll height ${l.height}`);
    l.numbers.forEach((n, i) => assert.ok(l.texts[i].endsWith(`: ${labels[n - 1]}`), `${what}: line ${n} "${l.texts[i]}" is message ${n}'s ("${labels[n - 1]}")`));
    // The lines in the box's view are among those drawn.
    const first = Math.floor(l.top / LINE) + 1;
    const last = Math.floor((l.top + l.boxHeight - 1) / LINE) + 1;
    assert.ok(l.numbers[0] <= first && l.numbers.at(-1) >= Math.min(last, 5000), `${what}: lines ${first}–${last} in view, ${l.numbers[0]}–${l.numbers.at(-1)} drawn`);
    return l;
  };
  let l = await check('at the start');
  assert.equal(l.numbers[0], 1);
  assert.deepEqual(l.current, []);
  // The last step: its line drawn and marked, in view.
  await page.keyboard.press('End');
  await page.waitForSelector('#arrow-5000.current');
  await page.waitForSelector('#transcript li.current');
  l = await check('at the end');
  assert.deepEqual(l.current, [5000]);
  assert.ok(l.top + l.boxHeight >= LINE * 5000 - 1, 'scrolled to the last line');
  assert.ok((await nodes(page)) <= 3000, 'few nodes with the transcript open');
  // Scrolled to the middle by hand: the lines there are drawn.
  await page.$eval('#transcript .transcript-rows', (b, y) => { b.scrollTop = y; }, 2500 * LINE);
  await page.waitForFunction(() => document.querySelector('#transcript ol').start <= 2501 && document.querySelector('#transcript ol').start > 2400);
  l = await check('scrolled to the middle');
  assert.deepEqual(l.current, [], 'the current line is not in this window');
  // Stepped: the current line comes back into view, drawn and marked.
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('#arrow-4997.current');
  await page.waitForFunction(() => document.querySelector('#transcript li.current'));
  l = await check('stepped back');
  assert.deepEqual(l.current, [4997]);
  // Home, then step 1 and step 2, each with its panels (step 0 marks no line, so the transcript
  // stays at line 4,997; if the panels skip step 1, coalesced with step 2, the transcript goes
  // from line 4,997 straight to line 2, which it scrolls to the top edge: scrollTop 34, as a
  // fresh clone's run once saw).
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 0 '));
  await panelsShown(page);
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-1.current');
  await panelsShown(page);
  await page.waitForFunction(() => document.querySelector('#transcript li.current'));
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-2.current');
  await page.waitForFunction(() => document.querySelector('#transcript li.current'));
  l = await check('at step 2');
  assert.deepEqual(l.current, [2]);
  assert.equal(l.top, 0);
});

test('many client connections from one address share one lane, which expands', async (t) => {
  const page = await open(t);
  await importLog(page, files[100], 100);
  assert.deepEqual(await page.locator('.actor-name').allTextContents(), ['mailsim serve', '10 client connections']);
  await page.click('.actor.group');
  assert.equal(await page.locator('.actor').count(), 11, 'expanded: one lane per connection');
  // The lanes keep their width: the diagram scrolls sideways instead of shrinking.
  const scroller = await page.$eval('.diagram', (d) => ({ sw: d.scrollWidth, cw: d.clientWidth }));
  assert.ok(scroller.sw > scroller.cw, 'the diagram scrolls sideways');
  const lane = await page.$eval('.actor rect', (r) => r.getBoundingClientRect().width);
  assert.ok(lane >= 130, `a lane keeps its width (${lane}px)`);
  await page.click('.actor.member');
  assert.equal(await page.locator('.actor').count(), 2, 'grouped again');
  // The World panel names an open connection's client end once: `client :PORT`, not `client :PORT :PORT`.
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const conn = await page.locator('#world li').filter({ hasText: 'mailsim serve :' }).first().textContent();
  assert.match(conn, /^client :\d+ → mailsim serve :\d+ \(/, conn);
});

test('an opened log stays on reload and the menu names it', async (t) => {
  const page = await open(t);
  await importLog(page, files[100], 100);
  assert.match(await page.$eval('#scenario', (s) => s.selectedOptions[0].textContent), /Imported: .*\(opened log\)/);
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.hash === '#/imported/step/7');
  await page.reload();
  await page.waitForSelector('#arrow-7.current');
  assert.equal(await page.textContent('#position'), 'step 7 of 100');
  assert.match(await page.$eval('#scenario', (s) => s.selectedOptions[0].textContent), /opened log/);
  // Choosing a scenario leaves the log.
  await page.selectOption('#scenario', 'alice-to-bob');
  await page.waitForFunction(() => location.hash.startsWith('#/scenario/alice-to-bob'));
});

test('?log=URL opens a log from this site at the fragment\'s step', async (t) => {
  const name = `scale-${process.pid}.jsonl`;
  fs.copyFileSync(files[100], path.join(DIST, name));
  t.after(() => fs.rmSync(path.join(DIST, name), { force: true }));
  const page = await open(t, `?log=${name}#/imported/step/12`);
  await page.waitForSelector('#arrow-12.current');
  assert.equal(await page.textContent('#position'), 'step 12 of 100');
});

test('the built-in class of 200 opens and plays to its end', async (t) => {
  const page = await open(t, '#/scenario/class');
  const total = Number((await page.textContent('#position')).split(' of ')[1]);
  assert.ok(total > 5000, `thousands of messages (${total})`);
  assert.deepEqual(await page.locator('.actor-name').allTextContents(), ['200 user agents', 'Class server', 'DNS', "Alice's server"]);
  await page.keyboard.press('End');
  await page.waitForSelector(`#arrow-${total}.current`);
  assert.ok((await nodes(page)) <= 3000, 'few nodes');
});

// A chunk keeps what it drew for each row (src/diagram/rows.rs): a step makes again only the
// rows whose arrow changes state, and the DOM sees two class changes, nothing else.
test('a step changes two arrows\' class in the diagram and nothing else', async (t) => {
  const page = await open(t);
  await importLog(page, files[10000], 10000);
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-5.current');
  await page.evaluate(() => {
    const body = document.querySelector('.diagram-body');
    for (const el of body.querySelectorAll('*')) el.__kept = true;
    window.__changes = [];
    new MutationObserver((rs) => {
      for (const r of rs) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        window.__changes.push(`${r.type} ${r.attributeName || ''} ${el.closest('.arrow')?.id || el.tagName}`);
      }
    }).observe(body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-6.current');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  const { changes, kept, rows } = await page.evaluate(() => {
    const body = document.querySelector('.diagram-body');
    const all = [...body.querySelectorAll('*')];
    return { changes: window.__changes, kept: all.every((el) => el.__kept), rows: body.querySelectorAll('.arrow').length };
  });
  assert.deepEqual(changes.sort(), ['attributes class arrow-5', 'attributes class arrow-6']);
  assert.ok(kept && rows > 16, `every element of the diagram is the one drawn before the step (${rows} arrows)`);
  assert.match(await page.getAttribute('#arrow-5', 'class'), /\bpast\b/);
});

// A row holds what differs from row to row (src/diagram/rows.rs): the arrow heads come from
// the stylesheet, no attribute is empty, and the tooltip (step, ends, the whole label) is made
// when the pointer enters the arrow.
test('an arrow is drawn with what differs per row; its tooltip is made on hover', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/12');
  await page.waitForSelector('#arrow-12.current');
  const rows = await page.$$eval('.diagram-body .arrow', (as) => as.map((a) => ({
    id: a.id,
    proto: [...a.classList].find((c) => ['smtp', 'pop3', 'imap', 'http', 'dns', 'tcp'].includes(c)),
    marker: getComputedStyle(a.querySelector('line')).markerEnd,
    titles: a.querySelectorAll('title').length,
    empty: [a, ...a.querySelectorAll('*')].flatMap((el) => [...el.attributes]).filter((x) => x.value === '').map((x) => x.name),
    conn: a.getAttribute('data-conn'),
  })));
  assert.ok(rows.length > 20, `${rows.length} arrows`);
  for (const r of rows) {
    assert.match(r.marker, new RegExp(`#head-${r.proto}\\b`), `${r.id}: the ${r.proto} arrow head`);
    assert.equal(r.titles, 0, `${r.id}: no tooltip before the pointer comes`);
    assert.deepEqual(r.empty, [], `${r.id}: no empty attribute`);
  }
  assert.ok(rows.some((r) => r.conn === null), 'a message without a connection (DNS) has no data-conn');
  // The tooltip: made on hover, with the whole label, once however often the pointer comes.
  const label = await page.textContent('#arrow-12 .label');
  await page.hover('#arrow-12 .label');
  await page.hover('#arrow-3 .label');
  await page.hover('#arrow-12 .time');
  const title = await page.$$eval('#arrow-12 title', (ts) => ts.map((x) => x.textContent));
  assert.equal(title.length, 1, 'one title');
  assert.match(title[0], /^Step 12: Alice's UA → Alice's server: /);
  assert.ok(title[0].endsWith(label.replace(/…$/, '')) || title[0].includes(label.replace(/…$/, '')), `${title[0]} holds the label ${label}`);
  assert.match(await page.$eval('#arrow-3 title', (x) => x.textContent), /^Step 3: /);
});

// End-to-end: the activities polished as an instructor preparing a class and as students doing
// it (/work/notes/s5/polish.md).
// 1. No answer before its question: an activity never shows its scenario's description (it
//    tells the whole run), and the intro and an open predict item do not name the answer.
// 2. An instructor's new files load by URL (?activity=...); a file with the usual mistakes
//    lists each one with its file, line and what to write instead.
// 3. A student on 1440×900, the 1,024×600 embed in an iframe, a 390 px phone and 200 % zoom:
//    nothing overflows, every control is reachable and works from the keyboard with a visible
//    focus, the answer controls have names, progress survives a reload.
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { ROOT } from './serve-lib.mjs';

const DIST_DIR = process.env.MAILSIM_DIST || DIST;
const pw = useBrowser({ root: DIST_DIR });
const open = (t, url, viewport) => pw.open(t, url, { viewport, ready: '.app', fresh: true });
const shot = (page, name) => page.screenshot({ path: path.join(OUT, `polish-${name}.png`) });

const activityFile = (name) => fs.readFileSync(path.join(ROOT, 'activities', name), 'utf8');
// The usual slips of an instructor writing a file from docs/activities.md alone.
const SLIPS = activityFile('message-format.toml')
  .replace('prompt = "Alice\'s UA has named', 'promt = "Alice\'s UA has named')
  .replace('step = 10\nprompt = "Look at', 'step = "10"\nprompt = "Look at')
  .replace('answer = ["base64", "/base[ -]?64/"]', 'answer = ["base64", "/base (64/"]')
  .replace('kind = "discuss"', 'kind = "Discuss"');

before(() => {
  fs.mkdirSync(path.join(DIST_DIR, 'test-polish'), { recursive: true });
  for (const f of ['message-format.toml', 'smtp-ports.toml']) {
    fs.writeFileSync(path.join(DIST_DIR, 'test-polish', f), activityFile(f));
  }
  fs.writeFileSync(path.join(DIST_DIR, 'test-polish', 'slips.toml'), SLIPS);
});

/** The built-in activities the list page shows. */
async function builtins(page) {
  await page.goto(`${pw.server.url}#/activities`);
  await page.waitForSelector('#activity-list .card');
  return page.$$eval('#activity-list .card', (cs) => cs.map((c) => c.dataset.activity));
}

test('1: no activity shows its scenario\'s description; pop3-keep-or-delete names none of its answers before they are asked', async (t) => {
  const page = await open(t, '#/activities');
  const ids = await builtins(page);
  assert.ok(ids.includes('message-format') && ids.includes('smtp-ports'), ids.join(' '));
  // The scenario's description, as the playground shows it at step 0.
  await page.goto(`${pw.server.url}#/scenario/pop3-session/step/0`);
  await page.waitForSelector('#details .description');
  const description = (await page.textContent('#details .description')).trim();
  assert.match(description, /marks it deleted and quits/);
  for (const id of ids) {
    await page.goto(`${pw.server.url}#/activity/${id}`);
    await page.waitForSelector('#intro');
    await page.waitForSelector('#details');
    const shown = await page.$eval('#details', (d) => [...d.querySelectorAll('.description')].map((p) => p.textContent).join(''));
    assert.equal(shown, '', `${id}: no scenario description`);
    assert.equal(await page.locator('#details .description:visible').count(), 0, `${id}: no empty paragraph either`);
  }
  await page.goto(`${pw.server.url}#/activity/pop3-keep-or-delete`);
  await page.waitForSelector('#intro');
  const side = await page.textContent('.side');
  assert.ok(!side.includes(description.slice(0, 40)), 'not the description');
  for (const answer of [/\bLIST\b/, /\bDELE\b/]) assert.doesNotMatch(side, answer, 'the intro names no answer');
  await shot(page, 'pop3-intro-1440x900');
  // Item 2 predicts DELE: neither its panel nor the details of step 9 name it.
  await page.goto(`${pw.server.url}#/activity/pop3-keep-or-delete/item/2`);
  await page.waitForSelector('#item[data-item="2"]');
  await page.waitForFunction(() => document.querySelectorAll('.diagram-pane .arrow').length === 9);
  assert.doesNotMatch(await page.textContent('#item'), /\bDELE\b/);
  assert.equal(await page.getAttribute('#answer', 'placeholder'), 'a command verb or a reply code', 'no example that may be the answer');
  // The protocol states after step 9 are the receiver's after it reacted ("sent DELE"): held
  // back until the item is answered, then shown.
  assert.equal(await page.locator('#details #states').count(), 0, 'no states table on an open predict item');
  assert.match(await page.textContent('#details #states-hidden'), /shown once you have answered/);
  assert.doesNotMatch(await page.textContent('#details'), /\bDELE\b/, 'the details panel names no answer');
  await page.fill('#answer', 'DELE');
  await page.click('#submit');
  await page.waitForSelector('#details #states');
  assert.equal(await page.locator('#details #states-hidden').count(), 0);
});

test('2: the instructor\'s new activities load by URL; a file with slips lists each with its line and what to write', async (t) => {
  const page = await open(t, '?activity=test-polish/message-format.toml');
  await page.waitForSelector('#intro');
  assert.equal(await page.evaluate(() => location.hash), '#/activity/message-format');
  assert.match(await page.textContent('#intro'), /6 items \(1 choice, 1 multi, 1 short, 1 predict, 1 task, 1 discuss\)/);
  await page.goto(`${pw.server.url}?activity=test-polish/smtp-ports.toml#/activity/smtp-ports/item/4`);
  await page.waitForSelector('#item[data-kind="predict"]');
  await page.fill('#answer', '235');
  await page.press('#answer', 'Enter');
  await page.waitForSelector('#feedback[data-correct="true"]');
  await shot(page, 'smtp-ports-predict-1440x900');

  await page.goto(`${pw.server.url}?activity=test-polish/slips.toml`);
  await page.waitForSelector('#file-errors');
  const errs = await page.$$eval('.located-error', (ls) => ls.map((l) => l.textContent));
  const want = [
    /^test-polish\/slips\.toml:18:1: unknown field `promt`.*: did you mean `prompt`\?/,
    /^test-polish\/slips\.toml:26:8: invalid type: string "10", expected i64: write a whole number without quotes, e\.g\. `step = 8`/,
    /^test-polish\/slips\.toml:\d+:\d+: bad regular expression \/base \(64\/: .*write a regular expression between slashes/,
    /^test-polish\/slips\.toml:\d+:8: unknown item kind "Discuss": .*did you mean `discuss`\?/,
  ];
  assert.equal(errs.length, want.length, errs.join('\n'));
  want.forEach((re, i) => assert.match(errs[i], re));
  await shot(page, 'slips-errors-1440x900');
});

// 3. A student on every screen.
const SCREENS = [
  ['1440x900', { viewport: { width: 1440, height: 900 } }],
  ['embed-1024x600', { viewport: { width: 1024, height: 600 } }, true],
  ['phone-390', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
  // 200 % zoom of a 1440×900 window: half the CSS pixels, each drawn twice as large.
  ['zoom200', { viewport: { width: 720, height: 450 }, deviceScaleFactor: 2 }],
];
// Three activities, an item of each answer control: radio buttons, a text field, check boxes.
const WALK = [
  { id: 'pop3-keep-or-delete', n: 3, kind: 'choice', answer: async (key) => { await key('Space'); } },
  { id: 'smtp-ports', n: 4, kind: 'predict', answer: async (key, type) => { await type('235'); } },
  { id: 'message-format', n: 3, kind: 'multi', answer: async (key) => { await key('Space'); for (const _ of [1, 2]) { await key('Tab'); await key('Tab'); await key('Space'); } } },
];

/** The page, or the embed's frame in a course page of this origin. */
async function screen(t, name, opts, embedded, hash) {
  const page = await pw.open(t, null, { viewport: opts.viewport, fresh: true, context: opts });
  if (!embedded) {
    await page.goto(pw.server.url + hash);
    await page.waitForSelector('.app');
    return { page, doc: page };
  }
  fs.writeFileSync(path.join(DIST_DIR, 'test-polish', 'course.html'),
    `<!doctype html><title>Course page</title><link rel="icon" href="data:,"><body style="margin:0"><iframe id="embed" title="Activity" width="1024" height="600" style="border:0" src="../?embed=1${hash}"></iframe>`);
  await page.goto(`${pw.server.url}test-polish/course.html`);
  await page.waitForSelector('#embed');
  const frame = await (await page.$('#embed')).contentFrame();
  await frame.waitForSelector('.app.activity-app.compact');
  return { page, doc: frame };
}

/** Whatever sticks out of the window sideways (the diagram scrolls inside its own pane). */
const overflow = (doc) => doc.evaluate(() => {
  const w = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('.side *, .top *, .item-bar *')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1 && !e.closest('.crumbs'); })
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
  return { page: document.scrollingElement.scrollWidth - w, out };
});

/** Every control of the item: scrolled to, inside the window and not covered. */
const unreachable = (doc) => doc.evaluate(() => [...document.querySelectorAll('#item input, #item button, .page-nav a, .item-bar a')]
  .filter((e) => {
    e.scrollIntoView({ block: 'center', inline: 'center' });
    const r = e.getBoundingClientRect();
    const w = document.documentElement.clientWidth;
    const h = document.documentElement.clientHeight;
    if (r.left < 0 || r.right > w + 1 || r.top < 0 || r.bottom > h + 1) return true;
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !(at === e || e.contains(at) || at?.closest('label')?.contains(e));
  }).map((e) => `${e.tagName.toLowerCase()}#${e.id}`));

for (const [name, opts, embedded] of SCREENS) {
  test(`3: a student on ${name}: keyboard only, visible focus, named controls, nothing overflows, progress kept`, async (t) => {
    for (const w of WALK) {
      const hash = `#/activity/${w.id}/item/${w.n}`;
      const { page, doc } = await screen(t, name, opts, embedded, hash);
      await doc.waitForSelector(`#item[data-item="${w.n}"]`);
      const o = await overflow(doc);
      assert.equal(o.page, 0, `${w.id}: the page does not scroll sideways`);
      assert.deepEqual(o.out, [], `${w.id}: nothing sticks out`);
      assert.deepEqual(await unreachable(doc), [], `${w.id}: every control can be reached`);
      // The diagram keeps room for a few messages, at 200 % too.
      const room = await doc.evaluate(() => {
        const pane = document.querySelector('.diagram-pane').getBoundingClientRect();
        const head = document.querySelector('.diagram-pane .step-bar').getBoundingClientRect();
        return pane.bottom - head.bottom;
      });
      assert.ok(room >= 200, `${w.id}: ${room} px of diagram`);
      // Screen-reader names of the answer controls.
      const names = await doc.$$eval('#answer-form input', (is) => is.map((i) => (i.labels?.[0]?.textContent ?? i.getAttribute('aria-label') ?? '').trim()));
      assert.ok(names.length > 0 && names.every((n) => n.length > 0), `${w.id}: ${JSON.stringify(names)}`);
      assert.ok((await doc.textContent('#answer-form legend, #answer-form label')).length > 0);
      // The question itself describes the answer controls.
      const described = await doc.$eval('#answer-form fieldset, #answer', (e) => document.getElementById(e.getAttribute('aria-describedby'))?.textContent ?? '');
      assert.equal(described, await doc.textContent('#item .prompt'), `${w.id}: the prompt describes the answer controls`);
      // Keyboard only: Tab from the top to the first answer control, every stop visibly focused.
      await doc.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
      await doc.focus('.top a');
      const stops = [];
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const s = await doc.evaluate(() => {
          const e = document.activeElement;
          const st = getComputedStyle(e);
          const ring = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0;
          const within = getComputedStyle(e.closest('.choice') ?? e).outlineStyle !== 'none';
          return { id: e.id || e.tagName.toLowerCase(), visible: ring || within };
        });
        stops.push(s);
        if (/^(choice-0|answer)$/.test(s.id)) break;
      }
      const hidden = stops.filter((s) => !s.visible && s.id !== 'body');
      assert.deepEqual(hidden, [], `${w.id}: focus is visible at every stop`);
      assert.match(stops.at(-1).id, /^(choice-0|answer)$/, `${w.id}: Tab reaches the answer: ${stops.map((s) => s.id).join(' ')}`);
      await w.answer((k) => page.keyboard.press(k), (s) => page.keyboard.type(s));
      await page.keyboard.press('Enter');
      await doc.waitForSelector('#feedback');
      const correct = await doc.getAttribute('#feedback', 'data-correct');
      await page.screenshot({ path: path.join(OUT, `polish-${name}-${w.id}-${w.n}.png`) });
      // Reload: the answer and the item bar's state are still there.
      // (The old document is marked: in the frame, reload() returns before it is gone, and its #feedback
      // would be found at once.)
      await doc.evaluate(() => { window.__beforeReload = true; });
      if (embedded) await doc.evaluate(() => location.reload());
      else await page.reload();
      await doc.waitForFunction(() => !window.__beforeReload && document.querySelector('#feedback'));
      assert.equal(await doc.getAttribute('#feedback', 'data-correct'), correct, `${w.id}: the answer is kept`);
      assert.equal(await doc.locator(`.item-pill.${correct === 'true' ? 'right' : 'wrong'}`).count(), 1);
      // Its summary, what a student hands in: no sideways overflow either.
      await doc.evaluate((id) => { location.hash = `#/activity/${id}/summary`; }, w.id);
      await doc.waitForSelector('#summary');
      assert.equal((await overflow(doc)).page, 0, `${w.id}: the summary fits`);
      assert.deepEqual((await overflow(doc)).out, [], `${w.id}: nothing of the summary sticks out`);
      await page.screenshot({ path: path.join(OUT, `polish-${name}-${w.id}-summary.png`) });
    }
  });
}

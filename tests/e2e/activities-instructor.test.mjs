// End-to-end: activities as an instructor and a presenter use them (presenter mode, pasted,
// uploaded and ?activity=URL files with located errors, hostile files shown as text, the
// embed), and by keyboard alone, in the 1024×600 embed and on a 390 px phone. Screenshots go
// to tests/e2e/out/.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { terminal } from './activity-recipes.mjs';

const ROOT = process.env.MAILSIM_DIST || DIST;
const FILES = path.join(ROOT, 'test-activities');

const LAB = `[activity]
id = "course-lab"
title = "Course lab: one question"
scenario = "alice-to-bob"
intro = "A file served by the course site."
goals = ["Describe the functionality of SMTP, POP3, IMAP"]

[[item]]
kind = "choice"
step = 2
prompt = "Which command did Alice's UA just send?"
choices = ["HELO", "EHLO"]
answer = [1]
explain = "**EHLO** (RFC 5321 §4.1.1.1)."
`;

const BROKEN = `[activity]
id = "Broken One"
title = "Broken"
scenario = "no-such-scenario"

[[item]]
kind = "choice"
prompt = "Pick"
choices = ["a", "b"]
answer = [5]

[[item]]
kind = "guess"
prompt = "?"
`;

const HOSTILE = `[activity]
id = "hostile"
title = "<img src=x onerror=\\"window.__xss = 1\\"> Hostile title"
scenario = "alice-to-bob"
intro = "<script>window.__xss = 2</script> and **bold** and [a trap](javascript:window.__xss=3) and [RFC 5321](https://www.rfc-editor.org/rfc/rfc5321)"
goals = ["<b>goal</b> in bold tags"]

[[item]]
kind = "choice"
prompt = "<img src=x onerror=\\"window.__xss = 4\\"> Which one?"
choices = ["<script>window.__xss = 5</script>", "*B*"]
answer = [1]
explain = "<iframe src=\\"javascript:window.__xss = 6\\"></iframe> and \`<code>\`"
hint = "[a data link](data:text/html,<script>alert(1)</script>)"
`;

before(() => {
  fs.mkdirSync(FILES, { recursive: true });
  fs.writeFileSync(path.join(FILES, 'lab.toml'), LAB);
  fs.writeFileSync(path.join(FILES, 'broken.toml'), BROKEN);
});
after(() => fs.rmSync(FILES, { recursive: true, force: true }));
const pw = useBrowser({ root: ROOT });
/** A fresh browser context (its own localStorage); the 404 of a missing file is expected. */
const open = (t, url, viewport = undefined) => pw.open(t, url, { viewport, ready: '.app', fresh: true, ignore: /Failed to load resource/ });

const arrows = (page) => page.locator('.arrow').count();
const hash = (page) => page.evaluate(() => location.hash);

test('presenter mode: large text, answers hidden until Reveal, ← → between items', async (t) => {
  const page = await open(t, '?present=1#/activity/send-protocols/item/1');
  await page.waitForSelector('#item');
  assert.ok(await page.locator('.app.present').count());
  const size = await page.$eval('.prompt', (p) => parseFloat(getComputedStyle(p).fontSize));
  assert.ok(size >= 24, `large text for a projector (${size}px)`);
  assert.equal(await page.locator('#item input, #submit').count(), 0, 'no answer form');
  assert.equal(await page.locator('[data-right], #revealed, .explain').count(), 0, 'nothing revealed');
  await page.keyboard.press('r');
  assert.ok(await page.locator('[data-right="true"]').count() >= 1, 'R marks the right answers');
  assert.ok(await page.isVisible('#revealed .explain'));
  await page.screenshot({ path: path.join(OUT, 'activity-present-revealed-1440x900.png') });
  await page.keyboard.press('R');
  assert.equal(await page.locator('[data-right], #revealed').count(), 0, 'R again hides them');
  // → the next item: a prediction; the diagram stops at its step, nothing after it drawn.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('#item')?.dataset.kind === 'predict');
  assert.equal(await hash(page), '#/activity/send-protocols/item/2');
  const step = Number((await page.textContent('.at-step')).replace('at step ', ''));
  assert.equal(await arrows(page), step);
  assert.match(await page.textContent('#hidden-note'), /hidden until you reveal it/);
  await page.screenshot({ path: path.join(OUT, 'activity-present-hidden-1440x900.png') });
  await page.click('#reveal');
  assert.ok((await arrows(page)) > step, 'revealed: the next message is drawn');
  assert.match(await page.textContent('#revealed'), /The next message is the (command|reply) \S+/);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => location.hash === '#/activity/send-protocols/item/1');
  assert.equal(await page.locator('[data-right]').count(), 0, 'back on item 1, hidden again');
  assert.equal(await page.evaluate(() => localStorage.getItem('mailsim.activity.send-protocols')), null, 'a presenter records no answers');
  await page.click('#leave-present');
  await page.waitForSelector('#answer-form');
  assert.ok(!(await page.evaluate(() => location.search)).includes('present'));
});

test('a malformed pasted or uploaded activity shows located errors', async (t) => {
  const page = await open(t, '#/activities');
  await page.fill('#paste', BROKEN);
  await page.click('#paste-open');
  await page.waitForSelector('#file-errors');
  const errs = await page.$$eval('.located-error', (ls) => ls.map((l) => [l.dataset.line, l.dataset.column, l.querySelector('.where').textContent, l.textContent]));
  assert.deepEqual(errs.map((e) => e[2]), ['pasted.toml:2:6', 'pasted.toml:4:12', 'pasted.toml:10:10', 'pasted.toml:13:8']);
  assert.match(errs[0][3], /not URL-safe/);
  assert.match(errs[1][3], /unknown scenario "no-such-scenario"/);
  assert.match(errs[2][3], /answer index 5 is out of range/);
  assert.match(errs[3][3], /unknown item kind "guess": expected one of choice, multi/);
  assert.match(await page.textContent('.located-error pre.excerpt'), /^ {3}2 \| id = "Broken One"\n {5}\| {6}\^$/, 'the line, a caret under the column');
  assert.equal(await hash(page), '#/activities', 'a broken file does not open');
  // A TOML syntax slip, uploaded as a file.
  await page.setInputFiles('#upload', { name: 'typo.toml', mimeType: 'text/plain', buffer: Buffer.from('[activity]\nid = "x"\ntitle = "T"\nscenario = "alice-to-bob"\ncolour = "red"\n') });
  await page.waitForFunction(() => document.querySelector('.located-error .where')?.textContent.startsWith('typo.toml'));
  assert.match(await page.textContent('.located-error'), /^typo\.toml:5:1: unknown field `colour`/);
  await page.screenshot({ path: path.join(OUT, 'activity-paste-errors-1440x900.png') });
  // A sound file opens, and is listed as loaded until removed.
  await page.fill('#paste', LAB);
  await page.click('#paste-open');
  await page.waitForFunction(() => location.hash === '#/activity/course-lab');
  await page.waitForSelector('#intro');
  await page.goto(pw.server.url + '#/activities');
  await page.waitForSelector('#card-course-lab .tag');
  await page.reload();
  await page.waitForSelector('#card-course-lab', { timeout: 5000 });
  await page.click('#card-course-lab button.danger');
  assert.equal(await page.locator('#card-course-lab').count(), 0);
});

test('an activity file\'s HTML and scripts are shown as text, never run', async (t) => {
  const page = await open(t, '#/activities');
  await page.fill('#paste', HOSTILE);
  await page.click('#paste-open');
  await page.waitForSelector('#intro');
  const intro = await page.textContent('#intro');
  assert.ok(intro.includes('<img src=x onerror="window.__xss = 1"> Hostile title'), 'title as text');
  assert.ok(intro.includes('<script>window.__xss = 2</script> and bold and a trap and RFC 5321'), intro);
  assert.ok(intro.includes('<b>goal</b> in bold tags'));
  assert.equal(await page.locator('#intro strong').count(), 1, 'Markdown still works');
  assert.equal(await page.getAttribute('#intro a[href^="https:"]', 'href'), 'https://www.rfc-editor.org/rfc/rfc5321');
  assert.equal(await page.locator('#intro a').count(), 2, 'the javascript: link is text; the intro links to the RFC and its one item');
  await page.click('#next-item');
  await page.waitForSelector('#item');
  assert.ok((await page.textContent('#item .prompt')).includes('<img src=x onerror="window.__xss = 4"> Which one?'));
  assert.ok((await page.textContent('#item .choices')).includes('<script>window.__xss = 5</script>'));
  await page.click('#hint-btn');
  assert.equal(await page.textContent('#hint'), 'Hint: a data link', 'a data: link is its text only');
  await page.check('#choice-0');
  await page.click('#submit');
  await page.waitForSelector('#feedback .explain');
  assert.ok((await page.textContent('#feedback .explain')).includes('<iframe src="javascript:window.__xss = 6"></iframe> and <code>'));
  assert.equal(await page.locator('.app img, .app script, .app iframe, .app b, a[href^="javascript"], a[href^="data"]').count(), 0, 'no element made from the file');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  await page.goto(pw.server.url + '#/activities');
  await page.waitForSelector('#card-hostile');
  assert.equal(await page.locator('#card-hostile img, #card-hostile b').count(), 0);
});

test('?activity=URL loads a file from this origin, refuses other origins, shows a file\'s errors', async (t) => {
  const page = await open(t, '?activity=test-activities/lab.toml');
  await page.waitForFunction(() => location.hash === '#/activity/course-lab');
  await page.waitForSelector('#intro');
  assert.match(await page.textContent('#intro'), /A file served by the course site/);
  await page.click('#next-item');
  await page.click('#embed-btn');
  const code = await page.inputValue('#embed-code');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=1&activity=test-activities\/lab\.toml#\/activity\/course-lab" width="100%" height="600"/);
  // Another origin (localhost is not 127.0.0.1): refused, with what to do instead.
  const other = pw.server.url.replace('127.0.0.1', 'localhost');
  await page.goto(`${pw.server.url}?activity=${other}test-activities/lab.toml#/activities`);
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), /^Refused to load the activity "http:\/\/localhost:\d+\/test-activities\/lab\.toml": it is on http:\/\/localhost:\d+, and activity files load only from this page's own origin \(http:\/\/127\.0\.0\.1:\d+\)/);
  await page.goto(`${pw.server.url}?activity=test-activities/missing.toml`);
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), /Could not load the activity "test-activities\/missing\.toml": the server answered HTTP 404/);
  // A built-in activity's id opens it; an unknown bare name says what to write instead.
  await page.goto(`${pw.server.url}?activity=smtp-phases`);
  await page.waitForFunction(() => location.hash === '#/activity/smtp-phases');
  await page.waitForSelector('#intro');
  assert.equal(await page.locator('#notice').count(), 0);
  await page.goto(`${pw.server.url}?activity=smtp-phase`);
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), /HTTP 404\. It is not a built-in activity's id either: .*\?activity=activities\/your-file\.toml/);
  await page.goto(`${pw.server.url}?activity=test-activities/broken.toml`);
  await page.waitForSelector('#file-errors');
  assert.equal(await page.locator('.located-error').count(), 4);
  assert.match(await page.textContent('.located-error .where'), /^test-activities\/broken\.toml:2:6$/);
});

test('embedded with one iframe line at 1024×600, and by keyboard alone', async (t) => {
  const page = await open(t, '#/activity/send-protocols/item/1', { width: 1024, height: 600 });
  await page.click('#embed-btn');
  const code = await page.inputValue('#embed-code');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=1#\/activity\/send-protocols" width="100%" height="600" title="Mailsim activity"/);
  await page.setContent(`<html><body style="margin:0">${code}</body></html>`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('#intro');
  assert.ok(await frame.locator('.app.compact').count(), 'the compact layout');
  assert.equal(await frame.isVisible('#details'), false);
  // Keyboard only, inside the frame: Tab to "Start", Enter; Tab to a choice, Space, Enter.
  await frame.focus('#to-activities');
  const tabTo = async (sel, max = 40) => {
    for (let i = 0; i < max; i++) {
      if (await frame.evaluate((s) => document.activeElement?.matches(s), sel)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached ${sel}`);
  };
  await tabTo('#next-item');
  const outline = await frame.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await frame.waitForSelector('#item');
  await tabTo('input[type=radio]');
  await page.keyboard.press('ArrowDown');  // moves to and picks B
  await page.keyboard.press('Enter');
  await frame.waitForSelector('#feedback');
  assert.equal(await frame.getAttribute('#feedback', 'data-correct'), 'false');
  await page.screenshot({ path: path.join(OUT, 'activity-embed-1024x600.png') });
  // PageDown: the next item, a prediction picked with the arrows and sent with Enter.
  await frame.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('PageDown');
  await frame.waitForFunction(() => location.hash.endsWith('/item/2'));
  await tabTo('input[type=radio]');
  await page.keyboard.press('ArrowDown');  // B: 220, the server's greeting
  await page.keyboard.press('Enter');
  await frame.waitForSelector('#feedback');
  assert.equal(await frame.getAttribute('#feedback', 'data-correct'), 'true');
});

test('on a 390 px phone the item sits below the diagram; screenshots of every page', async (t) => {
  const phone = { width: 390, height: 844 };
  const page = await open(t, '#/activities', phone);
  await page.waitForSelector('#activity-list');
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  assert.ok(await fits(), 'no sideways scrolling');
  await page.screenshot({ path: path.join(OUT, 'activities-list-390x844.png') });
  await page.goto(pw.server.url + '#/activity/send-protocols/item/1');
  await page.waitForSelector('#item');
  const diagram = await page.locator('.diagram-pane').boundingBox();
  const item = await page.locator('#item').boundingBox();
  assert.ok(item.y >= diagram.y + diagram.height - 1, 'the item panel is below the diagram');
  assert.ok(item.width <= 390 && item.y < 844, 'and on screen');
  assert.ok(await fits());
  await page.check('#choice-0');
  await page.click('#submit');
  await page.waitForSelector('#feedback');
  await page.screenshot({ path: path.join(OUT, 'activity-item-390x844.png') });
  // A task on the phone: the terminal is usable.
  await page.goto(pw.server.url + '#/activity/make-a-reply/item/1');
  await page.waitForSelector('#task-status');
  await terminal(page, 'alice-ua', 'mail.bob.example', 25, ['HELO phone']);
  await page.waitForSelector('#task-status[data-done="true"]');
  await page.locator('#task-status').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'activity-task-390x844.png') });
  await page.goto(pw.server.url + '#/activity/make-a-reply/summary');
  await page.waitForSelector('#completion-code');
  assert.ok(await fits());
  await page.screenshot({ path: path.join(OUT, 'activity-summary-390x844.png') });

  // The desktop and the embed size, for the record.
  for (const [w, h] of [[1440, 900], [1024, 600]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(pw.server.url + '#/activity/make-a-reply/item/1');
    await page.waitForSelector('#task-status[data-done="true"]');
    await page.screenshot({ path: path.join(OUT, `activity-task-${w}x${h}.png`) });
    await page.goto(pw.server.url + '#/activity/send-protocols/item/2');
    await page.waitForSelector('#hidden-note');
    await page.screenshot({ path: path.join(OUT, `activity-predict-${w}x${h}.png`) });
    await page.goto(pw.server.url + '#/activity/make-a-reply/summary');
    await page.waitForSelector('#completion-code');
    await page.screenshot({ path: path.join(OUT, `activity-summary-${w}x${h}.png`) });
  }
  for (const f of ['activity-item-390x844.png', 'activity-task-1440x900.png', 'activity-summary-1024x600.png']) {
    assert.ok(fs.statSync(path.join(OUT, f)).size > 10_000, `${f} was written`);
  }
});

test('Reset starts an activity over; the header leads back to the playground', async (t) => {
  const page = await open(t, '#/activity/make-a-reply/item/1');
  await page.waitForSelector('#task-status');
  await terminal(page, 'alice-ua', 'mail.bob.example', 25, ['HELO laptop']);
  await page.waitForSelector('#task-status[data-done="true"]');
  assert.match(await page.textContent('#progress'), /1 of 5 done/);
  await page.reload();
  await page.waitForSelector('#task-status[data-done="true"]');
  assert.match(await page.textContent('#progress'), /1 of 5 done/, 'progress survives a reload');
  await page.click('#reset-btn');
  await page.click('#reset-no');
  assert.match(await page.textContent('#progress'), /1 of 5 done/, 'Cancel keeps it');
  await page.click('#reset-btn');
  await page.click('#reset-yes');
  await page.waitForSelector('#task-status[data-done="false"]');
  assert.match(await page.textContent('#progress'), /0 of 5 done/);
  assert.equal(await page.locator('#learn .mine').count(), 0, 'what was typed is forgotten too');
  await page.click('a.home');
  await page.waitForSelector('#position');
  assert.match(await page.textContent('#position'), /^step 0 of \d+$/, 'the playground');
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#position'), /^step 1 of /, 'with its own keys again');
});

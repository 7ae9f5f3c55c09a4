// Page defects P3 to P6 of qa8 (/work/notes/s8/qa8-page-bugs.md), as a student and an
// instructor meet them:
// - P6: `?activity=FILE` fetches the scenario file the activity names from the activity's
//   folder and runs the activity on it; a missing one is a located, helpful error.
// - P5: a link to a scenario that does not exist says so instead of silently opening another.
// - P3: while an activity holds the stepping at step 0, the narration does not say "Press →".
// - P4: the IMAP state diagram shows LOGOUT from every state (RFC 9051 §3).
// The files of P6 are written beside index.html in a copy of dist/.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { solveTask } from './activity-recipes.mjs';

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-page8-'));
fs.cpSync(process.env.MAILSIM_DIST || DIST, ROOT, { recursive: true });
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

// A scenario of the instructor's own: greylisting, renamed, with its own title.
const LAB = fs.readFileSync(new URL('../../scenarios/greylisting.toml', import.meta.url), 'utf8')
  .replace('id = "greylisting"', 'id = "my-lab"')
  .replace('title = "Greylisting: try again later"', 'title = "My lab: the greylisted first try"');
assert.match(LAB, /id = "my-lab"/);
const ACTIVITY = (scenario) => `[activity]
id = "lab-act"
title = "Greylisting lab"
scenario = "${scenario}"

[[item]]
kind = "choice"
step = 0
prompt = "What does Bob's server answer to the first try?"
choices = ["250", "450", "550"]
answer = 1
explain = "A transient failure: 450 4.2.0 (RFC 5321 §4.2.1)."

[[item]]
kind = "task"
prompt = "Open a session to Bob's server and greet it."
check = { kind = "reply", code = "2xx", protocol = "SMTP" }
`;
fs.writeFileSync(path.join(ROOT, 'lab.toml'), LAB);
fs.writeFileSync(path.join(ROOT, 'lab-act.toml'), ACTIVITY('lab.toml'));
fs.mkdirSync(path.join(ROOT, 'course'));
fs.writeFileSync(path.join(ROOT, 'course', 'lab.toml'), LAB);
fs.writeFileSync(path.join(ROOT, 'course', 'lab-act.toml'), ACTIVITY('lab.toml'));
fs.writeFileSync(path.join(ROOT, 'gone-act.toml'), ACTIVITY('gone.toml'));

const pw = useBrowser({ root: ROOT });
const open = (t, url, opts = {}) => pw.open(t, url, { ready: '.app', fresh: true, ...opts });

test('P6: ?activity= fetches the scenario file beside it and runs the activity on it', async (t) => {
  for (const file of ['lab-act.toml', 'course/lab-act.toml']) {
    const page = await open(t, null);
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${pw.server.url}?activity=${file}`);
    await page.waitForFunction(() => location.hash === '#/activity/lab-act');
    await page.waitForSelector('.activity-title');
    const folder = file.includes('/') ? '/course/' : '/';
    assert.ok(requests.includes(`${folder}lab.toml`), `${file}: fetched ${folder}lab.toml (${requests.join(' ')})`);
    assert.equal(await page.textContent('.activity-title'), 'Greylisting lab');
    // Item 1: graded on the instructor's scenario (its 450 is drawn).
    await page.click('#next-item');
    await page.waitForFunction(() => document.querySelector('#item')?.dataset.item === '1');
    await page.check('#choice-1');
    await page.click('#submit');
    await page.waitForSelector('#feedback');
    assert.equal(await page.getAttribute('#feedback', 'data-correct'), 'true');
    const labels = await page.$$eval('.arrow .label', (ls) => ls.map((l) => l.textContent).join(' | '));
    assert.match(labels, /450/, 'the greylisting scenario runs (its 450 is drawn)');
    if (file.includes('/')) break;
    // Item 2: a task done in the playground, graded done.
    await page.click('#next-item');
    await page.waitForFunction(() => document.querySelector('#item')?.dataset.item === '2');
    const check = JSON.parse(await page.getAttribute('.goal', 'data-check'));
    await solveTask(page, check);
    await page.waitForSelector('#task-status[data-done="true"]', { timeout: 10_000 });
    assert.match(await page.textContent('#task-status'), /^Done/);
    await page.screenshot({ path: path.join(OUT, 'page8-activity-scenario-file.png') });
    // A reload keeps it (the file and its scenario are kept in this browser).
    await page.goto(`${pw.server.url}#/activity/lab-act/item/1`);
    await page.waitForSelector('#item');
    assert.equal(await page.textContent('.activity-title'), 'Greylisting lab');
  }
});

test('P6: a scenario file that is not beside the activity is a located error naming the URL', async (t) => {
  const page = await open(t, '?activity=gone-act.toml', { ignore: /404/ });
  await page.waitForFunction(() => document.body.textContent.includes('gone.toml'));
  const body = await page.textContent('body');
  assert.match(body, /gone-act\.toml:4:12: /);
  assert.match(body, /could not fetch the scenario file "gone\.toml" beside this activity \(http:\/\/127\.0\.0\.1:\d+\/gone\.toml\): the server answered HTTP 404/);
  await page.screenshot({ path: path.join(OUT, 'page8-activity-scenario-missing.png') });
});

test('P5: a link to a scenario that does not exist says so', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bobb/step/3', { ready: '#position', ignore: /404/ });
  await page.waitForSelector('#load-error');
  assert.match(await page.textContent('#load-error'), /No scenario "alice-to-bobb": showing Alice sends Bob an e-mail/);
  await page.screenshot({ path: path.join(OUT, 'page8-unknown-scenario.png') });
  // Changing the hash by hand to another wrong id says it again, naming that one.
  await page.evaluate(() => { location.hash = '#/scenario/nosuch/step/3'; });
  await page.waitForFunction(() => document.querySelector('#load-error')?.textContent.includes('"nosuch"'));
  // A good link clears it.
  await page.evaluate(() => { location.hash = '#/scenario/greylisting/step/2'; });
  await page.waitForFunction(() => !document.querySelector('#load-error'));
});

test('P3: an activity locked at step 0 does not tell the learner to press → or Next', async (t) => {
  const page = await open(t, '#/activity/send-protocols');
  await page.click('#next-item');
  await page.waitForFunction(() => document.querySelector('#item')?.dataset.item === '1');
  assert.ok(await page.isDisabled('#next'), 'stepping is locked');
  const details = await page.textContent('#details');
  assert.doesNotMatch(details, /Press → or Next/);
  assert.match(await page.textContent('#hidden-note'), /hidden until you answer/);
  // Once answered, the diagram steps again (and the details follow it).
  await page.check('#choice-0');
  await page.check('#choice-3').catch(() => {});
  await page.click('#submit');
  await page.waitForSelector('#feedback');
  assert.ok(!(await page.isDisabled('#next')), 'stepping is open after the answer');
  // The playground still says it.
  const play = await open(t, '#/scenario/alice-to-bob/step/0', { ready: '#position' });
  assert.match(await play.textContent('#details'), /Press → or Next to see the first message/);
});

test('P4: the IMAP state diagram shows LOGOUT from every state', async (t) => {
  const page = await open(t, '#/scenario/imap-session/step/14', { ready: '#state-diagram' }, );
  await page.waitForFunction(() => document.querySelector('#state-diagram figcaption')?.textContent.includes('IMAP'));
  const any = page.locator('#state-diagram .st-any');
  assert.equal(await any.count(), 1, 'one "from any state" arrow');
  assert.match(await any.textContent(), /LOGOUT from any state/);
  // It leaves every other box and ends at Logout's (on their right side: the diagram is drawn
  // top to bottom since qa12).
  const ends = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('#state-diagram .st')].map((g) => ({ s: g.dataset.state, r: g.querySelector('rect').getBoundingClientRect() }));
    const legs = [...document.querySelectorAll('#state-diagram .st-any path')].map((p) => p.getBoundingClientRect());
    const within = (y, b) => y > b.r.top && y < b.r.bottom;
    const touches = (b) => legs.some((l) => Math.abs(l.left - b.r.right) < 2 && (within(l.top, b) || within(l.bottom, b)));
    return boxes.filter(touches).map((b) => b.s);
  });
  assert.deepEqual(ends.sort(), ['Authenticated', 'Logout', 'Not Authenticated', 'Selected'].sort());
  const fig = await page.$('#state-diagram');
  await fig.screenshot({ path: path.join(OUT, 'page8-imap-states.png') });
  // SMTP and POP3 have no such arrow (QUIT is not possible in every state: DATA reads it as text).
  await page.goto(`${pw.server.url}#/scenario/alice-to-bob/step/4`);
  await page.waitForFunction(() => document.querySelector('#state-diagram figcaption')?.textContent.includes('SMTP'));
  assert.equal(await page.locator('#state-diagram .st-any').count(), 0);
});

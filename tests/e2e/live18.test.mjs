// The live view's user menu and students' lines are keyed by student (branch key18): a login
// inserts its option and its line where they sort; the elements already there keep the student
// they were made for (unkeyed, every option and line after the
// newcomer was rewritten: a class of 1,000 made 23,000 changes to the menu in a burst).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, openLive } from './serve-lib.mjs';

// In this order: the first; one that sorts after it, one before both, one in the middle.
const USERS = { 'mia@class.example': 'mia-Secret1', 'zed@class.example': 'zed-Secret2', 'amy@class.example': 'amy-Secret3', 'pat@class.example': 'pat-Secret4' };
let serve, browser;

before(async () => {
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, prefix: 'mailsim-live18-' });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
});

/** The students' lines and the user menu's options, and whether each still shows the student
 * the test marked it with. */
const shown = (page) => page.evaluate(() => {
  const lines = [...document.querySelectorAll('#live-students li')];
  const options = [...document.querySelectorAll('#live-user option')].filter((o) => o.value);
  return {
    lines: lines.map((l) => l.dataset.student),
    options: options.map((o) => o.value),
    movedLines: lines.filter((l) => l.__was && l.__was !== l.dataset.student).map((l) => `${l.__was} → ${l.dataset.student}`),
    movedOptions: options.filter((o) => o.__was && (o.__was !== o.value || o.__was !== o.textContent)).map((o) => `${o.__was} → ${o.value}`),
    marked: lines.filter((l) => l.__was).length + options.filter((o) => o.__was).length,
    markedWhat: [...lines.filter((l) => l.__was).map((l) => 'li ' + l.__was), ...options.filter((o) => o.__was).map((o) => 'option ' + o.__was)],
  };
});
const mark = (page) => page.evaluate(() => {
  for (const l of document.querySelectorAll('#live-students li')) l.__was = l.dataset.student;
  for (const o of document.querySelectorAll('#live-user option')) if (o.value) o.__was = o.value;
});

test('a login inserts its option and line where they sort (last, first, in the middle); the others keep their elements', async (t) => {
  const { page, errors } = await openLive(browser, t, serve.live);
  const users = Object.keys(USERS);
  for (let k = 0; k < users.length; k++) {
    const user = users[k];
    serve.python(`i = imaplib.IMAP4(H, IMAP); i.login('${user}', USERS['${user}']); i.select('INBOX'); i.logout()`);
    // The panels follow at most every 400 ms: wait for the line and the option.
    await page.waitForFunction((u) => document.querySelector(`#live-students li[data-student="${u}"]`)
      && document.querySelector(`#live-user option[value="${u}"]`), user, { timeout: 5000 });
    const s = await shown(page);
    const sorted = users.slice(0, k + 1).sort();
    assert.deepEqual(s.options, sorted, 'the menu sorted');
    assert.deepEqual(s.lines, sorted, 'the lines sorted');
    assert.deepEqual(s.movedLines, [], 'no line shows another student than it was made for');
    assert.deepEqual(s.movedOptions, [], 'no option shows another student than it was made for');
    assert.equal(s.marked, 2 * k, `every element made before is still there: ${s.markedWhat}`);
    await mark(page);
  }
  assert.deepEqual(errors, []);
});

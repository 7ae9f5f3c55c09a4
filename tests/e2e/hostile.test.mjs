// The page survives what a learner types and its own faults (issue 13): a battery of hostile
// lines typed into the SMTP, POP3 and IMAP terminals, after each of which the page still
// answers; and a replay that never finished sets the newest action aside instead of
// bricking the playground on every load.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine } from './terminal.mjs';

const { open } = useBrowser();

const deep = (n) => '('.repeat(n) + ')'.repeat(n);

test('hostile lines in the IMAP terminal: every one answered, the page keeps working', async (t) => {
  const page = await open(t, '#/scenario/imap-session');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
  await typeLine(page, 'a STARTTLS', /OK/);
  await typeLine(page, 'b LOGIN bob bob-pw', /b OK/);
  const battery = [
    ['c CREATE Work', /c OK/],
    ['d LIST "" "abcdé"', /d OK/],
    ['e LIST "" "**********b"', /e OK/],
    ['f LIST "" "INBO\u00ff"', /f OK/],
    ['g SELECT INBOX', /g OK/],
    ['h FETCH 1 BODY.PEEK[]<10.18446744073709551615>', /h (OK|BAD|NO)/],
    ['i APPEND INBOX {18446744073709551615}', /i (BAD|NO)|\* BAD|\+ /],
    [`j SEARCH ${deep(50000)}`, /j (BAD|OK)/],
    [`k SEARCH ${'OR ALL '.repeat(10000)}ALL`, /k (BAD|OK)/],
    ['l FETCH 4294967297 FLAGS', /l (BAD|NO|OK)/],
    ['m UID FETCH 1:4294967299 FLAGS', /m (BAD|OK)/],
    ['n FETCH *:1 FLAGS', /n OK/],
    ['o SEARCH 5:2', /o (BAD|OK)/],
    ['p SELECT "a\u0000b"', /p (BAD|NO)/],
    [`q NOOP ${'x'.repeat(20000)}`, /BAD/],
    ['p2 SELECT INBOX', /p2 OK/],
    ['r SEARCH FROM "\uD83D\uDE00"', /r OK/],
    ['s LOGOUT', /s OK/],
  ];
  for (const [line, expect] of battery) await typeLine(page, line, expect);
  await page.screenshot({ path: path.join(OUT, 'hostile-imap.png') });
  // The page still steps through its diagram.
  await page.click('#reset');
  await page.click('#next');
  assert.match(await page.textContent('#position'), /^step 1 of/);
});

test('hostile lines in the SMTP and POP3 terminals', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  for (const [line, expect] of [
    ['EHLO x', /250/],
    [`MAIL FROM:<${'a'.repeat(3000)}@x>`, /5\d\d/],
    ['MAIL FROM:<alice@alice.example> SIZE=18446744073709551616', /[45]\d\d/],
    ['RCPT TO:<bob@bob.example>', /[25]\d\d/],
    ['HELO \u0000\u00ff', /[25]\d\d/],
    [`NOOP ${'y'.repeat(20000)}`, /5\d\d/],
    ['QUIT', /221/],
  ]) await typeLine(page, line, expect);
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 110);
  for (const [line, expect] of [
    ['USER bob', /\+OK|-ERR/],
    ['PASS bob-pw', /\+OK|-ERR/],
    ['RETR 18446744073709551616', /-ERR/],
    ['TOP 1 99999999999999999999', /-ERR|\+OK/],
    [`LIST ${'9'.repeat(5000)}`, /-ERR/],
    ['DELE 0', /-ERR/],
    ['QUIT', /\+OK/],
  ]) await typeLine(page, line, expect);
});

test('a replay that never finished sets the newest action aside; the rest of the work plays', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/13');
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  await page.click('#f-grey-bob-server');
  const stored = () => page.evaluate(() => (localStorage.getItem('mailsim.actions.alice-to-bob') || '').split('[[action]]').length - 1);
  const n = await stored();
  assert.ok(n >= 1, 'the learner\'s actions are stored');
  // The log drawn with them is kept for the next load (src/kept.rs): the marker wins over it.
  await page.waitForFunction((n) => JSON.parse((localStorage.getItem('mailsim.kept.alice-to-bob') || '\n\n[]').split('\n')[2]).length === n, n);
  // As if the page had died while replaying them (the marker was set and never cleared).
  await page.evaluate((n) => localStorage.setItem('mailsim.replaying', `${n}\talice-to-bob`), n);
  await page.reload();
  await page.waitForSelector('#set-aside');
  assert.match(await page.textContent('#set-aside'), /newest action is set aside/);
  assert.equal(await stored(), n - 1, 'the other actions are kept');
  await page.screenshot({ path: path.join(OUT, 'set-aside.png') });
  // Still set aside after another reload, until the learner decides.
  await page.reload();
  await page.waitForSelector('#set-aside');
  await page.click('#set-aside-keep');
  await page.waitForFunction(() => !document.querySelector('#set-aside'));
  assert.equal(await stored(), n, 'put back');
  // A normal reload replays everything (here from the log kept with it) and sets nothing aside.
  await page.waitForFunction((n) => JSON.parse((localStorage.getItem('mailsim.kept.alice-to-bob') || '\n\n[]').split('\n')[2]).length === n, n);
  await page.reload();
  await page.waitForSelector('#position');
  assert.equal(await page.locator('#set-aside').count(), 0);
  await page.waitForFunction(() => localStorage.getItem('mailsim.replaying') === null);
  assert.equal(await page.evaluate(() => localStorage.getItem('mailsim.replaying')), null, 'the marker is cleared once drawn');
  await page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false);
  assert.equal(await page.evaluate(() => localStorage.getItem('mailsim.replaying')), null, 'and after the engine checked the kept log');
  // Dropping it.
  await page.evaluate((n) => localStorage.setItem('mailsim.replaying', `${n}\talice-to-bob`), n);
  await page.reload();
  await page.click('#set-aside-drop');
  await page.waitForFunction(() => !document.querySelector('#set-aside'));
  await page.reload();
  await page.waitForSelector('#position');
  assert.equal(await page.locator('#set-aside').count(), 0);
  assert.equal(await stored(), n - 1, 'dropped for good');
});

// qa10's fixes, in the browser as a student and an instructor meet them.
// - The IMAP state diagram draws the lecture's (RFC 3501 / RFC 9051 §3) paths from the server
//   greeting: OK into Not Authenticated, PREAUTH straight into Authenticated, BYE straight into
//   Logout; the SELECT arrow reads SELECT/EXAMINE. No label is under a box or on another label,
//   at 1440 and at 390 px.
// - SMTP terminal: AUTH after HELO is refused (503), with a text that says to send EHLO
//   (RFC 4954 §3, RFC 5321 §2.2.1); after EHLO the same line logs in.
// - IMAP terminal: RENAME INBOX while INBOX is selected tells that session with EXPUNGE
//   (RFC 9051 §6.3.6, §7.5.1) before the tagged OK.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';
import { stateDiagram } from './state-diagram.mjs';

const { open } = useBrowser();

const layout = stateDiagram;

for (const [w, h] of [[1440, 900], [390, 844]]) {
  test(`the IMAP state diagram has the lecture's greeting paths (${w} px)`, async (t) => {
    const page = await open(t, '#/scenario/imap-session/step/15', { viewport: { width: w, height: h } });
    // A phone shows the details in a tab of their own.
    if (w < 900) await page.click('#tab-details');
    await page.waitForSelector('#state-diagram');
    await page.locator('#state-diagram').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('#state-diagram figcaption')?.textContent.includes('IMAP'));
    const l = await layout(page);
    await (await page.$('#state-diagram')).screenshot({ path: path.join(OUT, `qa10-imap-states-${w}.png`) });
    assert.ok(l.width > 100, `the diagram is drawn (${l.width} px wide)`);
    assert.deepEqual(l.entries, [['OK', 'Not Authenticated'], ['PREAUTH', 'Authenticated'], ['BYE', 'Logout']]);
    assert.match(l.text, /server greeting/);
    assert.match(l.text, /SELECT\/EXAMINE/);
    assert.match(l.text, /LOGOUT from any state/);
    assert.deepEqual(l.cut, [], 'labels under a box');
    assert.deepEqual(l.clash, [], 'labels on labels');
    assert.ok(l.right <= l.view + 0.5, `the diagram fits the window (${l.right} > ${l.view})`);
    // The greeting's meaning is one hover away (RFC 9051 §3's (1)-(3)).
    const why = await page.$$eval('#state-diagram .st-edge title', (ts) => ts.map((x) => x.textContent).filter(Boolean));
    assert.equal(why.length, 3);
    assert.match(why[1], /PREAUTH greeting: the connection is already authenticated/);
    // SMTP and POP3 have one way in: no greeting band.
    await page.goto(`${page.url().split('#')[0]}#/scenario/alice-to-bob/step/4`);
    await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 4 '));
    if (w < 900 && !(await page.locator('#state-diagram').isVisible())) await page.click('#tab-details');
    await page.waitForFunction(() => document.querySelector('#state-diagram figcaption')?.textContent.includes('SMTP'));
    assert.doesNotMatch(await page.textContent('#state-diagram'), /server greeting/);
  });
}

test('SMTP terminal: AUTH after HELO gets 503 and says to send EHLO; after EHLO it logs in', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth');
  await openTerminal(page, 'alice-ua', 'mail.alice.example', 587);
  await type(page, 'HELO laptop', /S: 250 /);
  // alice@alice.example / alice-pw
  const plain = 'AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAYWxpY2UtcHc=';
  await type(page, plain, /S: 503 5\.5\.1 AUTH is an extension: HELO offers none, send EHLO first/);
  // The details explain the refusal with its RFC sections.
  await page.waitForFunction(() => /RFC 4954 §3/.test(document.querySelector('#details')?.textContent), null, { timeout: 5000 });
  // This port wants TLS before a password (538 otherwise): EHLO, STARTTLS, EHLO, AUTH.
  await type(page, 'EHLO laptop', /S: 250-/);
  await type(page, 'STARTTLS', /S: 220/);
  await type(page, 'EHLO laptop', /S: 250-/);
  await type(page, plain, /S: 235 2\.7\.0/);
  await page.screenshot({ path: path.join(OUT, 'qa10-auth-after-helo.png') });
});

test('IMAP terminal: RENAME INBOX while INBOX is selected expunges it in this session', async (t) => {
  const page = await open(t, '#/scenario/imap-session');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
  await type(page, 'a STARTTLS', /a OK/);
  await type(page, 'b LOGIN bob bob-pw', /b OK/);
  const sel = await type(page, 'c SELECT INBOX', /c OK \[READ-WRITE\]/);
  const n = Number(sel.match(/\* (\d+) EXISTS/)[1]);
  assert.ok(n >= 1, 'Bob has mail');
  const out = await type(page, 'd RENAME INBOX Archive', /d OK RENAME completed/);
  assert.equal((out.match(/\* 1 EXPUNGE/g) || []).length, n, out);
  await type(page, 'e FETCH 1 FLAGS', /e BAD/);
  await type(page, 'f STATUS Archive (MESSAGES)', new RegExp(`\\* STATUS Archive \\(MESSAGES ${n}\\)`));
  await page.screenshot({ path: path.join(OUT, 'qa10-rename-inbox.png') });
});

test('presenter mode: the new greeting questions (items 7 and 8) reveal Authenticated and Logout', async (t) => {
  const page = await open(t, '?present=1#/activity/imap-states-folders/item/7');
  await page.waitForSelector('#item');
  assert.match(await page.textContent('.prompt'), /\* PREAUTH IMAP4rev2 server logged in as bob/);
  assert.equal(await page.locator('[data-right], #revealed').count(), 0, 'nothing revealed');
  await page.keyboard.press('r');
  assert.deepEqual(await page.$$eval('[data-right="true"]', (cs) => cs.map((c) => c.textContent.trim())), ['BAuthenticated ✓'], 'B, the second choice, marked right');
  assert.match(await page.textContent('#revealed'), /RFC 9051 §3\)[^.]*pre-authenticated connection/);
  await page.screenshot({ path: path.join(OUT, 'qa10-present-preauth.png') });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.hash === '#/activity/imap-states-folders/item/8');
  // The URL changes before item 8 is drawn: wait for its prompt and for nothing revealed,
  // then reveal (a key pressed in between would reveal item 7 again).
  await page.waitForFunction(() => /\* BYE /.test(document.querySelector('.prompt')?.textContent || '') && !document.querySelector('[data-right], #revealed'));
  await page.keyboard.press('r');
  await page.waitForSelector('[data-right="true"]');
  assert.deepEqual(await page.$$eval('[data-right="true"]', (cs) => cs.map((c) => c.textContent.trim())), ['DLogout ✓']);
});

test('embedded in a course page: the greeting question answered in the frame', async (t) => {
  const page = await open(t, '?embed=1#/activity/imap-states-folders/item/7', { viewport: { width: 1024, height: 600 }, ready: '#item', fresh: true });
  await page.check('#choice-1');  // Authenticated
  await page.click('#submit');
  await page.waitForSelector('#feedback');
  assert.equal(await page.getAttribute('#feedback', 'data-correct'), 'true', await page.textContent('#feedback'));
  assert.match(await page.textContent('#feedback'), /pre-authenticated connection \(§7\.1\.4\)/);
  await page.screenshot({ path: path.join(OUT, 'qa10-embed-preauth.png') });
});

test('an instructor\'s task with a misspelt command says so, located, in "Check and open"', async (t) => {
  const page = await open(t, '#/activities', { ready: '#paste' });
  await page.fill('#paste', `[activity]
id = "imap-by-hand"
title = "IMAP by hand"
scenario = "imap-session"

[[item]]
kind = "task"
prompt = "Select the inbox yourself."
check = { kind = "typed", verb = "SELCT", protocol = "IMAP" }
`);
  await page.click('#paste-form button[type=submit]');
  await page.waitForFunction(() => document.body.textContent.includes('SELCT'));
  assert.match(await page.textContent('body'), /pasted\.toml:9:9: in check: `verb` is "SELCT", which is not an IMAP command, so the task could never be done[^\n]*did you mean `SELECT`\?/);
  await page.screenshot({ path: path.join(OUT, 'qa10-activity-selct.png') });
});

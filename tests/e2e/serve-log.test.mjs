// End-to-end (issue 16, QA F19 and F9): a `mailsim serve --log` file opened after class shows
// what the live view showed on the projector: one lifeline per student (by login), anonymous
// connections by their address; and a real client's protocol state is not made up.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, OUT, panelsShown } from './browser.mjs';
import { logRecords, startServe } from './serve-lib.mjs';
import { DIST } from './bundle-size.mjs';

const USERS = { 'ana@class.example': 'ana-Secret1', 'ben@class.example': 'ben-Secret2' };
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-e2e-' });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  serve?.stop();
});

/** Each lifeline: its name and host, as drawn. */
const lanes = (p) => p.$$eval('.actor-name', (ns) => ns.map((n) => `${n.textContent} ${n.nextElementSibling?.textContent}`));

test('Open… of a --log file draws the lanes of the live view; a real client\'s state is not known', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  t.after(() => context.close());
  await page.goto(serve.live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  // Two students from one address (Ana twice: IMAP and submission; Ben over POP3), and an
  // anonymous relay connection from the same address.
  serve.python(`
i = imaplib.IMAP4(H, IMAP); i.login('ana', USERS['ana@class.example']); i.select('INBOX'); i.logout()
p = poplib.POP3(H, POP); p.user('ben@class.example'); p.pass_(USERS['ben@class.example']); p.stat(); p.quit()
s = smtplib.SMTP(H, SMTP); s.ehlo('anon.example'); s.quit()
s = smtplib.SMTP(H, SUB); s.login('ana@class.example', USERS['ana@class.example']); s.quit()
`);
  await new Promise((r) => setTimeout(r, 300));
  const records = logRecords(serve.logFile);
  const owners = records.filter((r) => r.event === 'owner');
  assert.deepEqual(owners.map((o) => o.user).sort(), ['ana@class.example', 'ana@class.example', 'ben@class.example'], 'the log records each login');
  const n = records.filter((r) => r.event === 'message_sent').length;
  await page.waitForFunction((n) => document.querySelectorAll('#live-transcript li').length >= n, n, { timeout: 10000 });
  const live = await lanes(page);
  assert.deepEqual([...live].sort(), ['ana@class.example 127.0.0.1', 'ben@class.example 127.0.0.1', 'client 127.0.0.1 127.0.0.1', 'mailsim serve localhost'].sort(), live.join(' | '));
  await page.screenshot({ path: path.join(OUT, 'serve-log-live.png') });

  // After class: the same page, Open… the --log file.
  await page.goto(serve.live.split('?')[0] + '#/scenario/alice-to-bob');
  await page.waitForSelector('#import');
  await page.setInputFiles('#import', serve.logFile);
  await page.waitForFunction((n) => document.querySelector('#position')?.textContent === `step 0 of ${n}`, n);
  assert.deepEqual(await lanes(page), live, 'the lanes of the live view, in its order');

  // A server reply to a real client: the server's state is shown, the client's is not known.
  const step = records.filter((r) => r.event === 'message_sent').findIndex((r) => r.from === 'server' && /LOGOUT/.test(r.label)) + 1;
  assert.ok(step > 0);
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < step; i += 1) await page.keyboard.press('ArrowRight');
  await page.waitForFunction((s) => document.querySelector('#position')?.textContent.startsWith(`step ${s} of`), step);
  // The panels follow the step a frame later (src/app.rs, `deferred`): read them on step `step`.
  await panelsShown(page);
  const states = await page.$$eval('#states tr', (rs) => rs.map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
  assert.equal(states.length, 2);
  assert.match(states[0][0], /^mailsim serve \(sender\)$/);
  assert.ok(!/real client/.test(states[0][1]) && states[0][1].length > 0, `the server's state: ${states[0][1]}`);
  assert.match(states[1][0], /^ana@class\.example \(receiver\)$/);
  assert.equal(states[1][1], 'a real client: its state is not known to the server');
  await page.screenshot({ path: path.join(OUT, 'serve-log-opened.png') });
  assert.deepEqual(errors, [], 'no console errors');
});

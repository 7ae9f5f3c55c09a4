// qa8's defects, in the browser as a student and an instructor meet them.
// - SMTP terminal: DATA typed too early is refused, and the next lines are commands answered
//   one by one (they were held back as "the message" until a "." line).
// - IMAP terminal: a command typed without its tag says so.
// - An instructor's new activity: a check's code without quotes, or of another protocol's
//   form, is a located error that says what to write.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';

const { open } = useBrowser();

test('SMTP terminal: after a refused DATA, MAIL FROM is answered at once', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  await type(page, 'EHLO laptop', /250 /);
  await type(page, 'DATA', /503 5\.5\.1/);
  await type(page, 'MAIL FROM:<alice@alice.example>', /C: MAIL FROM:<alice@alice\.example>\s+S: 250 2\.1\.0/);
  await type(page, 'RCPT TO:<bob@bob.example>', /S: 250 2\.1\.5/);
  await type(page, 'DATA', /S: 354/);
  for (const line of ['Subject: second try', '', 'hello']) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
    await page.waitForFunction(() => document.querySelector('#t-line')?.value === '');
  }
  await type(page, '.', /S: 250 2\.0\.0 OK: queued/);
  const out = await page.textContent('#t-out');
  // Each command's reply follows it: no block of commands with their replies after.
  assert.match(out, /C: DATA\s+S: 503[^\n]*\s+C: MAIL FROM/);
  await page.screenshot({ path: path.join(OUT, 'qa8-data-too-early.png') });
});

test('IMAP terminal: a command typed without its tag says what to type', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
  const tail = await type(page, 'logout', /logout BAD LOGOUT was read as the tag/);
  assert.match(tail, /e\.g\. a1 LOGOUT/);
  await type(page, 'a1 LOGOUT', /a1 OK LOGOUT completed/);
});

test('a new activity: a check code without quotes, or of another protocol, is a located error', async (t) => {
  const page = await open(t, '#/activities', { ready: '#paste' });
  const file = (check) => `[activity]
id = "greeting-lab"
title = "Who speaks first?"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "Make Bob's server refuse a recipient."
check = ${check}
`;
  const submit = async (text) => {
    await page.fill('#paste', text);
    await page.click('#paste-form button[type=submit]');
  };
  await submit(file('{ kind = "reply", code = 550, protocol = "SMTP" }'));
  await page.waitForFunction(() => document.body.textContent.includes('write it in quotes'));
  let body = await page.textContent('body');
  assert.match(body, /pasted\.toml:9:9: in check: invalid type: integer `550`, expected a string: write it in quotes, e\.g\. `code = "550"`/);
  await submit(file('{ kind = "reply", code = "OK", protocol = "SMTP" }'));
  await page.waitForFunction(() => document.body.textContent.includes('never answers'));
  body = await page.textContent('body');
  assert.match(body, /`code` is "OK", which an SMTP server never answers, so the task could never be done/);
  await page.screenshot({ path: path.join(OUT, 'qa8-activity-error.png') });
});

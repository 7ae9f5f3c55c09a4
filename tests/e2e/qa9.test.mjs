// qa9's defects, in the browser as a student and an instructor meet them.
// - SMTP terminal: RCPT TO:<postmaster@bob.example> was refused (550) and <postmaster> was
//   accepted and then lost; both are accepted now (RFC 5321 §4.5.1) and the message lands in
//   Bob's mailbox (he runs bob.example).
// - The lecture's POP3 session lists again after dele 1, as the slide does: messages 2 to 6.
// - An instructor's regular expression with single backslashes between double quotes is a
//   TOML escape error that now says what to write.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';

const { open } = useBrowser();

test('SMTP terminal: mail for the postmaster is accepted and stored in Bob\'s mailbox', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  await type(page, 'HELO laptop', /250 /);
  await type(page, 'MAIL FROM:<alice@alice.example>', /S: 250 2\.1\.0/);
  await type(page, 'RCPT TO:<Postmaster@bob.example>', /S: 250 2\.1\.5 Recipient <Postmaster@bob\.example> OK/);
  await type(page, 'RCPT TO:<postmaster>', /S: 250 2\.1\.5 Recipient <postmaster> OK/);
  await type(page, 'DATA', /S: 354/);
  for (const line of ['Subject: for the postmaster', '', 'Your server is fine.']) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
    await page.waitForFunction(() => document.querySelector('#t-line')?.value === '');
  }
  await type(page, '.', /S: 250 2\.0\.0 OK: queued/);
  const box = page.locator('[data-mailbox="bob@bob.example"]');
  await page.waitForFunction(() => document.querySelector('[data-mailbox="bob@bob.example"]')?.textContent.includes('for the postmaster'),
    null, { timeout: 10000 });
  // One copy for the two names of the same mailbox.
  assert.equal((await box.textContent()).split('for the postmaster').length - 1, 1, await box.textContent());
  await page.screenshot({ path: path.join(OUT, 'qa9-postmaster.png') });
});

test('the lecture\'s POP3 session lists again after dele 1: messages 2 to 6', async (t) => {
  const page = await open(t, '#/scenario/pop3-session/step/13');
  await page.waitForSelector('#details');
  const labels = await page.$$eval('.diagram-pane .arrow .label', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(labels.filter((l) => l === 'list'), ['list', 'list'], labels.join(' | '));
  const details = await page.textContent('#details');
  assert.match(details, /\+OK 5 messages \(3385 octets\)/);
  assert.match(details, /2 203[\s\S]*6 152/);
  assert.doesNotMatch(details, /(^|[^0-9])1 152/);
  await page.screenshot({ path: path.join(OUT, 'qa9-pop3-second-list.png') });
});

test('a new activity: a regex with single backslashes says to double them or use single quotes', async (t) => {
  const page = await open(t, '#/activities', { ready: '#paste' });
  await page.fill('#paste', `[activity]
id = "codes"
title = "Reply codes"
scenario = "alice-to-bob"

[[item]]
kind = "short"
prompt = "Which code means the message was accepted?"
answer = ["/2\\d\\d/"]
`);
  await page.click('#paste-form button[type=submit]');
  await page.waitForFunction(() => document.body.textContent.includes('write it twice'));
  const body = await page.textContent('body');
  assert.match(body, /pasted\.toml:9:\d+: missing escaped value[^\n]*write it twice \("\/\\\\d\+\/"\) or use single quotes \('\/\\d\+\/'\)/);
  await page.screenshot({ path: path.join(OUT, 'qa9-activity-backslash.png') });
});

// QA3 F1, F5, F10, F6, F16, F2: the lectures typed into the page's terminal. The lecture's IMAP
// session with AUTHENTICATE SCRAM-SHA-256 computed by the SCRAM helper (each message decoded,
// field by field) up to LOGOUT; DATA lines sent as typed (no dot-stuffing by the terminal); the
// blank line between header and body printed in RETR; the diagram follows to the reply.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';

const { open } = useBrowser();
const position = (page) => page.textContent('#position');
const sCount = (page) => page.$eval('#t-out', (el) => (el.textContent.match(/S: /g) || []).length);

/** Presses the SCRAM helper's button (labelled `label`) and waits for the server's answer. */
async function helper(page, label) {
  const button = page.locator('#t-scram');
  await button.waitFor({ timeout: 20000 });
  assert.match(await button.textContent(), label);
  const before = await sCount(page);
  await button.click();
  await page.waitForFunction((n) => (document.querySelector('#t-out').textContent.match(/S: /g) || []).length > n,
    before, { timeout: 20000 });
  return page.textContent('#t-out');
}

test('the lecture\'s IMAP session, SCRAM computed by the helper, up to LOGOUT', async (t) => {
  const page = await open(t, '#/scenario/imap-session/step/0');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
  await type(page, 'a000 STARTTLS', /a000 OK/);
  await type(page, 'a001 AUTHENTICATE SCRAM-SHA-256', /S: \+\s*$/);
  let out = await helper(page, /Mail client: compute client-first/);
  // client-first, decoded and explained; then the server-first, decoded too.
  assert.match(out, /base64 of "n,,n=bob,r=[0-9A-Za-z]+"/);
  assert.match(out, /n,, {2}GS2 header: n = no channel binding/);
  assert.match(out, /r=[0-9A-Za-z]+ {2}the client's nonce/);
  assert.match(out, /s=\S+ {2}the salt/);
  assert.match(out, /i=4096 {2}the iteration count/);
  await page.screenshot({ path: path.join(OUT, 'terminal-scram-helper.png'), fullPage: false });
  await page.locator('#terminal').screenshot({ path: path.join(OUT, 'terminal-scram.png') });
  out = await helper(page, /compute client-final/);
  assert.match(out, /base64 of "c=biws,r=\S+,p=\S+"/);
  assert.match(out, /p=\S+ {2}ClientProof/);
  assert.match(out, /v=\S+ {2}ServerSignature/);
  out = await helper(page, /check the server's signature/);
  assert.match(out, /C: \nS: a001 OK/, 'the empty line, then the tagged OK');
  assert.equal(await page.locator('#t-scram').count(), 0, 'no helper outside an exchange');
  await type(page, 'a002 ENABLE IMAP4rev2', /ENABLED IMAP4rev2[\s\S]*a002 OK/);
  await type(page, 'a003 select inbox', /EXISTS[\s\S]*a003 OK/);
  await type(page, 'a004 fetch 12 full', /INTERNALDATE[\s\S]*a004 OK/);
  await type(page, 'a004 fetch 12 body[header]', /BODY\[HEADER\] \{\d+\}[\s\S]*S: \nS: \)\nS: a004 OK/);
  await type(page, 'a004 store 12 +flags \\deleted', /\\Deleted[\s\S]*a004 OK/);
  await type(page, 'a005 LOGOUT', /BYE[\s\S]*a005 OK/);
  // The diagram follows the terminal: the current step is the reply just printed (F6).
  const [n, total] = (await position(page)).match(/\d+/g).map(Number);
  assert.equal(n, total, `at the newest arrow: ${await position(page)}`);
});

test('DATA lines go out as typed; the hint says why a leading dot disappears', async (t) => {
  const page = await open(t, '#/scenario/playground/step/0');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  await type(page, 'HELO laptop', /250/);
  await type(page, 'MAIL FROM:<alice@alice.example>', /250/);
  await type(page, 'RCPT TO:<bob@bob.example>', /250/);
  await type(page, 'DATA', /354/);
  assert.match(await page.textContent('#t-data-hint'), /RFC 5321 §4\.5\.2/);
  for (const line of ['Subject: dots', '', '.dot line', '..two']) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
  }
  await type(page, '.', /250/);
  const out = await page.textContent('#t-out');
  assert.match(out, /C: Subject: dots\nC: \nC: \.dot line\nC: \.\.two\nC: \.\n/, 'sent as typed');
  assert.equal(await page.locator('#t-data-hint').count(), 0);
  const [n, total] = (await position(page)).match(/\d+/g).map(Number);
  assert.equal(n, total, 'the diagram is at the 250 the terminal printed');
  // Port 995 (POP3S) can be chosen.
  assert.equal(await page.locator('#t-port option[value="995"]').count(), 1);
});

test('RETR shows the blank line after the header; POP3 labels keep the typed case', async (t) => {
  const page = await open(t, '#/scenario/pop3-session/step/0');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 110);
  await type(page, 'user bob', /\+OK/);
  await type(page, 'pass bob-pw', /\+OK/);
  const tail = await type(page, 'retr 5', /\+OK/);
  assert.match(tail, /S: Subject: Some boring mail\nS: \nS: Some data\nS: \.\.A line that starts with a \.\n/);
  await type(page, 'top 1 0', /S: \nS: \.\n$/);
  // The arrow's label is the line as sent.
  assert.ok(await page.locator('.diagram-body text.label', { hasText: /^retr 5$/ }).count() > 0, 'label "retr 5"');
  assert.equal(await page.locator('.diagram-body text.label', { hasText: /^RETR 5$/ }).count(), 0);
});

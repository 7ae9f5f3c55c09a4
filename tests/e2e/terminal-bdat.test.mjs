// QA defect: BDAT typed into the page's SMTP terminal. `BDAT 5` then `hello` sends five octets
// (no stray CRLF, so no `500 Command unrecognized: ""`); `BDAT 0 LAST` takes no chunk line and
// is answered at once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';

const { open } = useBrowser();

test('BDAT in the SMTP terminal', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  await type(page, 'EHLO alice.example', /250-.*CHUNKING/s);
  await type(page, 'MAIL FROM:<alice@alice.example>', /250/);
  await type(page, 'RCPT TO:<bob@bob.example>', /250/);
  // The BDAT line waits for its chunk: no reply yet.
  await page.fill('#t-line', 'BDAT 5');
  await page.press('#t-line', 'Enter');
  await page.waitForFunction(() => document.querySelector('#t-out').textContent.includes('C: BDAT 5'));
  await type(page, 'hello', /250 .*5 octets/);
  const tail = await type(page, 'BDAT 0 LAST', /250 2\.0\.0/);
  assert.doesNotMatch(tail, /500/);
  assert.doesNotMatch(await page.textContent('#t-out'), /Command unrecognized/);
  assert.match(await page.getAttribute('#t-line', 'placeholder'), /after BDAT n, the next line is the chunk/);
});

// QA defect: a stored message without a From shows no empty field between dots.
test('a mailbox row omits an empty From', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'alice-ua', 'mail.bob.example', 25);
  await type(page, 'EHLO alice.example', /250/);
  await type(page, 'MAIL FROM:<alice@alice.example>', /250/);
  await type(page, 'RCPT TO:<bob@bob.example>', /250/);
  await type(page, 'DATA', /354/);
  for (const line of ['Subject: no sender here', '', 'hi']) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
  }
  await type(page, '.', /250/);
  const box = page.locator('[data-mailbox="bob@bob.example"] details.stored summary', { hasText: 'no sender here' });
  await box.first().waitFor({ timeout: 20000 });
  const text = await box.first().textContent();
  assert.match(text, /^UID \d+ · /);
  assert.doesNotMatch(text, /·\s*·/, `no empty field: ${text}`);
});

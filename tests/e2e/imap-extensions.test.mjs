// Issue 14 in the page: what real IMAP clients send (IMAP4rev1 forms, ID, LSUB, CHECK,
// CONDSTORE, SORT, THREAD, QUOTA, BINARY, SEARCHRES...) works when typed into the page's IMAP
// terminal, which drives the same engine as `mailsim serve`, and each step is explained with
// its RFC.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist } from './serve-dist.mjs';
import { launch } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
let server, browser;
before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  server = await serveDist(DIST);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function type(page, line, expect) {
  const before = await page.$eval('#t-out', (el) => (el.textContent.match(/S: /g) || []).length);
  await page.fill('#t-line', line);
  await page.press('#t-line', 'Enter');
  await page.waitForFunction((n) => (document.querySelector('#t-out').textContent.match(/S: /g) || []).length > n,
    before, { timeout: 20000 });
  // The whole answer (untagged lines and the tagged status) arrives as one response.
  const out = await page.textContent('#t-out');
  const tail = out.slice(out.lastIndexOf('C: '));
  assert.match(tail, expect, `reply to ${line}`);
  return tail;
}

test('IMAP extensions typed into the terminal', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(async () => {
    await page.close();
    assert.deepEqual(errors, []);
  });
  await page.goto(server.url + '#/scenario/imap-session');
  await page.waitForSelector('#position');
  if (!(await page.locator('#tab-terminal').isVisible())) await page.click('#learn summary');
  await page.click('#tab-terminal');
  await page.selectOption('#t-client', 'bob-ua');
  await page.selectOption('#t-host', 'mail.bob.example');
  await page.selectOption('#t-port', '143');
  await page.click('#t-open');
  await page.waitForSelector('#t-line');
  await type(page, 'a STARTTLS', /a OK/);
  await type(page, 'b LOGIN bob bob-pw', /b OK \[CAPABILITY [^\]]*UIDPLUS MOVE[^\]]*CONDSTORE QRESYNC[^\]]*SORT THREAD=ORDEREDSUBJECT/);
  await type(page, 'c ID ("name" "playwright")', /\* ID \("name" "Mailsim"[^\n]*\n.*c OK ID completed/s);
  await type(page, 'd LSUB "" "*"', /\* LSUB \(\) "\/" INBOX.*d OK LSUB completed/s);
  await type(page, 'e SELECT INBOX (CONDSTORE)', /\* OK \[HIGHESTMODSEQ \d+\].*\* \d+ RECENT.*e OK \[READ-WRITE\]/s);
  await type(page, 'f SEARCH 100000', /f BAD message number 100000 does not exist/);
  await type(page, 'g CHECK', /g OK CHECK completed/);
  await type(page, 'h SORT (REVERSE ARRIVAL) UTF-8 ALL', /\* SORT [\d ]+.*h OK SORT completed/s);
  assert.match(await page.textContent('#details .rfc'), /RFC 5256/);
  await type(page, 'i THREAD REFERENCES UTF-8 ALL', /\* THREAD \(.*i OK THREAD completed/s);
  await type(page, 'j GETQUOTAROOT INBOX', /\* QUOTAROOT INBOX ""\s+\* QUOTA "" \(STORAGE \d+ 51200\).*j OK/s);
  await type(page, 'k SEARCH RETURN (SAVE) ALL', /k OK SEARCH completed, result saved/);
  await type(page, 'l FETCH $ (MODSEQ)', /\* 1 FETCH \(MODSEQ \(\d+\)\).*l OK/s);
  await type(page, 'm FETCH 1 BINARY.SIZE[1]', /\* 1 FETCH \(BINARY\.SIZE\[1\] \d+\).*m OK/s);
  await type(page, 'n STORE 1 +FLAGS ($Lecture)', /\* FLAGS \([^)]*\$Lecture\).*MODSEQ.*n OK/s);
  await page.screenshot({ path: path.join(OUT, 'imap-extensions.png') });
  await type(page, 'o LOGOUT', /o OK/);
});

// Issue 14 in the page: what real IMAP clients send (IMAP4rev1 forms, ID, LSUB, CHECK,
// CONDSTORE, SORT, THREAD, QUOTA, BINARY, SEARCHRES...) works when typed into the page's IMAP
// terminal, which drives the same engine as `mailsim serve`, and each step is explained with
// its RFC.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { openTerminal, typeLine as type } from './terminal.mjs';

const { open } = useBrowser();

test('IMAP extensions typed into the terminal', async (t) => {
  const page = await open(t, '#/scenario/imap-session');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
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
  await type(page, 'j GETQUOTAROOT INBOX', /\* QUOTAROOT INBOX ""\s+S: \* QUOTA "" \(STORAGE \d+ 51200\).*j OK/s);
  await type(page, 'k SEARCH RETURN (SAVE) ALL', /k OK SEARCH completed, result saved/);
  await type(page, 'l FETCH $ (MODSEQ)', /\* 1 FETCH \(MODSEQ \(\d+\)\).*l OK/s);
  await type(page, 'm FETCH 1 BINARY.SIZE[1]', /\* 1 FETCH \(BINARY\.SIZE\[1\] \d+\).*m OK/s);
  await type(page, 'n STORE 1 +FLAGS ($Lecture)', /\* FLAGS \([^)]*\$Lecture\).*MODSEQ.*n OK/s);
  await page.screenshot({ path: path.join(OUT, 'imap-extensions.png') });
  await type(page, 'o LOGOUT', /o OK/);
});

// QA defect: in an empty mailbox FETCH and STORE still go out and get the server's BAD
// (RFC 9051 §9), and DONE ends IDLE (RFC 2177 §3) with the session going on after it.
test('IMAP terminal: FETCH/STORE in an empty mailbox, IDLE then DONE', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await openTerminal(page, 'bob-ua', 'mail.bob.example', 143);
  await type(page, 'a1 starttls', /a1 OK/);
  await type(page, 'a2 login bob bob-pw', /a2 OK/);
  await type(page, 'a3 select INBOX', /\* 0 EXISTS.*a3 OK/s);
  await type(page, 'a4 fetch 1:* flags', /a4 BAD/);
  await type(page, 'a5 store 1 +flags (\\Deleted)', /a5 BAD/);
  await type(page, 'a6 idle', /\+ idling/);
  await type(page, 'done', /a6 OK IDLE terminated/);
  await type(page, 'a7 noop', /a7 OK/);
  await type(page, 'a8 logout', /a8 OK/);
});

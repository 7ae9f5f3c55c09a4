// End-to-end: what QA3 found in activities and the live view, fixed (/work/notes/s4/qa3.md).
// - F11: in an activity nothing after an open question's step is drawn (not even faded): the
//   intro, the item, presenter mode and the 1024×600 embed; the free playground keeps its
//   faded future.
// - F12: a link to a page the activity lacks says so, in the activity.
// - F18: Back after switching scenario returns to the last one.
// - F7: the live view's "show decrypted" shows what real clients said inside STARTTLS (ENABLE,
//   SELECT), credentials still redacted; F8: a filter that matches nothing says so and the
//   World panel keeps the mail; the address filter matches logins too.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, ROOT } from './serve-lib.mjs';

const DIST_DIR = process.env.MAILSIM_DIST || DIST;
const pw = useBrowser({ root: DIST_DIR });

// The worked example of docs/activities.md, served from this origin as an instructor would.
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'activities.md'), 'utf8');
const EXAMPLE = DOC.slice(DOC.indexOf('## A worked example')).match(/```toml\n([\s\S]*?)```/)[1];
before(() => {
  fs.mkdirSync(path.join(DIST_DIR, 'test-qa'), { recursive: true });
  fs.writeFileSync(path.join(DIST_DIR, 'test-qa', 'pop3-delete.toml'), EXAMPLE);
});
const FILE = 'activity=test-qa/pop3-delete.toml';

const open = (t, url, viewport) => pw.open(t, url, { viewport, ready: '.app', fresh: true });
const arrowCount = (page) => page.locator('.diagram-pane .arrow').count();
const diagramLabels = (page) => page.$$eval('.diagram-pane .arrow .label', (ls) => ls.map((l) => l.textContent));
async function drawn(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('.diagram-pane .arrow').length === n, n, { timeout: 10000 })
    .catch(async () => assert.fail(`expected ${n} arrows, saw ${await arrowCount(page)}: ${(await diagramLabels(page)).join(' | ')}`));
}

test('F11: the intro, an open item, presenter mode and the embed draw nothing after the question\'s step', async (t) => {
  // pop3-session: step 9's next message is DELE 1, step 11's the second LIST (the docs' table).
  const page = await open(t, `?${FILE}#/activity/pop3-delete`);
  await page.waitForSelector('#intro');
  await drawn(page, 9);
  assert.equal(await page.locator('.diagram-pane .arrow.future').count(), 9, 'the intro is at step 0: up to step 9, faded');
  assert.ok(!(await diagramLabels(page)).some((l) => /DELE|QUIT/i.test(l)), 'item 1\'s answer is not on the intro');
  assert.match(await page.textContent('#hidden-note'), /after step 9 is hidden until you answer the items/);
  await page.screenshot({ path: path.join(OUT, 'qa-f11-intro-after.png') });

  // Item 2 (a choice at step 11, about what DELE did): nothing after 11 until answered.
  await page.goto(`${pw.server.url}?${FILE}#/activity/pop3-delete/item/2`);
  await page.waitForSelector('#item[data-item="2"]');
  await drawn(page, 11);
  assert.equal(await page.locator('.diagram-pane .arrow.future').count(), 0);
  assert.ok(await page.isDisabled('#next'), 'no stepping into what is hidden');
  assert.match(await page.textContent('#hidden-note'), /hidden until you answer/);
  await page.check('#choice-0');
  await page.click('#submit');
  await page.waitForSelector('#feedback');
  await drawn(page, 15);
  assert.ok((await page.locator('.diagram-pane .arrow.future').count()) > 0, 'answered: the rest, faded');
  // Item 1 is still open: the intro still stops at its step.
  await page.goto(`${pw.server.url}?${FILE}#/activity/pop3-delete`);
  await drawn(page, 9);

  // The free playground keeps its faded future.
  await page.goto(`${pw.server.url}#/scenario/pop3-session/step/0`);
  await page.waitForSelector('#position');
  await page.waitForFunction(() => document.querySelectorAll('.arrow.future').length === 15);
});

test('F11: presenter mode on the projector: the answer of "who speaks first?" is not on screen', async (t) => {
  const page = await open(t, '?present=1#/activity/send-protocols');
  await page.waitForSelector('#intro');
  await drawn(page, 0);
  await page.screenshot({ path: path.join(OUT, 'qa-f11-present-intro-after.png') });
  await page.goto(`${pw.server.url}?present=1#/activity/send-protocols/item/2`);
  await page.waitForSelector('#item[data-item="2"]');
  await drawn(page, 0);
  assert.ok(!(await page.evaluate(() => document.querySelector('.diagram-pane').textContent)).includes('220'));
  await page.screenshot({ path: path.join(OUT, 'qa-f11-present-item2-after.png') });
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('r');
  await page.waitForSelector('#revealed');
  assert.ok((await arrowCount(page)) > 0, 'revealed: the greeting is drawn');
  // Item 3, a clicker question at step 12 ("how will it reach Bob's server?"): the relay after
  // it stays hidden until R.
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#item[data-item="3"]');
  await drawn(page, 12);
  assert.ok(!(await diagramLabels(page)).some((l) => /MX/.test(l)), 'item 4\'s answer (the MX query) is not on screen');
  await page.keyboard.press('r');
  await page.waitForSelector('#revealed');
  assert.ok((await arrowCount(page)) > 12);
});

test('F11: the 1024×600 embed of an activity draws nothing past its first question', async (t) => {
  const page = await open(t, `?embed=1&${FILE}#/activity/pop3-delete`, { width: 1024, height: 600 });
  await page.waitForSelector('#intro');
  await drawn(page, 9);
  assert.ok(!(await diagramLabels(page)).some((l) => /DELE|QUIT/i.test(l)));
  await page.screenshot({ path: path.join(OUT, 'qa-f11-embed-after.png') });
});

test('F12: a link to a page the activity lacks says so and stays in the activity', async (t) => {
  const page = await open(t, `?${FILE}#/activity/pop3-delete/3`);
  await page.waitForSelector('#no-such-page');
  assert.match(await page.textContent('#no-such-page'), /This activity has no page "3": its pages are the intro, items 1 to 3 \(#\/activity\/pop3-delete\/item\/N\), and the summary/);
  assert.ok(await page.isVisible('#intro'), 'its introduction');
  assert.equal(await page.evaluate(() => location.hash), '#/activity/pop3-delete/3', 'not sent to the playground');
  await page.screenshot({ path: path.join(OUT, 'qa-f12-no-such-page.png') });
  for (const [bad, what] of [['item/9', 'item/9'], ['item/x', 'item/x']]) {
    await page.goto(`${pw.server.url}#/activity/send-protocols/${bad}`);
    await page.waitForFunction((w) => document.querySelector('#no-such-page')?.textContent.includes(`no page "${w}"`), what);
  }
  // A good link clears the note.
  await page.click('#next-item');
  await page.waitForSelector('#item[data-item="1"]');
  assert.equal(await page.locator('#no-such-page').count(), 0);
});

test('F18: Back after switching scenario returns to the last one, at its step', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/0');
  await page.waitForSelector('#position');
  for (let i = 0; i < 3; i++) await page.click('#next');
  await page.waitForFunction(() => location.hash === '#/scenario/alice-to-bob/step/3');
  await page.selectOption('#scenario', 'pop3-session');
  await page.waitForFunction(() => location.hash === '#/scenario/pop3-session/step/0');
  await page.click('#next');
  await page.waitForFunction(() => location.hash === '#/scenario/pop3-session/step/1');
  await page.goBack();
  await page.waitForFunction(() => location.hash === '#/scenario/alice-to-bob/step/3');
  await page.waitForFunction(() => /^step 3 of /.test(document.querySelector('#position').textContent));
  assert.equal(await page.inputValue('#scenario'), 'alice-to-bob');
  await page.goForward();
  await page.waitForFunction(() => location.hash === '#/scenario/pop3-session/step/1');
  assert.equal(await page.inputValue('#scenario'), 'pop3-session');
});

// ---------------------------------------------------------------------------------------------
// The live view, with real clients over STARTTLS.

const USERS = { 'alice@alice.example': 'alice-Secret1', 'bob@bob.example': 'bob-Secret2' };
let serve, ports, live;

before(async () => {
  serve = await startServe({ dist: DIST_DIR, users: USERS, prefix: 'mailsim-qa-' });
  ({ ports, live } = serve);
});

after(() => serve?.stop());

/** The lecture's sessions by a student's real clients, all inside STARTTLS: submission with AUTH
 * PLAIN and AUTH LOGIN, IMAP with AUTHENTICATE SCRAM-SHA-256, ENABLE, SELECT, FETCH, STORE, and
 * IMAP LOGIN, POP3 STLS + USER/PASS. */
const student = () => `
import smtplib, imaplib, poplib, ssl, hashlib, hmac, base64, os
from email.message import EmailMessage
H = '127.0.0.1'
SUB, IMAP, POP = ${ports.submission}, ${ports.imap}, ${ports.pop3}
USERS = ${JSON.stringify(USERS)}
ctx = ssl._create_unverified_context()
def mail(subject):
    m = EmailMessage(); m['From'] = 'alice@alice.example'; m['To'] = 'bob@bob.example'; m['Subject'] = subject
    m.set_content('Hello Bob.\\n'); return m
s = smtplib.SMTP(H, SUB); s.starttls(context=ctx); s.login('alice@alice.example', USERS['alice@alice.example'])
s.send_message(mail('Inside TLS')); s.quit()
s = smtplib.SMTP(H, SUB); s.starttls(context=ctx); s.ehlo(); s.user, s.password = 'alice@alice.example', USERS['alice@alice.example']
s.auth('LOGIN', s.auth_login); s.send_message(mail('Inside TLS, AUTH LOGIN')); s.quit()
class Scram:
    def __init__(s, user, pw): s.user = user; s.pw = pw; s.step = 0; s.nonce = base64.b64encode(os.urandom(18)).decode()
    def __call__(s, data):
        if s.step == 0:
            s.step = 1; s.cfb = 'n=%s,r=%s' % (s.user, s.nonce); return 'n,,' + s.cfb
        if s.step == 1:
            s.step = 2; sf = data.decode(); d = dict(kv.split('=', 1) for kv in sf.split(','))
            sp = hashlib.pbkdf2_hmac('sha256', s.pw.encode(), base64.b64decode(d['s']), int(d['i']))
            ck = hmac.new(sp, b'Client Key', 'sha256').digest(); sk = hashlib.sha256(ck).digest()
            cfwp = 'c=biws,r=' + d['r']; am = (s.cfb + ',' + sf + ',' + cfwp).encode()
            sig = hmac.new(sk, am, 'sha256').digest(); proof = bytes(a ^ b for a, b in zip(ck, sig))
            return cfwp + ',p=' + base64.b64encode(proof).decode()
        return ''
i = imaplib.IMAP4(H, IMAP); i.starttls(ssl_context=ctx)
i.authenticate('SCRAM-SHA-256', Scram('bob@bob.example', USERS['bob@bob.example']))
i._simple_command('ENABLE', 'IMAP4rev2'); i.select('INBOX'); i.fetch('1', 'FULL'); i.store('1', '+FLAGS', '\\\\Deleted'); i.logout()
i = imaplib.IMAP4(H, IMAP); i.starttls(ssl_context=ctx); i.login('bob@bob.example', USERS['bob@bob.example']); i.logout()
p = poplib.POP3(H, POP); p.stls(context=ctx); p.user('bob@bob.example'); p.pass_(USERS['bob@bob.example']); p.stat(); p.quit()
`;

/** What must never reach a page: the passwords, and PLAIN/LOGIN's base64 of them. */
function secrets() {
  const b64 = (s) => Buffer.from(s, 'latin1').toString('base64');
  return Object.entries(USERS).flatMap(([u, p]) => [p, b64(p), b64(`\0${u}\0${p}`)]);
}

async function liveOpen(t, url, viewport = { width: 1440, height: 900 }) {
  const context = await pw.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/403|Forbidden|net::/.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'no console errors');
  });
  await page.goto(url);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  return page;
}
/** Waits until the transcript has stopped growing (the clients are done). */
async function settled(page) {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const n = await page.locator('#live-transcript li').count();
    if (n > 0 && n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 400));
  }
  assert.fail('the transcript kept growing');
}
const transcript = (page) => page.$$eval('#live-transcript li .label', (ls) => ls.map((l) => l.textContent));

test('F7: the live view shows what real clients said inside STARTTLS, credentials redacted; off shows TLS records', async (t) => {
  execFileSync('python3', ['-c', student()]);
  const page = await liveOpen(t, live);
  await settled(page);
  assert.ok(await page.isChecked('#decrypted'), 'decrypted by default: what the lecture shows');
  let rows = await transcript(page);
  const has = (re) => rows.some((l) => re.test(l));
  for (const re of [/ENABLE IMAP4rev2/, /SELECT INBOX/, /FETCH 1 FULL/, /STORE 1 \+FLAGS/, /^MAIL FROM:/, /^AUTH PLAIN \[redacted\]/, /SCRAM client-final with its proof/, /LOGIN bob@bob\.example \[redacted\]/, /^PASS \[redacted\]/]) {
    assert.ok(has(re), `${re} in the transcript:\n${rows.join('\n')}`);
  }
  assert.ok((await diagramLabels(page)).some((l) => /ENABLE IMAP4rev2/.test(l)), 'and on the diagram');
  const html = await page.content();
  for (const s of secrets()) assert.ok(!html.includes(s), `no credential in the page: ${s}`);
  await page.screenshot({ path: path.join(OUT, 'qa-f7-live-decrypted.png') });
  // The AUTH PLAIN arrow's raw bytes in the details: redacted.
  const authStep = await page.$$eval('#live-transcript li', (ls) => ls.findIndex((l) => /AUTH PLAIN/.test(l.textContent)) + 1);
  await page.dispatchEvent(`#arrow-${authStep}`, 'click');
  await page.waitForFunction((s) => document.querySelector('#position').textContent.startsWith(`step ${s} of`), authStep);
  assert.ok(!(await page.content()).includes(USERS['alice@alice.example']));
  // Off: what anyone on the network sees.
  await page.uncheck('#decrypted');
  rows = await transcript(page);
  assert.ok(!has(/ENABLE|SELECT INBOX|AUTH PLAIN/), rows.join('\n'));
  assert.ok(has(/^TLS record, \d+ bytes$/));
  assert.ok(!(await diagramLabels(page)).some((l) => /ENABLE/.test(l)));
  await page.check('#decrypted');
  assert.ok((await diagramLabels(page)).some((l) => /ENABLE IMAP4rev2/.test(l)));
});

test('F7: a student sees their own STARTTLS session decrypted', async (t) => {
  const p = await pw.browser.newPage({ viewport: { width: 1200, height: 800 } });
  t.after(() => p.close());
  await p.goto(live.split('?')[0] + '#/live');
  await p.fill('#live-user-name', 'bob');
  await p.fill('#live-password', USERS['bob@bob.example']);
  await p.click('#live-login-button');
  await p.waitForSelector('#live-status.on', { timeout: 10000 });
  await p.waitForFunction(() => [...document.querySelectorAll('#live-transcript .label')].some((l) => /ENABLE IMAP4rev2/.test(l.textContent)), null, { timeout: 10000 });
  assert.ok(await p.isChecked('#decrypted'));
  const rows = await transcript(p);
  assert.ok(!rows.some((l) => /^MAIL FROM:<alice/.test(l)), 'only bob\'s sessions');
  for (const s of secrets()) assert.ok(!(await p.content()).includes(s));
  await p.screenshot({ path: path.join(OUT, 'qa-f7-live-student.png') });
});

test('F8: a filter that matches nothing says so, and the World panel keeps the mail; the field matches logins', async (t) => {
  const page = await liveOpen(t, live);
  await settled(page);
  await page.fill('#live-address', 'nobody-here');
  await page.press('#live-address', 'Enter');
  await page.waitForSelector('#live-no-match');
  assert.match(await page.textContent('#live-no-match'), /No connection matches: none whose address or login contains "nobody-here" yet/);
  assert.equal(await page.locator('#live-empty').count(), 0);
  const bob = page.locator('#world .box.mailbox[data-mailbox="bob@bob.example"]');
  await bob.waitFor();
  assert.equal(await bob.locator('.empty').count(), 0, `Bob's mailbox is not shown empty: ${await bob.textContent()}`);
  assert.match(await bob.textContent(), /Inside TLS/);
  await page.screenshot({ path: path.join(OUT, 'qa-f8-no-match.png') });
  // By login.
  await page.fill('#live-address', 'bob');
  await page.press('#live-address', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#live-transcript li').length > 0);
  const rows = await page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.textContent));
  assert.ok(rows.every((r) => r.includes('bob@bob.example')), rows.join('\n'));
  assert.equal(await page.locator('#live-no-match').count(), 0);
});

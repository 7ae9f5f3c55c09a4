// End-to-end: the live classroom (issue 16). `mailsim serve` with the page built in, the
// instructor's view at ?token=…#/live in headless Chromium, Python's smtplib, poplib and
// imaplib (and a telnet-like raw socket) talking to serve; every message in the page within a
// second, in order, with the text of --log; credentials redacted; a student sees only their
// sessions; a wrong token is refused; a dropped stream resumes without loss or duplicates.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { launch, OUT, panelsShown } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { freePort, startServe } from './serve-lib.mjs';

const USERS = { 'alice@alice.example': 'alice-Secret1', 'bob@bob.example': 'bob-Secret2', 'carol@bob.example': 'carol-Secret3' };
const SECRETS = Object.values(USERS);

let serve, browser, ports, live, logFile;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  // The binary with this page built in (build.rs embeds MAILSIM_WEB_DIST), --log on.
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-live-' });
  ({ ports, live, logFile } = serve);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  serve?.stop();
});

/** Runs Python with the servers' ports in scope (H, SMTP, SUB, POP, IMAP, USERS). */
function python(code) {
  const prelude = `import smtplib, poplib, imaplib\nfrom email.message import EmailMessage\nH = '127.0.0.1'\n`
    + `SMTP, SUB, POP, IMAP = ${ports.smtp}, ${ports.submission}, ${ports.pop3}, ${ports.imap}\nUSERS = ${JSON.stringify(USERS)}\n`
    + 'def mail(frm, to, subject):\n    m = EmailMessage(); m["From"] = frm; m["To"] = to; m["Subject"] = subject; m.set_content("Hello from the test.\\n"); return m\n';
  return execFileSync('python3', ['-c', prelude + code]).toString();
}

/** The whole class, once: submission with AUTH PLAIN, POP3 USER/PASS, IMAP LOGIN. */
const CLASS = `
s = smtplib.SMTP(H, SUB); s.login('alice@alice.example', USERS['alice@alice.example'])
s.send_message(mail('alice@alice.example', 'bob@bob.example', 'Live one')); s.quit()
p = poplib.POP3(H, POP); p.user('bob'); p.pass_(USERS['bob@bob.example']); p.stat(); p.retr(1); p.quit()
i = imaplib.IMAP4(H, IMAP); i.login('carol@bob.example', USERS['carol@bob.example']); i.select('INBOX'); i.logout()
`;

/** The MessageSent records of --log, in order. */
function loggedMessages() {
  return fs.readFileSync(logFile, 'latin1').split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l))
    .filter((e) => e.event === 'message_sent');
}

async function open(t, url, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/403|Forbidden|ERR_INTERNET_DISCONNECTED|net::/.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'no console errors');
  });
  await page.goto(url);
  return page;
}

const labels = (page) => page.$$eval('#live-transcript li .label', (ls) => ls.map((l) => l.textContent));

async function waitForCount(page, n, timeout = 5000) {
  await page.waitForFunction((n) => document.querySelectorAll('#live-transcript li').length >= n, n, { timeout });
}

/** A page label as the diagram cuts it: compares a --log label with what the page shows. */
function sameLabel(logged, shown) {
  return logged === shown || (shown.endsWith('…') && logged.startsWith(shown.slice(0, -1)));
}

test('the instructor sees every message within a second, in order, with the text of --log, credentials redacted', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  const before = loggedMessages().length;
  const start = Date.now();
  python(CLASS);
  const clientsDone = Date.now();
  let logged = loggedMessages();
  await waitForCount(page, logged.length, 1000 + (clientsDone - start));
  const caughtUp = Date.now() - clientsDone;
  assert.ok(caughtUp < 1000, `the page caught up ${caughtUp} ms after the clients finished`);
  // The log's writer thread may still be behind the stream (the page once had 35 arrows while
  // the file had 30): compare with the file once it has stopped growing.
  for (let still = 0, i = 0; still < 3 && i < 50; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    const again = loggedMessages();
    still = again.length === logged.length ? still + 1 : 0;
    logged = again;
  }
  await waitForCount(page, logged.length, 2000);
  const shown = await labels(page);
  assert.equal(shown.length, logged.length, 'one arrow per message in --log');
  let redacted = 0;
  for (const [i, e] of logged.entries()) {
    if (shown[i].includes('[redacted]')) {
      redacted += 1;
      assert.match(e.label, /^(AUTH PLAIN|PASS|\S+ LOGIN) /, `only credential lines differ: ${e.label}`);
      continue;
    }
    assert.ok(sameLabel(e.label, shown[i]), `message ${i + 1}: page "${shown[i]}" vs --log "${e.label}"`);
  }
  assert.equal(redacted, 3, 'AUTH PLAIN, PASS and LOGIN are redacted');
  assert.ok(before === 0 || shown.length > before);
  const text = await page.evaluate(() => document.body.innerText);
  for (const s of SECRETS) assert.ok(!text.includes(s), `no password on the page: ${s}`);
  // The PASS step in the inspector.
  const pass = shown.findIndex((l) => l.startsWith('PASS'));
  await page.click(`#live-transcript li:nth-child(${pass + 1})`).catch(() => {});
  await page.click('#live-toggle');
  await page.waitForSelector('#live-status.paused');
  for (let k = 0; k < shown.length - pass - 1; k += 1) await page.click('#prev');
  assert.match(await page.textContent('#details'), /PASS \[redacted\]/);
  for (const s of SECRETS) assert.ok(!(await page.textContent('#details')).includes(s));
  await page.screenshot({ path: path.join(OUT, 'live-instructor.png') });
  t.diagnostic(`${logged.length} messages; page caught up ${caughtUp} ms after the clients finished`);
});

test('each line a telnet-like client sends appears within a second', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  const greeted = (await labels(page)).length;
  const sock = net.connect(ports.pop3, '127.0.0.1');
  const replies = [];
  sock.on('data', (d) => replies.push(d.toString()));
  const worst = [];
  const lines = ['CAPA', 'USER carol', `PASS ${USERS['carol@bob.example']}`, 'STAT', 'NOOP', 'QUIT'];
  await page.waitForFunction((n) => [...document.querySelectorAll('#live-transcript .label')].slice(n).some((l) => l.textContent.includes('POP3 server ready <')), greeted, { timeout: 1000 });
  for (const line of lines) {
    const n = (await labels(page)).length;
    const sent = Date.now();
    sock.write(`${line}\r\n`);
    // Its arrow and the server's reply.
    await waitForCount(page, n + 2, 1000);
    worst.push(Date.now() - sent);
    const shown = await labels(page);
    const expected = line.startsWith('PASS') ? 'PASS [redacted]' : line;
    assert.equal(shown[n], expected);
  }
  sock.destroy();
  t.diagnostic(`latency per line (ms): ${worst.join(', ')}`);
  assert.ok(Math.max(...worst) < 1000);
});

test('the stream itself carries no credentials, and refuses a wrong token', async () => {
  const token = new URL(live).searchParams.get('token');
  const base = live.split('?')[0];
  // The token with its last digit changed (a token ending in 0 was once "changed" to itself).
  const wrong = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
  for (const bad of ['', '?token=', `?token=${wrong}`, '?session=nope']) {
    const r = await fetch(`${base}events${bad}`);
    assert.equal(r.status, 403, `events${bad}`);
  }
  const ctl = new AbortController();
  const r = await fetch(`${base}events?token=${token}`, { signal: ctl.signal });
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  const reader = r.body.getReader();
  let text = '';
  const until = Date.now() + 1500;
  while (Date.now() < until) {
    const { value, done } = await Promise.race([reader.read(), new Promise((res) => setTimeout(() => res({ done: true }), 300))]);
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ctl.abort();
  assert.match(text, /"label":"PASS \[redacted\]"/);
  for (const s of SECRETS) assert.ok(!text.includes(s), `no ${s} in the stream`);
  const b64 = Buffer.from(`\0alice@alice.example\0${USERS['alice@alice.example']}`).toString('base64');
  assert.ok(!text.includes(b64), 'no AUTH PLAIN response in the stream');
});

test('the instructor view refuses a wrong token', async (t) => {
  const page = await open(t, live.replace(/token=[0-9a-f]+/, 'token=0123456789abcdef0123456789abcdef'));
  await page.waitForSelector('#live-status.refused', { timeout: 10000 });
  assert.equal(await page.$$eval('#live-transcript li', (l) => l.length), 0);
  await page.screenshot({ path: path.join(OUT, 'live-refused.png') });
});

test('a student logs in and sees only their own sessions, as they happen', async (t) => {
  const page = await open(t, live.split('?')[0] + '#/live', { width: 1200, height: 800 });
  await page.fill('#live-user-name', 'bob');
  await page.fill('#live-password', 'wrong');
  await page.click('#live-login-button');
  await page.waitForSelector('#live-login-error');
  await page.fill('#live-password', USERS['bob@bob.example']);
  await page.click('#live-login-button');
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  assert.match(await page.textContent('#live-who'), /bob@bob\.example/);
  // Earlier sessions: only bob's POP3 one (from its greeting).
  await page.waitForFunction(() => document.querySelectorAll('#live-transcript li').length > 0);
  const lanes = () => page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.textContent));
  // The earlier sessions arrive as a backlog the page draws in chunks, a frame each: wait
  // until it is all on screen (the count still for half a second) before counting it.
  let rows = await lanes();
  for (let still = 0; still < 5;) {
    await page.waitForTimeout(100);
    const now = await lanes();
    still = now.length === rows.length ? still + 1 : 0;
    rows = now;
  }
  assert.ok(rows.every((r) => r.includes('bob@bob.example') && !r.includes('alice@') && !r.includes('carol@')), rows.join('\n'));
  assert.match(rows[0], /\+OK .*POP3 server ready/);
  const n = rows.length;
  // New traffic: alice's and carol's stay hidden, bob's shows within a second.
  python(`
s = smtplib.SMTP(H, SUB); s.login('alice@alice.example', USERS['alice@alice.example'])
s.send_message(mail('alice@alice.example', 'bob@bob.example', 'For bob')); s.quit()
i = imaplib.IMAP4(H, IMAP); i.login('carol@bob.example', USERS['carol@bob.example']); i.logout()
i = imaplib.IMAP4(H, IMAP); i.login('bob', USERS['bob@bob.example']); i.select('INBOX'); i.logout()
`);
  await page.waitForFunction((n) => [...document.querySelectorAll('#live-transcript .label')].slice(n).some((l) => /LOGOUT completed/.test(l.textContent)), n, { timeout: 1000 });
  rows = await lanes();
  assert.ok(rows.slice(n).every((r) => r.includes('bob@bob.example') && r.includes('IMAP')), rows.slice(n).join('\n'));
  assert.match(rows[n], /\* OK /, 'from the greeting, before the login');
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!/alice@alice\.example →|carol@bob\.example →/.test(text));
  await page.screenshot({ path: path.join(OUT, 'live-student.png') });
});

test('pause, step back, return to live; filters; save as log and open it in the playground', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  const total = loggedMessages().length;
  await waitForCount(page, total);
  await page.click('#live-toggle');
  await page.click('#prev');
  await page.click('#prev');
  assert.equal(await page.textContent('#position'), `step ${total - 2} of ${total}`);
  python(`p = poplib.POP3(H, POP); p.user('bob'); p.pass_(USERS['bob@bob.example']); p.quit()`);
  const now = loggedMessages().length;
  await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), now, { timeout: 1000 });
  assert.equal(await page.textContent('#position'), `step ${total - 2} of ${now}`, 'paused: the step stays');
  await page.click('#live-toggle');
  assert.equal(await page.textContent('#position'), `step ${now} of ${now}`);
  await page.selectOption('#live-protocol', 'IMAP');
  let rows = await page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.textContent));
  assert.ok(rows.length > 0 && rows.every((r) => r.includes(' IMAP ')));
  await page.selectOption('#live-protocol', '');
  await page.selectOption('#live-user', 'carol@bob.example');
  rows = await page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.textContent));
  assert.ok(rows.length > 0 && rows.every((r) => r.includes('carol@bob.example')));
  await page.selectOption('#live-user', '');
  await page.fill('#live-address', '127.0.0.2');
  await page.press('#live-address', 'Enter');
  await page.waitForSelector('#live-transcript li', { state: 'detached' });
  await page.fill('#live-address', '127.0.0.1');
  await page.press('#live-address', 'Enter');
  await waitForCount(page, now);
  // The World panel: no "downloaded messages" box per connection (the server cannot see what a
  // real client downloaded), each mailbox once.
  const world = (p) => p.evaluate(() => ({
    agents: document.querySelectorAll('#world .box.inbox').length,
    text: document.querySelector('#world')?.textContent ?? '',
    mailboxes: [...document.querySelectorAll('#world .box.mailbox')].map((b) => b.dataset.mailbox),
  }));
  const lanes = (p) => p.$$eval('.actor-name', (ns) => ns.map((n) => `${n.textContent} ${n.nextElementSibling?.textContent}`));
  await page.waitForSelector('#world');
  const w = await world(page);
  assert.equal(w.agents, 0, 'no user-agent boxes for real clients');
  assert.ok(!/more user agents|none yet/.test(w.text), w.text);
  assert.ok(w.mailboxes.length > 0);
  assert.equal(new Set(w.mailboxes).size, w.mailboxes.length, 'each mailbox once');
  const liveLanes = await lanes(page);
  assert.ok(liveLanes.some((l) => l.startsWith('carol@bob.example')), liveLanes.join(' | '));
  assert.equal(new Set(liveLanes).size, liveLanes.length, `one lane per student: ${liveLanes.join(' | ')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#live-save')]);
  const saved = path.join(OUT, 'live-saved.jsonl');
  await download.saveAs(saved);
  const lines = fs.readFileSync(saved, 'latin1').split('\n').filter(Boolean);
  assert.equal(lines.slice(1).filter((l) => JSON.parse(l).event === 'message_sent').length, now);
  // Opened later like any log.
  await page.goto(live.split('?')[0] + '#/scenario/alice-to-bob');
  await page.waitForSelector('#import');
  await page.setInputFiles('#import', saved);
  await page.waitForFunction((n) => document.querySelector('#position')?.textContent === `step 0 of ${n}`, now);
  // Reopened, it looks like the live view: the same lanes, by login name.
  assert.deepEqual(await lanes(page), liveLanes);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('#position')?.textContent === `step ${n} of ${n}`, now);
  await panelsShown(page);
  assert.equal((await world(page)).agents, 0);
});

/** A TCP proxy in front of the web port, whose connections can be cut (a flaky network). */
async function proxy(target) {
  const sockets = new Set();
  const port = await freePort();
  let server;
  const listen = () => new Promise((resolve) => {
    server = net.createServer((c) => {
      const up = net.connect(target, '127.0.0.1');
      for (const s of [c, up]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
      c.pipe(up).pipe(c);
    }).listen(port, '127.0.0.1', resolve);
  });
  await listen();
  return {
    url: live.replace(`:${target}/`, `:${port}/`),
    /** Cuts every connection and refuses new ones. */
    drop: () => new Promise((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); }),
    restore: listen,
    close: () => { server.close(); for (const s of sockets) s.destroy(); },
  };
}

test('a dropped stream resumes without loss or duplicates', async (t) => {
  const net = await proxy(ports.web);
  t.after(() => net.close());
  const page = await open(t, net.url);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  await waitForCount(page, loggedMessages().length);
  await net.drop();
  await page.waitForSelector('#live-status.reconnecting', { timeout: 10000 });
  python(CLASS.replace('Live one', 'While you were away'));
  await page.waitForTimeout(1500);
  await net.restore();
  const logged = loggedMessages();
  await waitForCount(page, logged.length, 10000);
  await page.waitForSelector('#live-status.on');
  await page.waitForTimeout(400);
  const shown = await labels(page);
  assert.equal(shown.length, logged.length, 'nothing missed, nothing twice');
  logged.forEach((e, i) => assert.ok(shown[i].includes('[redacted]') || sameLabel(e.label, shown[i]), `${i}: ${shown[i]} vs ${e.label}`));
  assert.equal(await page.getAttribute('main.layout', 'data-duplicates'), '0', 'the server sent nothing twice');
  assert.equal(await page.$('#live-missed'), null, 'nothing fell out of the history');
});

test('the World panel has one line per student: connected, protocols, sent, in the mailbox, read', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), loggedMessages().length, { timeout: 5000 });
  await page.waitForFunction((n) => document.querySelector('#world h2').textContent === `The world at step ${n}`, loggedMessages().length, { timeout: 2000 });
  const line = (name) => page.$eval(`#live-students li[data-student="${name}"]`, (l) => l.textContent).catch(() => '');
  const count = (text, what) => Number((new RegExp(`${what} (\\d+)`).exec(text) || [])[1] || 0);
  const [alice0, bob0] = [await line('alice@alice.example'), await line('bob@bob.example')];
  // A telnet-like client that connects and stays, not logged in: its address's line.
  const idle = net.connect(ports.imap, '127.0.0.1');
  await new Promise((r) => idle.once('data', r));
  await page.waitForFunction(() => /connected/.test(document.querySelector('#live-students li[data-student="client 127.0.0.1"]')?.textContent || ''), null, { timeout: 2000 });
  assert.match(await line('client 127.0.0.1'), /· connected(?: \(\d+\))? · (?:\w+, )*IMAP/);
  // alice sends bob two messages in two sessions; bob reads one with IMAP, which sets \Seen.
  python(`
for k in range(2):
    s = smtplib.SMTP(H, SUB); s.login('alice@alice.example', USERS['alice@alice.example'])
    s.send_message(mail('alice@alice.example', 'bob@bob.example', f'Count {k}')); s.quit()
i = imaplib.IMAP4(H, IMAP); i.login('bob', USERS['bob@bob.example']); i.select('INBOX')
typ, data = i.search(None, 'SUBJECT', '"Count 0"'); i.fetch(data[0].split()[-1], '(BODY[])'); i.logout()
`);
  await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), loggedMessages().length, { timeout: 5000 });
  // While following, the panels show a new step at most every 400 ms.
  await page.waitForFunction((n) => document.querySelector('#world h2').textContent === `The world at step ${n}`, loggedMessages().length, { timeout: 2000 });
  await page.waitForFunction(() => document.querySelector('#live-students li[data-student="bob@bob.example"]')?.textContent.includes('offline'));
  const [alice, bob] = [await line('alice@alice.example'), await line('bob@bob.example')];
  assert.equal(count(alice, 'sent'), count(alice0, 'sent') + 2, `${alice0} → ${alice}`);
  assert.match(alice, /^. alice@alice\.example · offline · (?:used )?SMTP/, 'her SMTP sessions are over');
  assert.equal(count(bob, 'mailbox'), count(bob0, 'mailbox') + 2, `${bob0} → ${bob}`);
  assert.equal(count(bob, 'read'), count(bob0, 'read') + 1, `${bob0} → ${bob}`);
  assert.match(bob, /offline · (?:used )?(?:\w+, )*IMAP/);
  // One line per student, as the lanes group them: every name once.
  const names = await page.$$eval('#live-students li', (ls) => ls.map((l) => l.dataset.student));
  assert.equal(new Set(names).size, names.length, names.join(', '));
  assert.ok(names.includes('alice@alice.example') && names.includes('carol@bob.example'));
  assert.match(await page.textContent('#live-students h3'), new RegExp(`Students: ${names.length} seen, \\d+ connected`));
  // As of an earlier step: paused at the first message, alice had sent nothing yet.
  await page.click('#live-first');
  await page.waitForSelector('#arrow-1.current');
  assert.equal(count(await line('alice@alice.example'), 'sent'), 0);
  assert.ok((await page.$$('#live-students li')).length < names.length, 'fewer students at the first message');
  await page.click('#live-toggle');
  idle.destroy();
  await page.waitForFunction(() => !/connected/.test(document.querySelector('#live-students li[data-student="client 127.0.0.1"]')?.textContent || 'connected'), null, { timeout: 2000 });
  await page.screenshot({ path: path.join(OUT, 'live-students.png') });
});

/** 20 telnet-like IMAP sessions at once, each 50 NOOPs: about 2,100 events. */
const BURST = `
import socket, threading
def session(k):
    s = socket.create_connection((H, IMAP)); f = s.makefile('rb')
    f.readline()
    for n in range(50):
        s.sendall(b'a%d NOOP\\r\\n' % n); f.readline()
    s.sendall(b'z LOGOUT\\r\\n'); f.readline(); f.readline()
    s.close()
ts = [threading.Thread(target=session, args=(k,)) for k in range(20)]
for t in ts: t.start()
for t in ts: t.join()
`;

const elements = (page) => page.evaluate(() => document.getElementsByTagName('*').length);

/**
 * Tags every arrow drawn (a property on its element) and says which tagged at the last look
 * are drawn again by new elements (`fresh`), which of the last look's newest are gone
 * (`gone`), how many arrows are drawn and how many elements the page has.
 */
const look = (page) => page.evaluate(() => {
  const arrows = [...document.querySelectorAll('.diagram-body .arrow')];
  const step = (a) => Number(a.dataset.step);
  const before = window.__tagged || [];
  const fresh = arrows.filter((a) => before.includes(step(a)) && !a.__kept).map(step);
  const newest = before.slice(-5);
  const gone = newest.filter((s) => !document.getElementById(`arrow-${s}`)?.__kept);
  for (const a of arrows) a.__kept = true;
  window.__tagged = arrows.map(step).sort((x, y) => x - y);
  return { fresh, gone, drawn: arrows.length, last: window.__tagged.at(-1), elements: document.getElementsByTagName('*').length, range: document.querySelector('.diagram-body').dataset.drawn };
});

test('following live keeps the rows already drawn (new ones appended) and the DOM stays bounded', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), loggedMessages().length, { timeout: 5000 });
  let want = loggedMessages().length + 1;
  const sock = net.connect(ports.imap, '127.0.0.1');
  await new Promise((r) => sock.once('data', r));
  let k = 0;
  const noops = async (n, gap) => {
    for (let i = 0; i < n; i += 1, k += 1) {
      sock.write(`a${k} NOOP\r\n`);
      if (gap) await new Promise((r) => setTimeout(r, gap));
    }
  };
  // Enough rows that only a window of them is drawn, then a trickle: a few messages a draw.
  await noops(100, 0);
  const upto = async (n) => page.waitForFunction((n) => Number(/of (\d+)$/.exec(document.querySelector('#position').textContent)[1]) >= n
    && document.querySelector(`#arrow-${n}.current`), n, { timeout: 5000 });
  want += 200;
  await upto(want);
  await page.waitForTimeout(300);
  const rows = Number(await page.getAttribute('.diagram-body', 'data-rows'));
  assert.ok(rows > 200, `${rows} rows`);
  const looks = [await look(page)];
  for (let round = 0; round < 8; round += 1) {
    // Five commands and their replies, a draw or two apart.
    await noops(5, 40);
    want += 10;
    await upto(want);
    const l = await look(page);
    looks.push(l);
    assert.deepEqual(l.fresh, [], `round ${round}: rows already drawn were drawn again by new elements ${JSON.stringify(looks.at(-2))}`);
    assert.deepEqual(l.gone, [], `round ${round}: the newest rows of the last look are still drawn`);
    assert.equal(l.last, want, 'the newest message is drawn');
    assert.ok(l.drawn < 130, `round ${round}: ${l.drawn} arrows drawn (a window, not the history)`);
  }
  sock.end('z LOGOUT\r\n');
  const sizes = looks.map((l) => l.elements);
  const grew = Math.max(...sizes) - Math.min(...sizes);
  // 80 more messages would be 80 more rows (about 600 elements) if the history were drawn.
  assert.ok(grew < 300, `elements while 80 messages arrived: ${sizes.join(', ')}`);
  t.diagnostic(`${want} messages; elements ${sizes.join(', ')}; arrows drawn ${looks.map((l) => l.drawn).join(', ')}`);
});

// Last: the transcript draws every line up to 300 (the tests above compare all of them), a window beyond.
test('2,000 events: the whole history is there, the DOM does not grow with it, First reaches the first message', async (t) => {
  const page = await open(t, live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  python(BURST);
  // The log is written by a thread of its own, behind the replies: wait until it has them all.
  const count = () => fs.readFileSync(logFile, 'latin1').split('\n').filter(Boolean).length - 1;
  let events = count();
  for (const until = Date.now() + 10000; events < 2000 && Date.now() < until; events = count()) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(events >= 2000, `${events} events`);
  const logged = loggedMessages();
  const n = logged.length;
  await page.waitForFunction((n) => document.querySelector('#position').textContent === `step ${n} of ${n}`, n, { timeout: 10000 });
  await page.waitForSelector(`#arrow-${n}.current`);
  assert.equal(Number(await page.getAttribute('.diagram-body', 'data-rows')), n, 'one row per message, all of them');
  const drawn = await page.$$eval('.diagram-body .arrow', (a) => a.length);
  assert.ok(drawn < 200, `only the rows in view are drawn (${drawn})`);
  const following = await elements(page);
  assert.ok(following < 3000, `${following} elements while following ${n} messages`);
  // The transcript follows too, drawing a window of its lines: the newest one last, current.
  await page.waitForFunction((n) => {
    const ol = document.querySelector('#live-transcript');
    return ol && ol.start + ol.children.length - 1 === n && ol.lastElementChild.classList.contains('current');
  }, n, { timeout: 2000 });
  const lines = await page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.querySelector('.label').textContent));
  assert.ok(lines.length <= 100, `${lines.length} transcript lines drawn of ${n}`);
  const newest = logged.at(-1).label;
  assert.ok(sameLabel(newest, lines.at(-1)), `${lines.at(-1)} vs ${newest}`);
  // Back to the very first message: drawn, in the details and the transcript.
  await page.click('#live-first');
  await page.waitForSelector('#arrow-1.current');
  assert.equal(await page.textContent('#position'), `step 1 of ${n}`);
  assert.match(await page.textContent('#details h2'), /^Step 1: /);
  const first = await page.$eval('#live-transcript li.current .label', (l) => l.textContent);
  assert.ok(first.includes('[redacted]') || sameLabel(logged[0].label, first), `${first} vs ${logged[0].label}`);
  // Stepping on with the keyboard, then back to live.
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-2.current');
  const atStart = await elements(page);
  assert.ok(atStart < 3000, `${atStart} elements at the first message`);
  await page.screenshot({ path: path.join(OUT, 'live-2000-first.png') });
  await page.click('#live-toggle');
  await page.waitForSelector(`#arrow-${n}.current`);
  assert.equal(await page.textContent('#position'), `step ${n} of ${n}`);
  await page.screenshot({ path: path.join(OUT, 'live-2000.png') });
  t.diagnostic(`${events} events, ${n} messages; ${following} elements following, ${atStart} at the start; ${drawn} arrows drawn`);
});

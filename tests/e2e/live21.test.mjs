// live21 (issue 16, the live classroom as a student sees it): a connection that never logs in
// (a session typed by hand on the relay port, a student's own socket program, a wrong
// password) is shown, as it happens, to the one student seen at its client address: the
// student whose page reads the stream from there, or whose client logged in from there.
// Where two students were seen at an address, whose it is cannot be told: the instructor's
// only. (serve listens on 127.0.0.1; on Linux a client bound to 127.0.0.2, 127.0.0.3... reaches
// it from that address. The browser's pages all come from 127.0.0.1.)
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { launch, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, openLive } from './serve-lib.mjs';

const USERS = {
  'bob@class.example': 'bob-Secret1',
  'alice@class.example': 'alice-Secret2',
  'carol@class.example': 'carol-Secret3',
};
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-live21-' });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
});

/** A line-at-a-time TCP client from `ip`: `line()` is the next line the server sent. */
async function lineClient(port, ip) {
  const s = net.connect({ host: '127.0.0.1', port, localAddress: ip });
  await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
  let buf = '';
  const waiting = [];
  s.setEncoding('latin1');
  s.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0 && waiting.length; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i + 1);
      buf = buf.slice(i + 1);
      waiting.shift()(l.trimEnd());
    }
  });
  return {
    line: () => new Promise((resolve) => {
      const i = buf.indexOf('\n');
      if (i >= 0) {
        const l = buf.slice(0, i + 1);
        buf = buf.slice(i + 1);
        resolve(l.trimEnd());
      } else waiting.push(resolve);
    }),
    send: (text) => s.write(`${text}\r\n`),
    close: () => new Promise((resolve) => s.end(resolve)),
  };
}

/** SMTP by hand: sends `text` and returns the reply's last line. */
async function say(c, text) {
  c.send(text);
  for (;;) {
    const l = await c.line();
    if (l[3] !== '-') return l;
  }
}

/** POP3 from `ip`, logged in as `user`, then QUIT. */
async function popLogin(ip, user) {
  const c = await lineClient(serve.ports.pop3, ip);
  assert.match(await c.line(), /^\+OK/);
  c.send(`USER ${user}`);
  assert.match(await c.line(), /^\+OK/);
  c.send(`PASS ${USERS[user]}`);
  assert.match(await c.line(), /^\+OK/);
  c.send('QUIT');
  await c.line();
  await c.close();
}

/** An SMTP session on the relay port (no login), from `ip`, that says HELO `name` and QUITs. */
async function helo(ip, name) {
  const c = await lineClient(serve.ports.smtp, ip);
  assert.match(await c.line(), /^220/);
  assert.match(await say(c, `HELO ${name}`), /^250/);
  assert.match(await say(c, 'QUIT'), /^221/);
  await c.close();
}

async function studentPage(user, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.live.replace(/\?token=[^#]*/, ''));
  await page.fill('#live-user-name', user.split('@')[0]);
  await page.fill('#live-password', USERS[user]);
  await page.click('#live-login-button');
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  return { context, page, errors };
}

const text = (page) => page.$eval('.app.live', (e) => e.textContent);

test("a session typed by hand without a login appears in its student's view as it happens; others' and a shared address's do not", async (t) => {
  const { context, page, errors } = await studentPage('bob@class.example');
  t.after(() => context.close());
  assert.match(await page.textContent('#live-empty'), /without a login only if you are the one student at your address/);
  // Alice logs in from 127.0.0.3; alice and carol both from 127.0.0.4 (one machine, two students).
  await popLogin('127.0.0.3', 'alice@class.example');
  await popLogin('127.0.0.4', 'alice@class.example');
  await popLogin('127.0.0.4', 'carol@class.example');

  // Bob, at 127.0.0.1 (where his page is), types SMTP on the relay port: no login at all.
  const c = await lineClient(serve.ports.smtp, '127.0.0.1');
  assert.match(await c.line(), /^220/);
  assert.match(await say(c, 'HELO bob-pc'), /^250/);
  // Each line shows while the session is still open: live, not when it ends.
  const shown = (what) => page.waitForFunction((w) => (document.querySelector('#live-transcript')?.textContent ?? '').includes(w),
    what, { timeout: 5000 });
  await shown('HELO bob-pc');
  assert.match(await say(c, 'MAIL FROM:<bob@class.example>'), /^250/);
  assert.match(await say(c, 'RCPT TO:<alice@class.example>'), /^250/);
  await shown('RCPT TO:<alice@class.example>');
  assert.match(await say(c, 'DATA'), /^354/);
  c.send('Subject: my socket lab\r\n\r\nHello from my own client.\r\n.');
  for (let l = await c.line(); ; l = await c.line()) if (l.startsWith('250')) break;
  assert.match(await say(c, 'QUIT'), /^221/);
  await c.close();
  await shown('QUIT');

  // Alice's session by hand at her address, and one at the shared address: not bob's.
  await helo('127.0.0.3', 'alice-pc');
  await helo('127.0.0.4', 'shared-pc');
  // The instructor sees all three; once the last is there, bob's stream had its chance too.
  const teacher = await openLive(browser, t, serve.live);
  await teacher.page.waitForFunction(() => (document.querySelector('#live-transcript')?.textContent ?? '').includes('HELO shared-pc'),
    null, { timeout: 10000 });
  assert.ok((await text(teacher.page)).includes('HELO alice-pc'));
  await page.waitForTimeout(500);
  const body = await text(page);
  assert.ok(!body.includes('alice-pc') && !body.includes('shared-pc'), "nothing of alice's or of the shared address");
  assert.ok(!body.includes('127.0.0.3') && !body.includes('127.0.0.4'), 'no lane of another address');
  // Bob's session: its lane is his address, every line he typed, in order, once.
  const lines = await page.$$eval('#live-transcript li', (ls) => ls.map((l) => l.textContent));
  const typed = ['HELO bob-pc', 'MAIL FROM:<bob@class.example>', 'RCPT TO:<alice@class.example>', 'DATA', 'QUIT']
    .map((w) => lines.findIndex((l) => l.includes(w)));
  assert.ok(typed.every((i) => i >= 0), `every line: ${typed}`);
  assert.deepEqual([...typed].sort((a, b) => a - b), typed, 'in order');
  assert.equal(lines.filter((l) => l.includes('HELO bob-pc')).length, 1, 'once');
  assert.deepEqual(await page.$$eval('.actor-name', (a) => a.map((e) => e.textContent)).then((n) => n.filter((x) => x.startsWith('client'))),
    ['client 127.0.0.1']);
  // In his World panel his lines are his: "Your clients", not other students.
  assert.match(await page.textContent('#live-students h3'), /^Your clients: 1 seen, 0 connected$/);
  assert.match(await teacher.page.textContent('#live-students h3'), /^Students: /);
  await page.screenshot({ path: `${OUT}/live21-student-by-hand-1440.png` });
  assert.deepEqual(errors, []);
});

// live19 (issue 16, what an instructor at the projector still missed):
// 1. A connection refused over --max-connections is a message like any other: the busy reply
//    from the server to that client, in the live view (its arrow, its meaning with the flag) and
//    in --log; the server keeps serving.
// 2. The user menu keeps its width whatever the longest address (1,440, 1,024×600, 768, 390 px,
//    200 % text); the full address is in the option, and in the title once chosen.
// 3. The World panel's students do not grow with the class: beyond 25 students, those connected
//    (25 at most) and a count of the others; the live filters find any one.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { launch, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, openLive } from './serve-lib.mjs';

const LONG = 'a-student-with-a-rather-long-name-for-a-mail-account-42@class.example';
const USERS = { 'amy@class.example': 'amy-Secret1', [LONG]: 'long-Secret2' };
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-live19-', extra: ['--max-connections', '2'] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
});

/** A raw connection to `port` and its first line (the greeting, or the refusal). */
function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) resolve({ socket: s, first: got.split('\r\n')[0], port: s.localPort });
    });
    s.on('error', reject);
  });
}

/** Two connections that hold the two slots (the slot of a closed one frees a moment later). */
async function holdBoth() {
  const held = [];
  const deadline = Date.now() + 10000;
  while (held.length < 2) {
    const c = await connect(serve.ports.smtp);
    if (c.first.startsWith('220 ')) held.push(c);
    else {
      c.socket.destroy();
      assert.ok(Date.now() < deadline, 'a slot is still taken');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return held;
}

test('a refused client: the busy reply is an arrow in the live view and a record in --log; the server keeps serving', async (t) => {
  const { page, errors } = await openLive(browser, t, serve.live);
  const held = await holdBoth();
  const third = await connect(serve.ports.pop3);
  assert.equal(third.first, '-ERR [SYS/TEMP] too many connections, try again later');
  third.socket.destroy();
  // The live view: the server's reply to that client, with why.
  await page.waitForFunction(() => [...document.querySelectorAll('#live-transcript *')]
    .some((e) => e.textContent.includes('-ERR [SYS/TEMP] too many connections')), null, { timeout: 5000 });
  await page.click('#live-toggle');
  const text = await page.$eval('#live-transcript', (e) => e.textContent);
  assert.match(text, /-ERR \[SYS\/TEMP\] too many connections, try again later/);
  // Its step: the Details say the flag and the RFC.
  const arrow = await page.$$('.arrow');
  await arrow[arrow.length - 1].click();
  await page.waitForFunction(() => /--max-connections 2/.test(document.querySelector('#details')?.textContent ?? ''), null, { timeout: 5000 });
  const details = await page.$eval('#details', (e) => e.textContent);
  assert.match(details, /Refused by --max-connections 2: 2 connections are open/);
  assert.match(details, /RFC 3206/);
  await page.screenshot({ path: `${OUT}/live19-refused.png` });
  // The server keeps serving: the held sessions answer, and a freed slot greets again.
  held[0].socket.write('NOOP\r\n');
  await new Promise((r) => held[0].socket.once('data', (d) => { assert.match(String(d), /^250/); r(); }));
  for (const c of held) c.socket.destroy();
  const deadline = Date.now() + 10000;
  for (;;) {
    const c = await connect(serve.ports.pop3);
    c.socket.destroy();
    if (c.first.startsWith('+OK')) break;
    assert.ok(Date.now() < deadline, 'the slots were not freed');
    await new Promise((r) => setTimeout(r, 50));
  }
  // --log has the same reply, from the server to the refused client's own connection.
  const records = fs.readFileSync(serve.logFile, 'latin1').split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l));
  const opened = records.find((r) => r.event === 'connection_opened' && r.client_port === third.port);
  assert.ok(opened, 'the refused connection is in --log');
  const reply = records.find((r) => r.event === 'message_sent' && r.conn === opened.conn);
  assert.equal(reply.raw, '-ERR [SYS/TEMP] too many connections, try again later\r\n');
  assert.deepEqual([reply.from, reply.to, reply.protocol], ['server', opened.client, 'POP3']);
  assert.deepEqual(errors, []);
});

const SIZES = [
  ['1440', { width: 1440, height: 900 }, false],
  ['1024x600', { width: 1024, height: 600 }, false],
  ['768', { width: 768, height: 1024 }, false],
  ['390', { width: 390, height: 844 }, false],
  ['1440-200pc', { width: 1440, height: 900 }, true],
];

test('the user menu keeps its width whatever the longest address, at every size and at 200 % text', async (t) => {
  // Before the long address logs in: amy only.
  serve.python(`i = imaplib.IMAP4(H, IMAP); i.login('amy@class.example', USERS['amy@class.example']); i.logout()`);
  const widths = {};
  for (const [name, viewport, big] of SIZES) {
    const context = await browser.newContext({ viewport });
    t.after(() => context.close());
    const page = await context.newPage();
    if (big) await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => { document.documentElement.style.fontSize = '200%'; }));
    await page.goto(serve.live);
    await page.waitForSelector('#live-user option[value="amy@class.example"]', { state: 'attached', timeout: 10000 });
    widths[name] = await page.$eval('#live-user', (s) => s.getBoundingClientRect().width);
    await context.close();
  }
  serve.python(`i = imaplib.IMAP4(H, IMAP); i.login('${LONG}', USERS['${LONG}']); i.logout()`);
  for (const [name, viewport, big] of SIZES) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    if (big) await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => { document.documentElement.style.fontSize = '200%'; }));
    await page.goto(serve.live);
    await page.waitForSelector(`#live-user option[value="${LONG}"]`, { state: 'attached', timeout: 10000 });
    const m = await page.evaluate(() => {
      const s = document.querySelector('#live-user');
      const bar = document.querySelector('.live .controls');
      return { width: s.getBoundingClientRect().width, right: s.getBoundingClientRect().right, barRight: bar.getBoundingClientRect().right, vw: document.documentElement.clientWidth, pageWidth: document.documentElement.scrollWidth, rem: parseFloat(getComputedStyle(document.documentElement).fontSize), option: s.querySelector('option[value^="a-student"]').textContent,
        // Each step button shows its word whole (the player's phone rule made the live view's
        // Back and Next, which share its ids, 20 px wide and empty at 390 px).
        buttons: [...bar.querySelectorAll('button')].map((b) => ({ text: b.textContent, size: parseFloat(getComputedStyle(b).fontSize), fits: b.scrollWidth <= b.clientWidth + 1 })) };
    });
    for (const b of m.buttons) assert.ok(b.size > 0 && b.fits, `${name}: the button "${b.text}" shows its word: ${JSON.stringify(b)}`);
    assert.equal(m.width, widths[name], `${name}: the menu is as wide as before the long address`);
    assert.ok(m.width <= m.rem * 11 + 0.5, `${name}: at most 11rem (${m.width} px)`);
    assert.ok(m.pageWidth <= m.vw, `${name}: the page does not scroll sideways (${m.pageWidth} > ${m.vw})`);
    assert.equal(m.option, LONG, 'the option holds the whole address');
    await page.selectOption('#live-user', LONG);
    assert.equal(await page.$eval('#live-user', (s) => s.title), LONG, 'the chosen address in the title');
    assert.equal(await page.$eval('#live-user', (s) => s.getBoundingClientRect().width), widths[name], `${name}: chosen, the same width`);
    await page.screenshot({ path: `${OUT}/live19-long-${name}.png` });
    await context.close();
  }
});

/** An IMAP connection logged in as `user`, held open. */
async function imapLogin(port, user, password) {
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  s.on('data', (d) => { got += d; });
  const until = (re) => new Promise((r) => { const i = setInterval(() => { if (re.test(got)) { clearInterval(i); r(); } }, 20); });
  await until(/\r\n/);
  s.write(`a1 LOGIN ${user} ${password}\r\n`);
  await until(/a1 OK/);
  return s;
}

test('1,000 students: the World panel lists those connected (25 at most) and a count of the others; a filter finds one', async (t) => {
  const N = 1000;
  const users = Object.fromEntries(Array.from({ length: N }, (_, i) => [`s${i + 1}@class.example`, `pw-${i + 1}-x`]));
  const big = await startServe({ dist: process.env.LIVE_DIST || DIST, users, prefix: 'mailsim-live19-class-', timeout: 60000 });
  t.after(() => big.stop());
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(big.live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  big.python(`
for user, pw in USERS.items():
    p = poplib.POP3(H, POP, timeout=10); p.user(user); p.pass_(pw); p.quit()
`);
  await page.waitForFunction((n) => (document.querySelector('#live-students h3')?.textContent ?? '') === `Students: ${n} seen, 0 connected`, N, { timeout: 60000 });
  const dom = () => page.evaluate(() => {
    const box = document.querySelector('#live-students');
    return { elements: box.querySelectorAll('*').length, lines: [...box.querySelectorAll('li')].map((l) => l.dataset.student), more: document.querySelector('#students-more')?.textContent };
  });
  const none = await dom();
  assert.deepEqual(none.lines, [], 'nobody connected: no line');
  assert.equal(none.more, `${N} more: the filters above find one.`);
  // One student far down the class list connects: their line.
  const held = [await imapLogin(big.ports.imap, 's999@class.example', 'pw-999-x')];
  t.after(() => held.forEach((s) => s.destroy()));
  await page.waitForFunction(() => document.querySelector('#live-students li')?.dataset.student === 's999@class.example', null, { timeout: 5000 });
  assert.equal((await dom()).more, `${N - 1} more: the filters above find one.`);
  // Thirty connected: twenty-five lines, in class order, and the count of the others.
  for (let i = 1; i <= 29; i++) held.push(await imapLogin(big.ports.imap, `s${i}@class.example`, `pw-${i}-x`));
  // (A login's owner line may come a frame after its connection: until then the connection is
  // an anonymous client of its own, "client 127.0.0.1", one more seen.)
  await page.waitForFunction((n) => document.querySelector('#live-students h3')?.textContent === `Students: ${n} seen, 30 connected`, N, { timeout: 10000 });
  const thirty = await dom();
  assert.equal(thirty.lines.length, 25);
  assert.deepEqual(thirty.lines.slice(0, 3), ['s1@class.example', 's2@class.example', 's3@class.example'], 'sorted as a class list');
  assert.ok(thirty.elements <= 25 * 2 + 5, `the list's DOM is bounded: ${thirty.elements} elements`);
  assert.equal(thirty.more, `${N - 25} more: the filters above find one.`);
  await page.evaluate(() => document.querySelector('#live-students').scrollIntoView());
  await page.screenshot({ path: `${OUT}/live19-class-1000.png` });
  // The instructor looks for one student, offline: the user menu narrows the list to them.
  await page.selectOption('#live-user', 's500@class.example');
  await page.waitForFunction(() => document.querySelectorAll('#live-students li').length === 1, null, { timeout: 5000 });
  const one = await dom();
  assert.deepEqual(one.lines, ['s500@class.example']);
  assert.equal(one.more, undefined, 'no count when all are shown');
});

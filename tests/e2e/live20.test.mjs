// live20 (issue 16, the live classroom as a student sees it):
// 1. A student's own view shows the connections refused from their address: the address a
//    connection of theirs logged in from, or the one their page reads the stream from. Another
//    student's refusal, from another address, is not in it. (serve listens on 127.0.0.1; on
//    Linux a client bound to 127.0.0.2, 127.0.0.3... reaches it from that address.)
// 2. The end of a flood is visible without the side panel: the server's note ("k more
//    connections were refused ... not drawn; N refused since mailsim serve started") above the
//    diagram, in the instructor's view; its counts add up with what was drawn.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe, logRecords, openLive } from './serve-lib.mjs';

const USERS = { 'bob@class.example': 'bob-Secret1', 'alice@class.example': 'alice-Secret2' };
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({
    dist: process.env.LIVE_DIST || DIST, users: USERS, log: true, prefix: 'mailsim-live20-',
    extra: ['--max-connections-per-address', '1'],
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  serve?.stop();
});

/**
 * Python: from `ip`, a POP3 connection held open (logged in as `user`, if any), then `n` more
 * connections from the same address, each refused (--max-connections-per-address 1); prints
 * the refused ones' first lines.
 */
function refusedFrom(ip, user, n = 1) {
  return serve.python(`
import socket, time
def conn():
    s = socket.create_connection((H, POP), source_address=('${ip}', 0))
    f = s.makefile('rb')
    return s, f, f.readline()
held, f, first = conn()
assert first.startswith(b'+OK'), first
${user ? `held.sendall(b'USER ${user}\\r\\n'); assert f.readline().startswith(b'+OK')
held.sendall(b'PASS ' + USERS['${user}'].encode() + b'\\r\\n'); assert f.readline().startswith(b'+OK')` : ''}
for _ in range(${n}):
    s, g, line = conn()
    print(line.decode().strip())
    s.close()
held.sendall(b'QUIT\\r\\n'); f.readline(); held.close()
`).trim().split('\n');
}

async function studentPage(viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.live.replace(/\?token=[^#]*/, ''));
  await page.fill('#live-user-name', 'bob');
  await page.fill('#live-password', USERS['bob@class.example']);
  await page.click('#live-login-button');
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  return { context, page, errors };
}

const BUSY = '-ERR [SYS/TEMP] too many connections, try again later';
const busyLines = (page) => page.$eval('#live-transcript', (e) => e.textContent.split('too many connections').length - 1);

test("a student's view shows the refusals from their addresses, not another student's", async (t) => {
  const { context, page, errors } = await studentPage({ width: 1440, height: 900 });
  t.after(() => context.close());
  // Bob's client at 127.0.0.2 logs in, then a second one of his is refused.
  assert.deepEqual(refusedFrom('127.0.0.2', 'bob@class.example'), [BUSY]);
  // Alice's, at 127.0.0.3: the same.
  assert.deepEqual(refusedFrom('127.0.0.3', 'alice@class.example'), [BUSY]);
  // A client at 127.0.0.1, where bob's page is, refused before any login (his mail program's
  // first try, say).
  assert.deepEqual(refusedFrom('127.0.0.1', null), [BUSY]);
  // In order: once the last refusal and the held client's QUIT after it are in bob's view,
  // the earlier ones he may see are too.
  await page.waitForFunction(() => (document.querySelector('.app.live')?.textContent.match(/too many connections/g) ?? []).length >= 2
    && [...document.querySelectorAll('#live-transcript li')].filter((l) => l.textContent.includes('QUIT')).length >= 2,
  null, { timeout: 10000 });
  await page.click('#live-toggle');
  const body = await page.$eval('.app.live', (e) => e.textContent);
  assert.ok(body.includes('127.0.0.2') && body.includes('127.0.0.1'), 'both of his refused clients, by address');
  assert.ok(!body.includes('127.0.0.3') && !body.includes('alice'), "nothing of alice's");
  assert.equal(await busyLines(page), 2, 'his two refusals (127.0.0.2 and 127.0.0.1), each once');
  // His own session is there too, named by his login.
  assert.match(body, /bob@class\.example/);
  // The connection held open at 127.0.0.1 without a login is his too (live21: the one student
  // seen at that address): the refusal's "1 connection ... is open" is in his view.
  const clients = await page.$$eval('#live-transcript li', (ls) => ls.filter((l) => l.textContent.includes('QUIT')).length);
  assert.equal(clients, 2, "QUIT of his logged-in client at 127.0.0.2 and of the one held at 127.0.0.1");
  // The last refusal, at 127.0.0.1: its Details name the limit.
  await page.locator('.arrow', { hasText: 'too many connections' }).last().click();
  await page.waitForFunction(() => /--max-connections-per-address 1/.test(document.querySelector('#details')?.textContent ?? ''),
    null, { timeout: 5000 });
  const details = await page.$eval('#details', (e) => e.textContent);
  assert.match(details, /Refused by --max-connections-per-address 1: 1 connection from 127\.0\.0\.1 is open/);
  await page.screenshot({ path: `${OUT}/live20-student-refused-1440.png` });
  // The same view at 390 px (the diagram's tab).
  const phone = await studentPage({ width: 390, height: 844 });
  t.after(() => phone.context.close());
  await phone.page.waitForFunction(() => (document.querySelector('.app.live')?.textContent.match(/too many connections/g) ?? []).length >= 2,
    null, { timeout: 10000 });
  await phone.page.screenshot({ path: `${OUT}/live20-student-refused-390.png` });
  await phone.page.locator('.arrow', { hasText: 'too many connections' }).last().click();
  await phone.page.click('#tab-details').catch(() => {});
  await phone.page.waitForTimeout(300);
  await phone.page.screenshot({ path: `${OUT}/live20-student-refused-390-details.png` });
  // The instructor saw all three, and --log has them.
  const records = logRecords(serve.logFile);
  const refused = records.filter((r) => r.event === 'message_sent' && r.from_state === 'refused');
  assert.equal(refused.length, 3);
  assert.deepEqual(errors, []);
  assert.deepEqual(phone.errors, []);
});

test("the end of a flood: the server's note above the instructor's diagram says how many were not drawn, and in all", async (t) => {
  const { page, errors } = await openLive(browser, t, serve.live);
  const before = logRecords(serve.logFile).filter((r) => r.event === 'message_sent' && r.from_state === 'refused').length;
  const N = 40;
  const lines = refusedFrom('127.0.0.4', null, N);
  assert.equal(lines.length, N);
  assert.ok(lines.every((l) => l === BUSY), lines.join('\n'));
  // (The note for the address's students comes just before the instructor's total.)
  await page.waitForFunction(() => /refused since mailsim serve started/.test(document.querySelector('#live-server-note')?.textContent ?? ''),
    null, { timeout: 10000 });
  const note = await page.$eval('#live-server-note', (e) => e.textContent);
  const m = note.match(/^(\d+) more connections were refused over the limits and not drawn \(at most 10 a second are\); (\d+) refused since mailsim serve started\.$/);
  assert.ok(m, note);
  // The counts add up: the flood's refusals drawn, those summed up in a drawn one ("+k more"),
  // and the note's k; the total is every refusal of this serve (the first test's three too).
  const records = logRecords(serve.logFile);
  const flood = records.filter((r) => r.event === 'message_sent' && r.from_state === 'refused').slice(before);
  const more = flood.reduce((s, r) => s + [...r.meaning.matchAll(/\+(\d+) more refused/g)].reduce((a, x) => a + Number(x[1]), 0), 0);
  assert.equal(flood.length + more + Number(m[1]), N);
  assert.equal(Number(m[2]), before + N);
  // The address's own note: every one of its refusals not drawn.
  const own = records.filter((r) => r.event === 'narrated' && / from 127\.0\.0\.4 /.test(r.text)).map((r) => r.text);
  assert.deepEqual(own, [`${N - flood.length} connections from 127.0.0.4 were refused over the limits and not drawn (at most 10 a second are).`]);
  // Where the refusals are: above the diagram, in view without scrolling or opening a panel.
  const box = await page.$eval('#live-server-note', (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, h: innerHeight }; });
  assert.ok(box.top >= 0 && box.bottom <= box.h, JSON.stringify(box));
  await page.screenshot({ path: `${OUT}/live20-flood-note.png` });
  // A student is not sent the instructor's note, nor these refusals and their note (nobody of
  // theirs at 127.0.0.4).
  const student = await studentPage({ width: 1440, height: 900 });
  t.after(() => student.context.close());
  await student.page.waitForFunction(() => /bob@class\.example/.test(document.querySelector('.app.live')?.textContent ?? ''), null, { timeout: 10000 });
  assert.equal(await student.page.$('#live-server-note'), null);
  assert.ok(!(await student.page.$eval('.app.live', (e) => e.textContent)).includes('127.0.0.4'));
  assert.deepEqual(errors, []);
});

test("the end of a flood from a student's own address: their view says how many of theirs were not drawn", async (t) => {
  const before = logRecords(serve.logFile).filter((r) => r.event === 'message_sent' && r.from_state === 'refused').length;
  const N = 30;
  // Bob's client logs in from 127.0.0.5 (he is seen there), then his loop floods from there.
  const lines = refusedFrom('127.0.0.5', 'bob@class.example', N);
  assert.equal(lines.length, N);
  const student = await studentPage({ width: 1440, height: 900 });
  t.after(() => student.context.close());
  await student.page.waitForFunction(() => / from 127\.0\.0\.5 /.test(document.querySelector('#live-server-note')?.textContent ?? ''),
    null, { timeout: 10000 });
  const note = await student.page.$eval('#live-server-note', (e) => e.textContent);
  const drawn = logRecords(serve.logFile).filter((r) => r.event === 'message_sent' && r.from_state === 'refused').slice(before);
  assert.ok(drawn.length >= 1 && drawn.length < N, `${drawn.length} drawn`);
  assert.equal(note, `${N - drawn.length} connections from 127.0.0.5 were refused over the limits and not drawn (at most 10 a second are).`);
  // The note is in view above his diagram, and his drawn refusals are in his view.
  const box = await student.page.$eval('#live-server-note', (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, h: innerHeight }; });
  assert.ok(box.top >= 0 && box.bottom <= box.h, JSON.stringify(box));
  await student.page.waitForFunction((n) => (document.querySelector('.app.live')?.textContent.match(/too many connections/g) ?? []).length >= n,
    drawn.length, { timeout: 10000 });
  await student.page.screenshot({ path: `${OUT}/live22-student-flood-note.png` });
  // On a phone too: the note in view, whole, above the diagram's tab.
  const phone = await studentPage({ width: 390, height: 844 });
  t.after(() => phone.context.close());
  await phone.page.waitForFunction(() => / from 127\.0\.0\.5 /.test(document.querySelector('#live-server-note')?.textContent ?? ''),
    null, { timeout: 10000 });
  const small = await phone.page.$eval('#live-server-note', (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, w: innerWidth, h: innerHeight, cut: e.scrollWidth > e.clientWidth }; });
  assert.ok(small.top >= 0 && small.bottom <= small.h / 2 && small.left >= 0 && small.right <= small.w && !small.cut, JSON.stringify(small));
  await phone.page.screenshot({ path: `${OUT}/live22-student-flood-note-390.png` });
  assert.deepEqual(student.errors, []);
  assert.deepEqual(phone.errors, []);
});

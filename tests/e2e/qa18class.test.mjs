// qa18class: the live classroom as an instructor runs it (session 18). A class of twelve
// students, each on a machine of their own (a lane each), on the projector's 1,024 × 600:
// the current message's label is on screen. Before, an arrow wider than the pane (the server's
// lane to a student's far to the right) was scrolled to its left end, and its label, drawn at
// its middle, lay off to the right: the projector showed bare arrows.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe } from './serve-lib.mjs';

const N = 12;
const USERS = Object.fromEntries(Array.from({ length: N }, (_, i) => [`s${String(i + 1).padStart(2, '0')}@class.example`, `pw-${i + 1}-x`]));
let serve, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe({ dist: process.env.LIVE_DIST || DIST, users: USERS, prefix: 'mailsim-qa18class-' });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  serve?.stop();
});

/** Whether the current arrow's label is whole inside the diagram's pane, sideways. */
const LABEL_SHOWN = () => {
  const pane = document.querySelector('.diagram').getBoundingClientRect();
  const label = document.querySelector('.arrow.current .label')?.getBoundingClientRect();
  return !!label && label.width > 0 && label.left >= pane.left && label.right <= pane.right;
};

test('on the projector, the current message of a student far to the right has its label on screen', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 600 } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(serve.live);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  // Each student from an address of their own (a lane each), one after the other.
  serve.python(`
import socket
class P(poplib.POP3):
    def __init__(self, src): self.src = src; super().__init__(H, POP, timeout=10)
    def _create_socket(self, timeout): return socket.create_connection((H, POP), timeout, source_address=(self.src, 0))
for i, (user, pw) in enumerate(USERS.items()):
    p = P(f'127.0.0.{20 + i}'); p.user(user); p.pass_(pw); p.stat(); p.quit()
`);
  // The last student's goodbye, followed live.
  // Nine messages a session (greeting, USER, PASS, STAT, QUIT and their replies), followed live.
  await page.waitForFunction((n) => {
    const m = /step (\d+) of (\d+)/.exec(document.querySelector('#position')?.textContent ?? '');
    return m && m[1] === m[2] && Number(m[2]) >= n;
  }, N * 9, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector('.arrow.current') !== null);
  await page.screenshot({ path: `${OUT}/qa18class-projector.png` });
  assert.ok(await page.evaluate(LABEL_SHOWN), 'the newest message\'s label is on screen');
  // Stepping back through the students' sessions: each current label on screen.
  await page.click('#live-toggle');
  await page.waitForSelector('#live-status.paused');
  for (let k = 0; k < 25; k += 1) {
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('.arrow.current') !== null);
    await page.waitForFunction(LABEL_SHOWN, null, { timeout: 2000 }).catch(() => {});
    const step = await page.textContent('#position');
    assert.ok(await page.evaluate(LABEL_SHOWN), `${step}: the current message's label is on screen`);
  }
});

// End-to-end: the page in Firefox (Gecko) and in WebKit (Safari's engine), not only Chromium.
// The README says the page runs in any current browser; the diagram's arrow heads are CSS
// `marker-end` on SVG lines, the live view reads server-sent events, the terminal and the
// activities take keys and clicks: each is checked here in both engines, on what a learner
// sees (the pixels of an arrow head, the text of a reply), with the drivers of engines.mjs.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { OUT } from './browser.mjs';
import { serveDist } from './serve-dist.mjs';
import { DIST } from './bundle-size.mjs';
import { startServe } from './serve-lib.mjs';
import { firefox, webkit, decodePng } from './engines.mjs';

const USERS = { 'alice@alice.example': 'alice-Secret1', 'bob@bob.example': 'bob-Secret2' };
let site, serve;
/** SMTP sessions run against `serve` so far (the live view's test of each engine adds one). */
let sessions = 0;
const browsers = {};

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  site = await serveDist(DIST);
  serve = await startServe({ dist: DIST, users: USERS, prefix: 'mailsim-engines-' });
  // Each browser kept as soon as it is up: if the other fails to start, `after` still closes
  // this one (a WebKit session left open kept the test process, and CI, waiting forever).
  const started = await Promise.allSettled([firefox().then((b) => (browsers.Firefox = b)), webkit().then((b) => (browsers.WebKit = b))]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all(Object.values(browsers).map((b) => b?.close()));
  serve?.stop();
  await site?.close();
});

/** Where the line of `selector` is on the screen: its end (5 px inside the head) and middle. */
function where(b, selector) {
  return b.eval((sel) => {
    const line = document.querySelector(sel);
    const m = line.getScreenCTM();
    const p = (x, y) => { const q = new DOMPoint(x, y).matrixTransform(m); return [q.x, q.y]; };
    const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((k) => line[k].baseVal.value);
    const rgb = getComputedStyle(line).stroke.match(/\d+/g).slice(0, 3).map(Number);
    return { end: p(x2 - Math.sign(x2 - x1) * 5, y2), mid: p((x1 + x2) / 2, (y1 + y2) / 2), rgb, dpr: devicePixelRatio };
  }, selector);
}

/**
 * How many pixels of the arrow's colour lie around the end of the line of `selector` (its
 * head, drawn by the `marker-end` of the stylesheet), and around its middle (the line alone),
 * from a screenshot: a head is a filled triangle, several times a line's pixels.
 */
async function headPixels(b, selector, file) {
  // Scrolled only if it is not in view. WebKitGTK's screenshot (under Xvfb) can be a frame from
  // before a scroll of the diagram's pane, for 200 ms to more than 5 s (qa12), or from before a
  // re-layout of the lanes sideways (the middle of a long line still on it, its end not: the
  // fresh-clone run of session 13, under load): the shot is taken again, up to 5 s, until the
  // line and its head are where the page says they are; both are counted in the same shot.
  await b.eval((sel) => { document.querySelector(sel).scrollIntoView({ block: 'nearest', inline: 'nearest' }); return true; }, selector);
  let last;
  for (const deadline = Date.now() + 5000; ;) {
    await b.eval(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 200)))));
    const at = await where(b, selector);
    const { width, height, px } = decodePng(await b.screenshot(file));
    const count = ([cx, cy]) => {
      let n = 0;
      for (let y = Math.round((cy - 7) * at.dpr); y <= Math.round((cy + 7) * at.dpr); y++) {
        for (let x = Math.round((cx - 7) * at.dpr); x <= Math.round((cx + 7) * at.dpr); x++) {
          if (x < 0 || y < 0 || x >= width || y >= height) continue;
          const i = (y * width + x) * 4;
          // Within 130 of the colour (sum over R, G, B): a 1.6 px line lies across two rows of
          // pixels, each about 80 % covered ((85, 122, 226) for (29, 78, 216): 110 away); white
          // and the current row's yellow are over 400 away, the labels' greys over 180.
          if (Math.abs(px[i] - at.rgb[0]) + Math.abs(px[i + 1] - at.rgb[1]) + Math.abs(px[i + 2] - at.rgb[2]) < 130) n++;
        }
      }
      return n;
    };
    last = { head: count(at.end), line: count(at.mid), at: JSON.stringify({ end: at.end.map(Math.round), mid: at.mid.map(Math.round), width, height }) };
    if ((last.line >= 8 && last.head >= last.line + 15) || Date.now() > deadline) return last;
  }
}

for (const name of ['Firefox', 'WebKit']) {
  const shot = (what) => path.join(OUT, `engines-${name.toLowerCase()}-${what}.png`);

  test(`${name}: the playground opens at a step, steps by key and button, draws arrow heads and the step's RFC`, async (t) => {
    const b = browsers[name];
    t.diagnostic(b.version);
    await b.goto(`${site.url}#/scenario/alice-to-bob/step/12`);
    await b.until(() => document.querySelector('#position')?.textContent.startsWith('step 12 of'), 'step 12');
    // The shortcuts' listener is added by an effect after the first draw: let the page settle
    // (two frames) and have the focus, as a learner's first key press finds it.
    await b.until(() => document.hasFocus(), 'the focus');
    await b.eval(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
    await b.press('ArrowRight');
    await b.until(() => document.querySelector('#position').textContent.startsWith('step 13 of'), 'step 13 after →');
    await b.until(() => location.hash === '#/scenario/alice-to-bob/step/13', 'the URL of step 13');
    await b.click('#prev');
    await b.until(() => document.querySelector('#position').textContent.startsWith('step 12 of'), 'step 12 after Back');
    assert.match(await b.eval(() => document.querySelector('.side').textContent), /RFC 5321 §4\.1\.1\.10/, 'QUIT\'s section in the inspector');
    const { head, line } = await headPixels(b, '#arrow-12 line', shot('playground'));
    // A line alone gives as many pixels near its end as around its middle, or fewer; a head adds its triangle.
    assert.ok(line >= 8 && head >= line + 15, `an arrow head at the end of QUIT's arrow: ${head} pixels of its colour there, ${line} around its middle`);
    assert.deepEqual(b.errors(), []);
  });

  test(`${name}: the terminal takes an SMTP session typed by hand`, async (t) => {
    const b = browsers[name];
    await b.goto(`${site.url}#/scenario/playground/step/0`);
    // Only the fragment changes: the page is the one of the test before until it has switched
    // (WebDriver's navigation returns at once), and its "Try it" panel closed.
    await b.until(() => document.querySelector('#position')?.textContent.startsWith('step 0 of'), 'the playground');
    // Not `offsetParent`: in WebKit the content of a closed <details> has one.
    await b.eval(() => { if (!document.querySelector('#learn').open) document.querySelector('#learn summary').click(); return true; });
    await b.click('#tab-terminal');
    await b.until(() => !!document.querySelector('#t-open'), 'the terminal tab');
    // The menus' defaults are their first entries in every engine: Alice's UA, her server, port 25.
    assert.deepEqual(await b.eval(() => ['#t-client', '#t-host', '#t-port'].map((s) => document.querySelector(s).value)),
      ['alice-ua', 'mail.alice.example', '25']);
    await b.click('#t-open');
    await b.until(() => !!document.querySelector('#t-line'), 'the terminal line');
    await b.until(() => /S: 220 /.test(document.querySelector('#t-out').textContent), 'the greeting');
    await b.type('#t-line', 'EHLO student.example\n');
    await b.until(() => /S: 250[- ]/.test(document.querySelector('#t-out').textContent), 'the reply to EHLO');
    await b.type('#t-line', 'mail from:<alice@alice.example\n');
    const out = await b.until(() => { const o = document.querySelector('#t-out').textContent; return /S: 5\d\d /.test(o.slice(o.lastIndexOf('C: '))) && o; }, 'the reply to a broken MAIL');
    assert.match(out.slice(out.lastIndexOf('C: ')), /S: 501 5\.5\.[24] /, 'a missing > is a syntax error (RFC 5321 §4.1.1.2)');
    await b.screenshot(shot('terminal'));
    assert.deepEqual(b.errors(), []);
  });

  test(`${name}: from the player to an activity, answered and checked`, async (t) => {
    const b = browsers[name];
    await b.goto(`${site.url}#/scenario/alice-to-bob/step/5`);
    await b.until(() => !!document.querySelector('#to-activities'), 'the Activities link');
    await b.click('#to-activities');
    await b.until(() => document.querySelectorAll('#activity-list .card').length > 5, 'the activities\' list', { timeout: 30000 });
    await b.goto(`${site.url}#/activity/imap-states-folders/item/7`);
    await b.until(() => !!document.querySelector('#choice-1'), 'item 7', { timeout: 30000 });
    await b.click('#choice-1');
    await b.click('#submit');
    const verdict = await b.until(() => document.querySelector('#feedback')?.getAttribute('data-correct'), 'the feedback');
    assert.equal(verdict, 'true');
    assert.match(await b.eval(() => document.querySelector('#feedback').textContent), /pre-authenticated connection/);
    await b.screenshot(shot('activity'));
    assert.deepEqual(b.errors(), []);
  });

  test(`${name}: the live view draws a real client's session as it happens, arrow heads included`, async (t) => {
    const b = browsers[name];
    await b.goto(serve.live);
    await b.until(() => !!document.querySelector('#live-status.on'), 'the live stream on', { timeout: 20000 });
    // This serve has had `sessions` SMTP sessions before this one (the other engine's): once
    // the page shows their 221s it has caught up, and this session's lines follow the last.
    const closed = () => b.eval(() => [...document.querySelectorAll('#live-transcript li')].filter((l) => /SMTP 221 /.test(l.textContent)).length);
    await b.until((n) => [...document.querySelectorAll('#live-transcript li')].filter((l) => /SMTP 221 /.test(l.textContent)).length === n, 'the earlier sessions', { args: [sessions] });
    serve.python(`
s = smtplib.SMTP(H, SUB); s.login('alice@alice.example', USERS['alice@alice.example'])
s.sendmail('alice@alice.example', ['bob@bob.example'], 'Subject: From ${name}\\r\\n\\r\\nHello.\\r\\n'); s.quit()`);
    sessions += 1;
    await b.until((n) => [...document.querySelectorAll('#live-transcript li')].filter((l) => /SMTP 221 /.test(l.textContent)).length === n, 'the session to its 221', { args: [sessions] });
    assert.equal(await closed(), sessions);
    const all = await b.eval(() => [...document.querySelectorAll('#live-transcript li')].map((l) => l.textContent));
    const first = all.findLastIndex((r, i) => i < all.length - 1 && /SMTP 221 /.test(r)) + 1;
    const rows = all.slice(first);
    assert.match(rows[0], /SMTP 220 /, rows.join('\n'));
    const mail = rows.findIndex((r) => /MAIL FROM:<alice@alice\.example>/.test(r));
    assert.ok(mail > 0 && rows.slice(mail).some((r) => /RCPT TO:<bob@bob\.example>/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /AUTH PLAIN \[redacted\]/.test(r)), 'AUTH shown redacted');
    assert.ok(!all.some((r) => r.includes('alice-Secret1')), 'the password nowhere');
    const rcpt = first + rows.findIndex((r) => /RCPT TO:<bob@bob\.example>/.test(r)) + 1;
    // RCPT's arrow, not the last one: the last row cannot be centred (nothing is below it) and
    // sat on the window's lower edge in WebKit. The diagram draws it in a frame of its own.
    const step = `arrow-${rcpt}`;
    await b.until((id) => /RCPT TO:<bob@bob\.example>/.test(document.getElementById(id)?.textContent ?? ''), 'RCPT\'s arrow in the live diagram', { args: [step] });
    const { head, line, at } = await headPixels(b, `#${step} line`, shot('live'));
    assert.ok(line >= 8 && head >= line + 15, `an arrow head on the live view's RCPT arrow: ${head} pixels against ${line} (${at}, ${step})`);
    assert.deepEqual(b.errors(), []);
  });
}

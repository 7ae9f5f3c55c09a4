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
const browsers = {};

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  site = await serveDist(DIST);
  serve = await startServe({ dist: DIST, users: USERS, prefix: 'mailsim-engines-' });
  [browsers.Firefox, browsers.WebKit] = await Promise.all([firefox(), webkit()]);
});

after(async () => {
  await Promise.all(Object.values(browsers).map((b) => b?.close()));
  serve?.stop();
  await site?.close();
});

/**
 * How many pixels of the arrow's colour lie around the end of the line of `selector` (its
 * head, drawn by the `marker-end` of the stylesheet), and around its middle (the line alone),
 * from a screenshot: a head is a filled triangle, several times a line's pixels.
 */
async function headPixels(b, selector, file) {
  // Scrolled only if it is not in view: WebKitGTK's screenshot (under Xvfb) can be a frame from
  // before a scroll of the diagram's pane, for 200 ms to more than 5 s (the live view, whose
  // last arrow `center` moved up from the bottom: each shot still showed it at the bottom, and
  // another arrow's head where the line was measured). Shots are taken again, up to 5 s, until
  // the line is there; the head is counted in the same shot.
  await b.eval((sel) => { document.querySelector(sel).scrollIntoView({ block: 'nearest', inline: 'nearest' }); return true; }, selector);
  let last;
  for (const deadline = Date.now() + 5000; ;) {
    await b.eval(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 200)))));
    const at = await b.eval((sel) => {
      const line = document.querySelector(sel);
      const m = line.getScreenCTM();
      const p = (x, y) => { const q = new DOMPoint(x, y).matrixTransform(m); return [q.x, q.y]; };
      const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((k) => line[k].baseVal.value);
      const rgb = getComputedStyle(line).stroke.match(/\d+/g).slice(0, 3).map(Number);
      return { end: p(x2 - Math.sign(x2 - x1) * 5, y2), mid: p((x1 + x2) / 2, (y1 + y2) / 2), rgb, dpr: devicePixelRatio };
    }, selector);
    const { width, height, px } = decodePng(await b.screenshot(file));
    const count = ([cx, cy]) => {
      let n = 0;
      for (let y = Math.round((cy - 7) * at.dpr); y <= Math.round((cy + 7) * at.dpr); y++) {
        for (let x = Math.round((cx - 7) * at.dpr); x <= Math.round((cx + 7) * at.dpr); x++) {
          if (x < 0 || y < 0 || x >= width || y >= height) continue;
          const i = (y * width + x) * 4;
          if (Math.abs(px[i] - at.rgb[0]) + Math.abs(px[i + 1] - at.rgb[1]) + Math.abs(px[i + 2] - at.rgb[2]) < 60) n++;
        }
      }
      return n;
    };
    last = { head: count(at.end), line: count(at.mid), at: JSON.stringify({ end: at.end.map(Math.round), mid: at.mid.map(Math.round), width, height }) };
    if (last.line >= 8 || Date.now() > deadline) return last;
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
    const subject = `From ${name}`;
    serve.python(`
s = smtplib.SMTP(H, SUB); s.login('alice@alice.example', USERS['alice@alice.example'])
s.sendmail('alice@alice.example', ['bob@bob.example'], 'Subject: ${subject}\\r\\n\\r\\nHello.\\r\\n'); s.quit()`);
    await b.until(() => [...document.querySelectorAll('#live-transcript li')].some((l) => /221 /.test(l.textContent)), 'the session to its 221');
    const rows = await b.eval(() => [...document.querySelectorAll('#live-transcript li')].map((l) => l.textContent));
    const mail = rows.findIndex((r) => /MAIL FROM:<alice@alice\.example>/.test(r));
    assert.ok(mail > 0 && rows.slice(mail).some((r) => /RCPT TO:<bob@bob\.example>/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /AUTH PLAIN \[redacted\]/.test(r)) && !rows.some((r) => r.includes('alice-Secret1')), 'the credentials redacted');
    const step = await b.eval(() => [...document.querySelectorAll('.arrow.smtp')].at(-1)?.id);
    assert.ok(step, 'an SMTP arrow in the live diagram');
    const { head, line, at } = await headPixels(b, `#${step} line`, shot('live'));
    assert.ok(line >= 8 && head >= line + 15, `an arrow head on the live view's last arrow: ${head} pixels against ${line} (${at})`);
    assert.deepEqual(b.errors(), []);
  });
}

// End-to-end: the release build in headless Chromium, driven like a learner would.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist } from './serve-dist.mjs';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

const SCENARIO = '#/scenario/alice-to-bob';
// The lecture's walk-through, message by message: first word of each message.
const EXPECTED = ('220 EHLO 250 MAIL 250 RCPT 250 DATA 354 Date: 250 QUIT 221 DNS DNS '
  + '220 EHLO 250 MAIL 250 RCPT 250 DATA 354 Received: 250 QUIT 221 '
  + '+OK USER +OK PASS +OK STAT +OK LIST +OK RETR +OK DELE +OK QUIT +OK').split(' ');

const pw = useBrowser();
const { open } = pw;

const position = (page) => page.textContent('#position');
const hash = (page) => page.evaluate(() => location.hash);

/** What the details panel says about the current message. */
async function current(page) {
  return page.evaluate(() => {
    const badge = document.querySelector('#details .badge')?.textContent;
    const raw = document.querySelector('#raw')?.textContent ?? '';
    const first = raw.split('\n')[0].replace(/\\r\\n$/, '');
    const arrow = document.querySelector('.arrow.current');
    return { badge, first, step: arrow && Number(arrow.dataset.step), title: document.querySelector('#details h2')?.textContent };
  });
}

test('steps through the whole scenario in protocol order, then back', async (t) => {
  const page = await open(t);
  const total = EXPECTED.length;
  assert.equal(await position(page), `step 0 of ${total}`);
  assert.equal(await hash(page), `${SCENARIO}/step/0`);
  assert.match(await page.textContent('#details'), /Alice sends Bob an e-mail/);
  assert.equal(await page.locator('.arrow').count(), total, 'one arrow per protocol message');
  assert.equal(await page.locator('.actor').count(), 5, 'five lifelines');
  const actors = await page.locator('.actor-name').allTextContents();
  assert.deepEqual(actors, ["Alice's UA", "Alice's server", 'DNS', "Bob's server", "Bob's UA"]);

  const seen = [];
  for (let i = 1; i <= total; i++) {
    // Alternate between the keyboard and the button, as a learner would.
    if (i % 2) await page.keyboard.press('ArrowRight'); else await page.click('#next');
    await page.waitForFunction((n) => document.querySelector('#position').textContent.startsWith(`step ${n} `), i);
    const c = await current(page);
    assert.equal(c.step, i, 'the current arrow is highlighted');
    seen.push(c.badge === 'DNS' ? 'DNS' : c.first.split(/[ -]/)[0]);
    // Stepping updates the URL, once the frame that shows the step is drawn.
    await page.waitForFunction((h) => location.hash === h, `${SCENARIO}/step/${i}`, { timeout: 5000 });
  }
  assert.deepEqual(seen, EXPECTED);
  assert.ok(await page.isDisabled('#next'), 'Next is disabled at the end');

  // At the end, Bob's mailbox is empty again and his UA holds the message.
  assert.match(await page.textContent('[data-mailbox="bob@bob.example"]'), /empty/);
  assert.match(await page.textContent('[data-agent="bob-ua"]'), /Catch up this week\?/);

  // Step back over QUIT: the message is back in the mailbox (deletion happens at QUIT).
  await page.keyboard.press('ArrowLeft');
  await page.click('#prev');
  assert.equal(await position(page), `step ${total - 2} of ${total}`);
  assert.match(await page.textContent('[data-mailbox="bob@bob.example"]'), /UID 1 .*Catch up this week\?/);
  await page.keyboard.press('Home');
  assert.equal(await position(page), `step 0 of ${total}`);
  assert.match(await page.textContent('[data-mailbox="bob@bob.example"]'), /empty/);
});

test('opens a step from the URL and follows later URL changes', async (t) => {
  const page = await open(t, `${SCENARIO}/step/12`);
  assert.equal(await position(page), 'step 12 of 43');
  const c = await current(page);
  assert.equal(c.step, 12);
  assert.equal(c.title, "Step 12: Alice's UA → Alice's server");
  assert.equal(c.first, 'QUIT');
  assert.match(await page.textContent('#meaning'), /close the session/);
  assert.match(await page.textContent('#details .rfc'), /RFC 5321 §4\.1\.1\.10/);
  assert.match(await page.textContent('#states'), /Alice's server.*closed/s);
  // The message is in Alice's server's queue at this step.
  assert.match(await page.textContent('[data-server="alice-server"]'), /from <alice@alice\.example> to <bob@bob\.example>/);
  await page.evaluate(() => { location.hash = '#/scenario/alice-to-bob/step/15'; });
  await page.waitForFunction(() => document.querySelector('#position').textContent === 'step 15 of 43');
  assert.equal((await current(page)).badge, 'DNS');
  assert.match(await page.textContent('#raw'), /^0000 {2}[0-9a-f]{2} [0-9a-f]{2} 8/, 'DNS bytes shown as a hex dump');
  assert.match(await page.textContent('#meaning'), /mail\.bob\.example \(preference 10\)/);
  // Clicking an arrow jumps there.
  await page.click('#arrow-20');
  assert.equal(await position(page), 'step 20 of 43');
});

test('shows raw bytes with CR LF visible and the states of both ends', async (t) => {
  const page = await open(t, `${SCENARIO}/step/10`);
  const raw = await page.textContent('#raw');
  assert.match(raw, /^Date: Mon, 14 Sep 2026 09:00:00 \+0000\\r\\n\n/);
  assert.match(raw, /\n\.\.NET meetup/, 'the dot-stuffed line is shown as sent');
  assert.match(raw, /\n\.\\r\\n\n$/, 'the terminating dot line');
  assert.equal(await page.locator('#raw .ctl').count(), 2 * raw.split('\n').filter(Boolean).length);
  assert.match(await page.textContent('#states'), /waiting for 250/);
  assert.match(await page.textContent('#details .happenings'), /outgoing queue/);
});

test('plays, pauses, changes speed and resets', async (t) => {
  const page = await open(t, `${SCENARIO}/step/0`);
  await page.selectOption('#speed', '8');
  await page.keyboard.press(' ');
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'true');
  await page.waitForFunction(() => parseInt(document.querySelector('#position').textContent.split(' ')[1], 10) >= 3);
  await page.click('#play');
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'false');
  const paused = await position(page);
  await page.waitForTimeout(400);
  assert.equal(await position(page), paused, 'pause stops the steps');
  await page.click('#reset');
  assert.equal(await position(page), 'step 0 of 43');
});

test('screenshots at 1440×900 and 1024×600', async (t) => {
  const page = await open(t, `${SCENARIO}/step/25`);
  await page.screenshot({ path: path.join(OUT, 'alice-to-bob-step-25-1440x900.png') });
  const small = await open(t, `${SCENARIO}/step/40`, { viewport: { width: 1024, height: 600 }, ready: '#arrow-40.current' });
  await small.screenshot({ path: path.join(OUT, 'alice-to-bob-step-40-1024x600.png') });
  for (const f of ['alice-to-bob-step-25-1440x900.png', 'alice-to-bob-step-40-1024x600.png']) {
    assert.ok(fs.statSync(path.join(OUT, f)).size > 10_000, `${f} was written`);
  }
});

test('every scenario in the picker plays to its end without an error', async (t) => {
  const page = await open(t);
  const ids = await page.$$eval('#scenario option:not(:disabled)', (os) => os.map((o) => o.value));
  assert.ok(ids.length >= 15, `the picker lists the scenarios (${ids.length})`);
  const groups = await page.$$eval('#scenario optgroup', (gs) => gs.map((g) => g.label));
  assert.deepEqual(groups, ['Your own', 'Basics', 'Envelope and header', 'Failures', 'Security', 'Routing', 'Message format', 'SMTP replies', 'Reading mail', 'Web-based e-mail', 'SMTP extensions', 'At scale']);
  for (const id of ids.filter((i) => i !== 'playground')) {  // the playground starts empty
    await page.selectOption('#scenario', id);
    await page.waitForFunction((i) => location.hash === `#/scenario/${i}/step/0`, id);
    const total = Number((await position(page)).split(' of ')[1]);
    assert.ok(total > 5, `${id} has messages`);
    assert.ok((await page.textContent('#details .description')).length > 100, `${id} says what it teaches`);
    // Step by step (the class of 200, thousands of messages: its first 200, then End).
    for (let i = 1; i <= Math.min(total, 200); i++) await page.keyboard.press('ArrowRight');
    if (total > 200) await page.keyboard.press('End');
    // On a loaded machine the last steps may still be drawing: give them a moment.
    const want = `step ${total} of ${total}`;
    await page.waitForFunction((w) => document.querySelector('#position').textContent === w, want, { timeout: 5000 }).catch(() => {});
    assert.equal(await position(page), want, id);
    assert.equal((await current(page)).step, total, id);
  }
});

test('TLS: ciphertext on the wire unless "show decrypted" is ticked', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth/step/8');
  assert.match(await page.textContent('#details .meta'), /TLS/);
  assert.match(await page.textContent('#raw'), /^0000 {2}17 03 03 /, 'a TLS application-data record');
  assert.doesNotMatch(await page.textContent('#raw'), /AUTH PLAIN/);
  assert.match(await page.textContent('#arrow-8 .label'), /^TLS record/);
  await page.check('#decrypted');
  assert.match(await page.textContent('#raw'), /^AUTH PLAIN AGFsaWNl/);
  assert.match(await page.textContent('#arrow-8 .label'), /^AUTH PLAIN/);
  assert.match(await page.textContent('#meaning'), /only base64|base64 of/);
  // Before STARTTLS's 220 nothing is encrypted.
  await page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.uncheck('#decrypted');
  assert.match(await page.textContent('#raw'), /^250-mail\.alice\.example greets/);
});

test('the lecture\'s IMAP session opens with "show decrypted" ticked (its scenario file says so)', async (t) => {
  const page = await open(t, '#/scenario/imap-session/step/12');
  assert.equal(await page.isChecked('#decrypted'), true);
  assert.match(await page.textContent('#arrow-12 .label'), /^babc ENABLE IMAP4rev2/);
  await page.uncheck('#decrypted');
  assert.match(await page.textContent('#arrow-12 .label'), /^TLS record/);
  await page.keyboard.press('Home');
  assert.match(await page.textContent('#details .description'), /"show decrypted" is ticked/);
  // Other TLS scenarios open as the network sees them.
  await page.goto(pw.server.url + '#/scenario/implicit-tls/step/3');
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#position')?.textContent.startsWith('step 3 '));
  assert.equal(await page.isChecked('#decrypted'), false);
});

test('a bounce shows up in the queue and then in Alice\'s mailbox', async (t) => {
  const page = await open(t, '#/scenario/unknown-user/step/22');
  assert.match(await page.textContent('#raw'), /^550 5\.1\.1 <nobody@bob\.example>/);
  await page.keyboard.press('End');
  const total = Number((await position(page)).split(' of ')[1]);
  assert.equal(await position(page), `step ${total} of ${total}`);
  assert.match(await page.textContent('[data-agent="alice-ua"]'), /Undelivered Mail Returned to Sender/);
  await page.goto(pw.server.url + '#/scenario/greylisting/step/24');
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 24 '));
  assert.match(await page.textContent('[data-server="alice-server"]'), /deferred \(host mail\.bob\.example said: 450 4\.2\.0.*next attempt at 05:01/s);
});

test('the message inspector shows the MIME tree, and HTML only as text', async (t) => {
  const page = await open(t, '#/scenario/attachment');
  await page.keyboard.press('End');
  const box = page.locator('[data-mailbox="bob@bob.example"]');
  // Bob's UA deleted it at the end: step back to before QUIT to see it in the mailbox.
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await box.locator('summary').first().click();
  const tree = await box.locator('.mime-tree').textContent();
  for (const part of ['multipart/mixed', 'multipart/alternative', 'text/plain', 'text/html', 'image/png', 'hike.png', 'base64 · 67 bytes decoded']) {
    assert.ok(tree.includes(part), `${part} in ${tree}`);
  }
  assert.ok(tree.includes('<b>Saturday</b>'), 'the HTML part is shown as its source text');
  assert.equal(await box.locator('.mime-tree b').count(), 0, 'no HTML element was created from the message');
  // The DATA arrow of the relay carries the same message.
  const dataStep = await page.$$eval('.arrow', (as) => as.filter((a) => a.querySelector('.label').textContent.startsWith('message (')).map((a) => Number(a.dataset.step))[1]);
  await page.click(`#arrow-${dataStep}`);
  assert.match(await page.textContent('#details .carried'), /image\/png/);
});

test('spoofing: the envelope and the header disagree, side by side', async (t) => {
  const page = await open(t, '#/scenario/spoofed-from');
  const step = await page.$$eval('.arrow', (as) => as.find((a) => a.querySelector('.label').textContent.startsWith('message (')).dataset.step);
  await page.click(`#arrow-${step}`);
  const env = await page.textContent('#envelope');
  assert.match(env, /MAIL FROM:<mallory@mallory\.example>/);
  assert.match(env, /From: Alice <alice@alice\.example>/);
});

test('a log written by mailsim serve opens in the page', async (t) => {
  const { spawn } = await import('node:child_process');
  const net = await import('node:net');
  const os = await import('node:os');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const logFile = path.join(os.tmpdir(), `mailsim-serve-${process.pid}.jsonl`);
  const free = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const [smtp, sub, pop] = [await free(), await free(), await free()];
  const serve = spawn(path.join(root, 'target/debug/mailsim'), ['serve', '--smtp-port', smtp, '--submission-port', sub, '--pop3-port', pop,
    '--user', 'bob@bob.example:pw', '--log', logFile, '--quiet'].map(String), { stdio: 'ignore' });
  t.after(() => serve.kill('SIGKILL'));
  // A real client session over a socket: greeting, EHLO, a refused relay, QUIT.
  for (let i = 0; i < 50; i++) {
    try { await new Promise((ok, bad) => net.connect(smtp, '127.0.0.1', ok).on('error', bad).end()); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  await new Promise((resolve) => {
    const c = net.connect(smtp, '127.0.0.1');
    const lines = ['EHLO node.example', 'MAIL FROM:<x@elsewhere.example>', 'RCPT TO:<y@elsewhere.example>', 'QUIT'];
    c.on('data', () => { const l = lines.shift(); if (l) c.write(`${l}\r\n`); });
    c.on('close', resolve);
  });
  serve.kill('SIGINT');
  await new Promise((r) => serve.on('exit', r));
  const page = await open(t);
  await page.setInputFiles('#import', logFile);
  await page.waitForFunction(() => location.hash === '#/imported/step/0');
  assert.match(await page.textContent('#details h2'), /Imported: mailsim-serve/);
  // The readiness probe got a greeting too (one arrow), then the real session (nine).
  assert.equal(await position(page), 'step 0 of 10');
  await page.keyboard.press('End');
  const labels = await page.$$eval('.arrow .label', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(labels.slice(1).map((l) => l.split(' ')[0]), ['220', 'EHLO', '250', 'MAIL', '250', 'RCPT', '554', 'QUIT', '221']);
  assert.match(await page.textContent('#meaning'), /closes the connection/);
});

test('runs under a strict Content-Security-Policy, from any folder', async (t) => {
  const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'";
  const strict = await serveDist(DIST, { csp });
  t.after(() => strict.close());
  const page = await pw.browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(strict.url + '#/scenario/alice-to-bob/step/3');
  await page.waitForSelector('#position');
  assert.equal(await page.textContent('#position'), `step 3 of ${EXPECTED.length}`);
  assert.deepEqual(errors, [], 'no CSP violations or other errors');
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script type="module">/, 'no inline script');
  assert.doesNotMatch(html, /(src|href)="\//, 'only relative URLs: the site works from any folder');
  assert.doesNotMatch(html, /https?:\/\//, 'nothing from other sites');
  await page.close();
});

test('compose: hostile subject and body are shown as text, never run', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await page.fill('#c-subject', '<img src=x onerror=alert(1)>');
  await page.fill('#c-body', '<script>window.__xss = 1</script>\n<img src=x onerror="window.__xss = 2">\n');
  await page.setInputFiles('#c-file', { name: '<b>evil</b>.txt', mimeType: 'text/plain', buffer: Buffer.from('attached text\n') });
  await page.selectOption('#c-read', 'imap');
  await page.click('#c-send');
  await page.waitForFunction(() => !document.querySelector('#position').textContent.startsWith('step 0 '));
  await page.keyboard.press('End');
  // The last step is drawn (its world folded) before the message is opened: on a loaded machine
  // the panel could still be showing an earlier step when the summary was clicked.
  await page.waitForFunction(() => /^step (\d+) of \1$/.test(document.querySelector('#position').textContent.trim()));
  const box = page.locator('[data-mailbox="bob@bob.example"]');
  await box.locator('summary').first().click();
  await page.waitForFunction(() => document.querySelector('[data-mailbox="bob@bob.example"]')?.textContent.includes('window.__xss = 1'), null, { timeout: 5000 });
  const text = await box.textContent();
  assert.ok(text.includes('<img src=x onerror=alert(1)>'), 'the subject is shown as text');
  assert.ok(text.includes('<script>window.__xss = 1</script>'), 'the body is shown as text');
  assert.ok(text.includes('<b>evil</b>.txt'), 'the file name is shown as text');
  assert.equal(await page.locator('#world img, #world script, #world b').count(), 0, 'no element was made from the message');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  // The diagram shows the IMAP read that was chosen.
  const labels = await page.$$eval('.arrow .label', (ls) => ls.map((l) => l.textContent));
  assert.ok(labels.some((l) => l.startsWith('r4 fetch * body[]') || l.startsWith('TLS record')), labels.join('|'));
});

test('terminal: type SMTP by hand, with DATA, history and the reply of real engines', async (t) => {
  const page = await open(t, '#/scenario/playground');
  await page.click('#tab-terminal');
  await page.selectOption('#t-client', 'alice-ua');
  await page.selectOption('#t-host', 'mail.bob.example');
  await page.selectOption('#t-port', '25');
  await page.click('#t-open');
  await page.waitForSelector('#t-line');
  // Commands show up as they are sent; the message lines after DATA go out together at ".",
  // as typed, like telnet: a leading dot is the client's to double (RFC 5321 §4.5.2).
  const typed = [['EHLO terminal.example', 'C: EHLO terminal.example'], ['MAIL FROM:<alice@alice.example>', 'S: 250 2.1.0'], ['RCPT TO:<bob@bob.example>', 'S: 250 2.1.5'],
    ['DATA', 'S: 354'], ['Subject: typed by hand', null], ['', null], ['..doubled by hand', null], ['.', 'C: ..doubled by hand'], ['QUIT', 'S: 221']];
  for (const [line, expect] of typed) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
    if (expect) await page.waitForFunction((x) => document.querySelector('#t-out').textContent.includes(x), expect);
  }
  const out = await page.textContent('#t-out');
  assert.match(out, /S: 220 mail\.bob\.example ESMTP/);
  assert.match(out, /S: 250 2\.0\.0 OK: queued as/);
  assert.match(out, /S: 221 2\.0\.0/);
  await page.press('#t-line', 'ArrowUp');
  assert.equal(await page.inputValue('#t-line'), 'QUIT', 'history with the up arrow');
  assert.match(await page.textContent('[data-mailbox="bob@bob.example"]'), /typed by hand/);
});

test('terminal: an IMAP session typed by hand, with SEARCH keys and a mistake', async (t) => {
  const page = await open(t, '#/scenario/imap-session');
  await page.click('#learn summary');
  await page.click('#tab-terminal');
  await page.selectOption('#t-client', 'bob-ua');
  await page.selectOption('#t-host', 'mail.bob.example');
  await page.selectOption('#t-port', '143');
  await page.click('#t-open');
  await page.waitForSelector('#t-line');
  const typed = [['a LOGIN bob bob-pw', 'S: a NO [PRIVACYREQUIRED]'], ['b STARTTLS', 'S: b OK'], ['c LOGIN bob bob-pw', 'S: c OK'],
    ['d SELECT INBOX', 'S: d OK [READ-WRITE]'], ['e SEARCH OR UNSEEN FLAGGED', 'S: e OK SEARCH completed'],
    ['f SEARCH FROMM alice', 'S: f BAD unknown search key FROMM'], ['g FETCH 1 (FLAGS ENVELOPE)', 'S: g OK'], ['h LOGOUT', 'S: h OK']];
  for (const [line, expect] of typed) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
    await page.waitForFunction((x) => document.querySelector('#t-out').textContent.includes(x), expect);
  }
  const out = await page.textContent('#t-out');
  assert.match(out, /S: \* SEARCH( \d+)*/, 'a rev1 session (no ENABLE) gets the SEARCH response');
  assert.match(out, /S: \* 1 FETCH \(FLAGS \(/);
  assert.match(out, /S: \* BYE/);
  const scrolled = await page.$eval('#t-out', (el) => el.scrollHeight <= el.clientHeight || el.scrollTop + el.clientHeight >= el.scrollHeight - 2);
  assert.ok(scrolled, 'the terminal keeps its newest line in view');
  await page.screenshot({ path: path.join(OUT, 'terminal-imap-1440x900.png') });
});

test('faults on demand, and what the learner did survives a reload until reset', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/13');
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  assert.ok(await page.locator('.arrow.tcp').count() >= 1, 'the SYN to the dead server is on the diagram');
  await page.reload();
  await page.waitForSelector('#position');
  assert.ok(await page.locator('.arrow.tcp').count() >= 1, 'still there after a reload');
  assert.match(await page.textContent('#learn .mine'), /You added 1 action/);
  await page.click('#forget');
  await page.waitForFunction(() => !document.querySelector('.arrow.tcp'));
  // The URL follows the step in the frame after it is drawn (src/app.rs): wait for it.
  await page.waitForFunction(() => location.hash.endsWith('/step/0'));
  await page.reload();
  await page.waitForSelector('#position');
  assert.equal(await page.locator('.arrow.tcp').count(), 0, 'reset is remembered too');
  assert.equal(await position(page), `step 0 of ${EXPECTED.length}`);
});

test('share, export, search, large text, transcript and SMTP phases', async (t) => {
  const context = await pw.browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: pw.server.url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => context.close());
  await page.goto(pw.server.url + '#/scenario/alice-to-bob/step/7');
  await page.waitForSelector('#position');
  await page.click('#share');
  assert.match(await page.textContent('#note'), /Link copied: .*#\/scenario\/alice-to-bob\/step\/7/);
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /#\/scenario\/alice-to-bob\/step\/7$/);
  for (const [value, name, start] of [['svg', 'mailsim-alice-to-bob.svg', '<svg xmlns'], ['mermaid', 'mailsim-alice-to-bob.mmd', 'sequenceDiagram'], ['png', 'mailsim-alice-to-bob.png', '\u0089PNG']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.selectOption('#export', value)]);
    assert.equal(download.suggestedFilename(), name);
    const text = fs.readFileSync(await download.path(), 'latin1');
    assert.ok(text.startsWith(start), text.slice(0, 40));
    if (value === 'png') assert.ok(fs.statSync(await download.path()).size > 20000, 'a real picture');
  }
  await page.fill('#search', 'greylist');
  // Filtered again when the descriptions arrive (fetched on first use of the field: size9).
  await page.waitForFunction(() => document.querySelectorAll('#scenario option:not(:disabled)').length === 3);
  assert.ok((await page.$$eval('#scenario option:not(:disabled)', (os) => os.map((o) => o.value))).includes('greylisting'));
  assert.ok((await page.$$eval('#scenario option:not(:disabled)', (os) => os.length)) < 5, 'the search narrows the picker');
  await page.fill('#search', '');
  await page.click('#large');
  assert.equal(await page.getAttribute('#large', 'aria-pressed'), 'true');
  assert.ok(await page.locator('.app.large').count());
  await page.click('#transcript summary');
  // The transcript is drawn on the frame after it opens (under load, not by the time click returns).
  await page.waitForFunction((n) => document.querySelectorAll('#transcript li').length === n, EXPECTED.length, { timeout: 10000 })
    .catch(() => {});
  assert.equal(await page.locator('#transcript li').count(), EXPECTED.length);
  assert.match(await page.textContent('#transcript li[aria-current="step"]'), /Alice's server to Alice's UA, SMTP port 587: 250 2\.1\.5 Recipient <bob@bob\.example> OK/);
  const phases = await page.$$eval('.phase', (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(phases, ['SMTP handshake', 'SMTP transfer', 'SMTP closure', 'SMTP handshake', 'SMTP transfer', 'SMTP closure']);
  assert.deepEqual(errors, []);
});

test('embedded in a course page: a real iframe at 1024×600', async (t) => {
  const page = await pw.browser.newPage({ viewport: { width: 1024, height: 600 } });
  t.after(() => page.close());
  await page.goto(pw.server.url + '#/scenario/alice-to-bob/step/2');
  await page.waitForSelector('#position');
  await page.click('#embed-btn');
  const code = await page.inputValue('#embed-code');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=1#\/scenario\/alice-to-bob\/step\/2" width="100%" height="600"/);
  await page.setContent(`<html><body style="margin:0"><h1 style="font-size:16px">CPSC 317: E-mail</h1>${code}</body></html>`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('#position');
  assert.equal(await frame.textContent('#position'), `step 2 of ${EXPECTED.length}`);
  assert.equal(await frame.isVisible('#learn'), false, 'the compact layout hides the extras');
  assert.equal(await frame.isVisible('#details'), true);
  await frame.click('#details');
  await page.keyboard.press('ArrowRight');
  // (The position follows the step's row a frame later, with the panels: src/app.rs, `deferred`.)
  await frame.waitForFunction((n) => document.querySelector('#position').textContent === `step 3 of ${n}`, EXPECTED.length, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await frame.textContent('#position'), `step 3 of ${EXPECTED.length}`, 'the keyboard works inside the iframe');
  await page.screenshot({ path: path.join(OUT, 'embedded-1024x600.png') });
});

test('state diagrams light the current state of SMTP, POP3 and IMAP', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/4');
  assert.equal(await page.getAttribute('#state-diagram .st.lit', 'data-state'), 'MAIL', 'after MAIL FROM: a transaction is open');
  await page.goto(pw.server.url + '#/scenario/alice-to-bob/step/40');
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 40 '));
  assert.equal(await page.getAttribute('#state-diagram .st.lit', 'data-state'), 'TRANSACTION');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('#state-diagram .st.lit', 'data-state'), 'UPDATE');
  await page.goto(pw.server.url + '#/scenario/imap-session/step/15');
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 15 '));
  assert.equal(await page.getAttribute('#state-diagram .st.lit', 'data-state'), 'Selected');
  assert.match(await page.textContent('#state-diagram figcaption'), /IMAP states \(RFC 9051\): now Selected/);
});

test('no state diagram hides an arrow label under a box', async (t) => {
  // LOGIN/AUTH and LOGOUT were drawn wider than their gaps, and the boxes (drawn after the edges) covered them.
  const page = await open(t, '#/scenario/alice-to-bob/step/4');
  const overlaps = () => page.evaluate(() => {
    const boxes = [...document.querySelectorAll('#state-diagram .st rect')].map((r) => r.getBoundingClientRect());
    const cut = [];
    for (const t of document.querySelectorAll('#state-diagram .st-edge text')) {
      const l = t.getBoundingClientRect();
      if (boxes.some((b) => l.left < b.right - 0.5 && b.left < l.right - 0.5 && l.top < b.bottom - 0.5 && b.top < l.bottom - 0.5)) cut.push(t.textContent);
    }
    return { cut, labels: document.querySelectorAll('#state-diagram .st-edge text').length };
  });
  for (const [where, protocol] of [['alice-to-bob/step/4', 'SMTP'], ['alice-to-bob/step/40', 'POP3'], ['imap-session/step/15', 'IMAP']]) {
    await page.goto(`${pw.server.url}#/scenario/${where}`);
    await page.waitForFunction((w) => location.hash.endsWith(w) && document.querySelector('#state-diagram figcaption')?.textContent.includes(w.startsWith('imap') ? 'IMAP' : w.endsWith('/40') ? 'POP3' : 'SMTP'), where);
    const { cut, labels } = await overlaps();
    assert.ok(labels >= 2, `${protocol}: the diagram has its labels`);
    assert.deepEqual(cut, [], `${protocol}: labels under a box`);
  }
  assert.match(await page.textContent('#state-diagram'), /LOGIN\/AUTH/);
});

test('a step asked for in the URL is not lost when the page rewrites the URL meanwhile', async (t) => {
  // The race two full runs hit under load: the page's deferred write of its step replaced the URL
  // between the navigation and its hashchange event, and the handler read the rewritten one.
  const page = await open(t, `${SCENARIO}/step/4`);
  await page.evaluate((s) => { location.hash = `${s}/step/40`; history.replaceState(null, '', `${s}/step/4`); }, SCENARIO);
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 40 '));
  await page.waitForFunction((s) => location.hash === `${s}/step/40`, SCENARIO);
});

test('diagram tools: filter by protocol and connection, collapse, TCP segments, zoom', async (t) => {
  const page = await open(t, '#/scenario/alice-to-bob/step/1');
  assert.equal(await page.locator('.arrow.dns').count(), 2);
  await page.uncheck('#show-dns');
  assert.equal(await page.locator('.arrow.dns').count(), 0, 'DNS hidden');
  await page.check('#show-dns');
  await page.check('#show-tcp');
  const segs = await page.$$eval('.tcp-seg .label', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(segs.slice(0, 3), ['TCP SYN', 'TCP SYN, ACK', 'TCP ACK'], 'the three-way handshake before the greeting');
  assert.equal(segs.filter((s) => s === 'TCP SYN').length, 3, 'three TCP connections: submission, relay, POP3');
  await page.uncheck('#show-tcp');
  const conns = await page.$$eval('#only-conn option', (os) => os.map((o) => o.value).filter(Boolean));
  await page.selectOption('#only-conn', conns[2]);
  assert.equal(await page.locator('.arrow').count(), 15, 'only the POP3 connection');
  await page.selectOption('#only-conn', '');
  await page.click('.collapse[data-conn="1"]');
  assert.equal(await page.locator('.collapsed').count(), 1);
  assert.match(await page.textContent('.collapsed .label'), /SMTP session, port 587: 13 messages/);
  assert.equal(await page.locator('.arrow').count(), EXPECTED.length - 13 );
  await page.click('.collapsed');
  assert.equal(await page.locator('.arrow').count(), EXPECTED.length, 'expanded again');
  await page.selectOption('#zoom', '150');
  assert.ok(await page.locator('.diagram.zoom-150').count());
});

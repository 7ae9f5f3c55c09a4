// qa12's fixes, in the browser as a student and an instructor meet them.
// - The protocol state diagrams are drawn top to bottom (as RFC 9051 §3 draws IMAP's) at a
//   fixed scale: their text is at least 10 px on screen in the details column at 1,440 and
//   1,024 px and on a 390 px phone (it was 3.8 to 6.3 px for IMAP and SMTP), with no label
//   under a box or on another label, and the diagram inside the window.
// - `?scenario=URL`: the engine module starts with the page (the boot script's `early` was not
//   used with two builds), the default scenario drawn meanwhile is not handed to the engine,
//   and the full page is prefetched after the file's first draw, as on other addresses.
//   `?log=URL` needs no engine: none is fetched, and the full page is prefetched after the log.
// - On a phone the "Try it" tab shows its panel open (it took a second tap).
// - The terminal says how to log in (the built-in worlds' passwords are USER-pw): a student
//   typing the lecture's POP3 session got "-ERR [AUTH] invalid user name or password".
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { typeLine as type } from './terminal.mjs';
import { stateDiagram } from './state-diagram.mjs';

const s = useBrowser();

const measure = stateDiagram;

for (const [w, h] of [[1440, 900], [1024, 600], [390, 844]]) {
  test(`the state diagrams read at ${w} px: text of 10 px or more, no label on a box or a label, inside the window`, async (t) => {
    const page = await s.open(t, null, { viewport: { width: w, height: h } });
    for (const [scenario, step, protocol] of [['imap-session', 15, 'IMAP'], ['alice-to-bob', 5, 'SMTP'], ['pop3-session', 6, 'POP3'], ['webmail', 4, 'HTTP']]) {
      await page.goto(`${s.server.url}#/scenario/${scenario}/step/${step}`);
      await page.waitForFunction((n) => document.querySelector('#position')?.textContent.startsWith(`step ${n} `), step);
      if (w < 900 && !(await page.locator('#state-diagram').isVisible())) await page.click('#tab-details');
      await page.waitForFunction((p) => document.querySelector('#state-diagram figcaption')?.textContent.includes(p), protocol);
      await page.locator('#state-diagram').scrollIntoViewIfNeeded();
      const m = await measure(page);
      await (await page.$('#state-diagram')).screenshot({ path: path.join(OUT, `qa12-states-${protocol.toLowerCase()}-${w}.png`) });
      t.diagnostic(`${m.caption}: smallest text ${m.min.toFixed(1)} px, ${m.height.toFixed(0)} px high`);
      assert.ok(m.min >= 10, `${protocol} at ${w} px: the smallest text is ${m.min.toFixed(1)} px`);
      assert.deepEqual(m.cut, [], `${protocol}: labels under a box`);
      assert.deepEqual(m.clash, [], `${protocol}: labels on labels`);
      assert.deepEqual(m.spill, [], `${protocol}: names wider than their box`);
      assert.ok(m.right <= m.view + 0.5, `${protocol}: inside the window (${m.right} > ${m.view})`);
    }
  });
}

/** Each request of the page, in order, as its path without the build's hash. */
function requests(page) {
  const seen = [];
  page.on('request', (r) => seen.push(new URL(r.url()).pathname.replace(/-[0-9a-f]{16}(?=[._])/, '').slice(1)));
  return seen;
}
const fullFetched = (page) => page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /mailsim-full-[0-9a-f]+_bg\.wasm$/.test(e.name)), null, { timeout: 15000 });

test('?scenario=URL: the engine starts with the page, the default scenario is not handed to it, the full page comes after the file\'s draw', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = requests(page);
  // The player's wasm held until the engine module is asked for (5 s at most): the boot
  // script asks for it beside the page's wasm when the first draw needs the engine.
  let engineFirst = false;
  await page.route(/mailsim-web-[0-9a-f]+_bg\.wasm$/, async (route) => {
    for (let i = 0; i < 50 && !seen.some((r) => r.startsWith('mailsim-engine')); i++) await new Promise((r) => setTimeout(r, 100));
    engineFirst = seen.some((r) => r.startsWith('mailsim-engine'));
    await route.continue();
  });
  await page.goto(`${s.server.url}?scenario=scenarios/two-hops.toml#/file/step/3`);
  await page.waitForFunction(() => /^step 3 of 56/.test(document.querySelector('#position')?.textContent ?? ''));
  await fullFetched(page);
  await page.waitForTimeout(500);
  assert.ok(engineFirst, `the engine module asked for before the page's wasm came: ${seen.join(' ')}`);
  assert.ok(seen.includes('scenarios/two-hops.toml'));
  assert.ok(!seen.includes('scenarios/alice-to-bob.toml'), `the default scenario's file is not fetched for the engine: ${seen.join(' ')}`);
  assert.ok(seen.indexOf('mailsim-full_bg.wasm') > seen.indexOf('scenarios/two-hops.toml'));
  assert.equal(seen.filter((r) => r === 'mailsim-full_bg.wasm').length, 1);
  // The file is drawn, and the learner can act on it (the engine has it).
  await page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false);
});

test('?scenario=URL of a missing file says so, and the scenario drawn meanwhile still gets its engine', async (t) => {
  const page = await s.open(t, '?scenario=scenarios/nope.toml#/scenario/dsn/step/2', { fresh: true, ignore: /404|Failed to load resource/ });
  await page.waitForFunction(() => /nope\.toml: HTTP 404/.test(document.body.textContent));
  assert.match(await page.textContent('#position'), /^step 2 of /);
  await page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false, null, { timeout: 15000 });
});

test('?log=URL: no engine module is fetched for an opened log, and the full page is prefetched after it', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = requests(page);
  await page.goto(`${s.server.url}?log=logs/two-hops.jsonl`);
  await page.waitForFunction(() => /of 56/.test(document.querySelector('#position')?.textContent ?? ''));
  await fullFetched(page);
  await page.waitForTimeout(1000);
  assert.ok(!seen.some((r) => r.startsWith('mailsim-engine')), `no engine module: ${seen.join(' ')}`);
  assert.ok(!seen.includes('scenarios/alice-to-bob.toml'), `${seen.join(' ')}`);
  // Stepping through the log works without it.
  await page.click('#next');
  await page.waitForFunction(() => /^step 1 of 56/.test(document.querySelector('#position').textContent));
});

test('a phone: the "Try it" tab shows its panel open, and the terminal says how to log in; the lecture\'s POP3 session logs in', async (t) => {
  const page = await s.open(t, '#/scenario/playground/step/0', { viewport: { width: 390, height: 844 }, context: { isMobile: true, hasTouch: true } });
  await page.click('#tab-learn');
  assert.ok(await page.locator('#tab-terminal').isVisible(), 'the terminal\'s tab without a second tap');
  await page.click('#tab-terminal');
  await page.selectOption('#t-client', 'bob-ua');
  await page.selectOption('#t-host', 'mail.bob.example');
  await page.selectOption('#t-port', '110');
  await page.click('#t-open');
  await page.waitForSelector('#t-line');
  assert.match(await page.textContent('#t-login-hint'), /bob, bob-pw/);
  await type(page, 'user bob', /\+OK/);
  await type(page, 'pass bob-pw', /\+OK/);
  await type(page, 'list', /\+OK/);
  await page.locator('#terminal').screenshot({ path: path.join(OUT, 'qa12-phone-terminal.png') });
  // SMTP on port 25 logs nobody in: no hint there.
  await page.selectOption('#t-port', '25');
  await page.click('#t-open');
  await page.waitForFunction(() => /telnet \S+ 25 /.test(document.querySelector('#terminal .session')?.textContent ?? ''));
  assert.equal(await page.locator('#t-login-hint').count(), 0);
});

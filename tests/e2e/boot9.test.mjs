// A returning learner's first draw without waiting for the engines (src/kept.rs): the log the
// engine made with the learner's actions is kept in local storage with what it depends on (the
// build, the scenario's version, the stored actions), and the next load draws it before the
// engine module is here. Anything changed, and the page waits for the engine, as before; a
// full local storage keeps nothing and loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';

const s = useBrowser({ csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'" });

const ID = 'alice-to-bob';
const KEY = `mailsim.kept.${ID}`;
const URL_13 = () => `${s.server.url}#/scenario/${ID}/step/13`;

/** Holds the engine module's requests (its JS and its wasm) until `release()`. */
async function holdEngine(page) {
  let release;
  const held = new Promise((r) => { release = r; });
  const seen = [];
  await page.route(/mailsim-engine[^/]*\.(js|wasm)$/, async (route) => {
    seen.push(new URL(route.request().url()).pathname);
    await held;
    await route.continue();
  });
  return { release, seen };
}

const engineHas = (page) => page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false);
// The arrows' labels, as far as the narrowest lane shows them (a cut label's length follows the
// layout, not the log).
const labels = (page) => page.$$eval('.arrow .label', (ls) => ls.map((l) => l.textContent.slice(0, 12)));
const syn = (page) => page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
const kept = (page) => page.evaluate((k) => localStorage.getItem(k), KEY);
/** Waits until the kept record's first line is `line` (or any, if null). */
const keptWritten = (page, line = null) => page.waitForFunction(([k, line]) => {
  const v = localStorage.getItem(k);
  return v !== null && (line === null ? v.startsWith('mailsim-kept/1 ') : v.slice(0, v.indexOf('\n')) === line);
}, [KEY, line]);

/** A fresh context in which the learner took Bob's server down at step 13; the engine's log is kept. */
async function learnerWithFault(t, opts = {}) {
  const page = await s.open(t, null, { fresh: true, ...opts });
  await page.goto(URL_13());
  await page.waitForSelector('#position');
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await syn(page);
  await keptWritten(page);
  return page;
}

/** Console warnings (the note the page writes when a kept log was wrong). */
const warnings = (page) => {
  const out = [];
  page.on('console', (m) => { if (m.type() === 'warning') out.push(m.text()); });
  return out;
};

test('the kept log is drawn before the engine module is fetched; the engine then agrees', async (t) => {
  const page = await learnerWithFault(t);
  const before = await labels(page);
  assert.ok(before.some((l) => l.startsWith('SYN')));
  const record = await kept(page);
  const [first, toml, actions] = record.split('\n');
  assert.match(first, /^mailsim-kept\/1 [0-9a-f]{16} [0-9a-f]{16}$/);
  assert.equal(JSON.parse(toml), await page.evaluate((id) => localStorage.getItem(`mailsim.actions.${id}`), ID), 'made with the stored actions');
  assert.deepEqual(JSON.parse(actions).map((a) => [a.kind, a.server, a.fault]), [['fault', 'bob-server', 'down']]);

  const notes = warnings(page);
  const data = [];
  page.on('request', (r) => { if (/\.(toml|jsonl)\b/.test(r.url())) data.push(new URL(r.url()).pathname.slice(1)); });
  const engine = await holdEngine(page);
  // The scenario's file (what the engine runs) is held back too.
  let releaseFile;
  const file = new Promise((r) => { releaseFile = r; });
  await page.route(/scenarios\/alice-to-bob\.toml/, async (route) => { await file; await route.continue(); });
  await page.reload();
  await page.waitForSelector('#position');
  // Drawn while the engine module and the file are held back: the learner's action is on the diagram.
  assert.match(await page.textContent('#position'), /^step 13 of /);
  assert.deepEqual(await labels(page), before, 'the same diagram as the engine drew');
  assert.match(await page.textContent('#learn .mine'), /You added 1 action/);
  assert.equal(await page.$eval('#save-scenario', (b) => b.disabled), true, 'the engine is not here yet');
  assert.ok(!data.some((u) => u.startsWith('logs/')), 'not the precomputed log (it lacks the action)');
  await page.screenshot({ path: path.join(OUT, 'boot9-kept.png') });
  // What the learner does meanwhile waits for the engine, then runs after the kept actions.
  await page.click('#tab-faults');
  await page.click('#f-grey-bob-server');
  await page.waitForSelector('#engine-status');
  engine.release();
  releaseFile();
  await engineHas(page);
  await page.waitForFunction(() => !document.querySelector('#engine-status'));
  assert.ok(engine.seen.some((u) => u.endsWith('_bg.wasm')), 'the engine came after the first draw');
  assert.deepEqual(data, [`scenarios/${ID}.toml`], 'its file with it');
  assert.match(await page.textContent('#learn .mine'), /You added 2 actions/);
  assert.deepEqual(notes.filter((n) => /differs/.test(n)), [], 'the engine\'s run is the kept log');
  assert.equal(await page.evaluate(() => localStorage.getItem('mailsim.replaying')), null, 'the replay marker is cleared');
  // The record follows the new actions.
  await page.waitForFunction((k) => JSON.parse(localStorage.getItem(k)?.split('\n')[2] || '[]').length === 2, KEY);
});

test('a kept log whose header does not match (build, scenario version, actions) is not drawn; the engine draws', async (t) => {
  const page = await learnerWithFault(t);
  const right = await labels(page);
  const record = await kept(page);
  const [first, toml, actions] = record.split('\n');
  const [format, version, build] = first.split(' ');
  const cases = [
    ['another build', `${format} ${version} ${'0'.repeat(16)}`],
    ['another version of the scenario', `${format} ${'1'.repeat(16)} ${build}`],
  ];
  for (const [what, line] of cases) {
    // The kept log itself made wrong too (the run without the action): drawn, it would show.
    const golden = await page.evaluate(async (id) => (await fetch(`logs/${id}.jsonl`)).text(), ID);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [KEY, `${line}\n${toml}\n${actions}\n${golden}`]);
    const engine = await holdEngine(page);
    await page.reload();
    await page.waitForSelector('p.loading');
    await page.waitForTimeout(300);
    assert.equal(await page.$('#position'), null, `${what}: the page waits for the engine`);
    engine.release();
    await page.waitForSelector('#position');
    assert.deepEqual(await labels(page), right, `${what}: the engine's run is drawn`);
    await keptWritten(page, first);
    await page.unroute(/mailsim-engine/);
  }
  // The stored actions changed (here: another tab put Bob's server under greylisting instead).
  const stored = await page.evaluate((id) => localStorage.getItem(`mailsim.actions.${id}`), ID);
  assert.equal(stored, JSON.parse(toml));
  await page.evaluate(([id, t]) => localStorage.setItem(`mailsim.actions.${id}`, t), [ID, stored.replace('"down"', '"greylist-on"')]);
  const engine = await holdEngine(page);
  await page.reload();
  await page.waitForSelector('p.loading');
  await page.waitForTimeout(300);
  assert.equal(await page.$('#position'), null, 'other actions: the page waits for the engine');
  engine.release();
  await page.waitForSelector('#position');
  const now = await labels(page);
  assert.notDeepEqual(now, right, 'the other action\'s run');
  assert.ok(now.some((l) => /^450 4\.2\.0/.test(l)), `greylisted: ${now.join(' | ')}`);
  await page.waitForFunction((k) => JSON.parse(localStorage.getItem(k)?.split('\n')[2] || '[]')[0]?.fault === 'greylist-on', KEY);
});

test('a build that is not the one that kept the log does not draw it (the boot script\'s build changed)', async (t) => {
  const page = await learnerWithFault(t);
  // The same local storage, a new deployment: its boot script names another build.
  await page.route(/boot-[0-9a-f]+\.js$/, async (route) => {
    const r = await route.fetch();
    const body = (await r.text()).replace(/"build":"[0-9a-f]+"/, '"build":"0123456789abcdef"');
    assert.match(body, /"build":"0123456789abcdef"/);
    await route.fulfill({ response: r, body });
  });
  const engine = await holdEngine(page);
  await page.reload();
  await page.waitForSelector('p.loading');
  // The page waits for the engine (asked for before the first draw).
  for (let i = 0; i < 100 && engine.seen.length === 0; i++) await page.waitForTimeout(50);
  assert.ok(engine.seen.length >= 1, 'the engine module was asked for before the first draw');
  assert.equal(await page.$('#position'), null);
  engine.release();
  await syn(page);
  await keptWritten(page, (await kept(page)).split('\n')[0].replace(/ [0-9a-f]{16}$/, ' 0123456789abcdef'));
});

test('a kept log the engine disagrees with is replaced, with a note in the console', async (t) => {
  const page = await learnerWithFault(t);
  const right = await labels(page);
  const record = await kept(page);
  const [first, toml, actions] = record.split('\n');
  // What should never happen: the header matches, the log is not the engine's (the run without the action).
  const golden = await page.evaluate(async (id) => (await fetch(`logs/${id}.jsonl`)).text(), ID);
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [KEY, `${first}\n${toml}\n${actions}\n${golden}`]);
  const notes = warnings(page);
  const engine = await holdEngine(page);
  await page.reload();
  await page.waitForSelector('#position');
  assert.ok(!(await labels(page)).some((l) => l.startsWith('SYN')), 'the (wrong) kept log is drawn first');
  engine.release();
  await syn(page);
  assert.deepEqual(await labels(page), right, 'the engine\'s run replaces it');
  assert.equal(notes.filter((n) => /differs from the engine's run/.test(n)).length, 1, `${notes}`);
  // Kept again as the engine made it: the next load draws the right log at once.
  await page.waitForFunction(([k, golden]) => {
    const v = localStorage.getItem(k) || '';
    return v.split('\n').slice(3).join('\n') !== golden;
  }, [KEY, golden]);
  await page.unroute(/mailsim-engine/);
  const held = await holdEngine(page);
  await page.reload();
  await page.waitForSelector('#position');
  assert.deepEqual(await labels(page), right);
  held.release();
  await engineHas(page);
  assert.equal(notes.filter((n) => /differs/.test(n)).length, 1, 'no second note');
});

/** Fills local storage until only about `room` characters are left (a filler key). */
async function fill(page, room) {
  await page.evaluate((room) => {
    localStorage.removeItem('filler');
    let lo = 0, hi = 64 * 1024 * 1024;
    while (hi - lo > 256) {
      const mid = Math.floor((lo + hi) / 2);
      try {
        localStorage.setItem('filler', 'x'.repeat(mid));
        lo = mid;
      } catch {
        hi = mid;
      }
    }
    localStorage.setItem('filler', 'x'.repeat(Math.max(0, lo - room)));
  }, room);
}

test('local storage too full for the log: nothing kept, the next load waits for the engine, all correct', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  await page.goto(URL_13());
  await page.waitForSelector('#position');
  await fill(page, 4000);
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await syn(page);
  const right = await labels(page);
  await page.waitForTimeout(800);
  assert.equal(await kept(page), null, 'the log did not fit');
  assert.match(await page.evaluate((id) => localStorage.getItem(`mailsim.actions.${id}`), ID), /fault = "down"/, 'the action is stored');
  const engine = await holdEngine(page);
  await page.reload();
  await page.waitForSelector('p.loading');
  engine.release();
  await page.waitForSelector('#position');
  assert.deepEqual(await labels(page), right);
});

test('kept logs make room for the learner\'s actions when local storage is full', async (t) => {
  const page = await learnerWithFault(t);
  assert.notEqual(await kept(page), null);
  await fill(page, 100);
  // A second action's TOML does not fit beside the kept log: the kept log goes, the action stays.
  await page.click('#f-grey-bob-server');
  await page.waitForFunction((id) => (localStorage.getItem(`mailsim.actions.${id}`) || '').includes('greylist-on'), ID);
  const stored = await page.evaluate((id) => localStorage.getItem(`mailsim.actions.${id}`), ID);
  assert.equal(stored.split('[[action]]').length - 1, 2, 'both actions stored');
  await page.waitForTimeout(800);
  const record = await kept(page);
  assert.ok(record === null || JSON.parse(record.split('\n')[2]).length === 2, 'no stale log is left');
  await page.reload();
  await page.waitForSelector('#position');
  await engineHas(page);
  assert.match(await page.textContent('#learn .mine'), /You added 2 actions/);
});

test('the activities and a returning learner without a kept log start the engine with the page', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const order = [];
  page.on('request', (r) => order.push(new URL(r.url()).pathname.slice(1)));
  await page.goto(`${s.server.url}#/activities`);
  await page.waitForSelector('#activity-list .card');
  const engineAt = order.findIndex((u) => /^mailsim-engine.*\.js$/.test(u));
  const firstFile = order.findIndex((u) => u.startsWith('activities/'));
  assert.ok(engineAt >= 0 && firstFile >= 0 && engineAt < firstFile, `the engine before the page asks for the files: ${order.join(' ')}`);
});

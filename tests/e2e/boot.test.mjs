// A browser that cannot start the page's WebAssembly (too old for WebAssembly SIMD, or the
// module did not arrive) gets a message on the page that says so, instead of a blank page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

// Under the strict policy the site is served with (the message is made without inline script or style).
const s = useBrowser({ csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'" });

test('a wasm module that cannot be compiled leaves a message, not a blank page', async () => {
  const page = await s.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // What an old browser sees: bytes it cannot compile (here: not WebAssembly at all).
  await page.route(/\.wasm$/, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: 'not wasm' }));
  try {
    await page.goto(s.server.url);
    const msg = await page.waitForSelector('#boot-error');
    const text = await msg.textContent();
    assert.match(text, /could not start in this browser/);
    assert.match(text, /Safari 16\.4/);
    assert.equal(await page.$('#position'), null, 'the player did not start');
    assert.equal(errors.length, 1, 'the failure is still reported to the console for whoever debugs it');
  } finally {
    await page.close();
  }
});

test('the same page starts normally when the module arrives', async (t) => {
  const page = await s.open(t, '');
  assert.equal(await page.$('#boot-error'), null);
});

// The built-in scenario and activity files are not in the wasm: the page draws a scenario from
// its precomputed log (logs/ID.jsonl, fetched while the wasm downloads), then hands its file to
// the engine; another when it is chosen; all the files for the activities.
const requests = (page, re) => {
  const seen = [];
  page.on('request', (r) => { if (re.test(r.url())) seen.push(new URL(r.url()).pathname.replace(/^\//, '')); });
  return seen;
};
const tomls = (page) => requests(page, /\.toml\b/);
const data = (page) => requests(page, /\.(toml|jsonl)\b/);
// The engine has the scenario on screen once the "Save as scenario" button is enabled.
const engineHas = (page) => page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false);

test('the page fetches only the scenario it opens, and the next one when it is chosen', async (t) => {
  const page = await s.open(t, null);
  const seen = data(page);
  await page.goto(s.server.url);
  await page.waitForSelector('#position');
  await engineHas(page);
  assert.deepEqual(seen, ['logs/alice-to-bob.jsonl', 'scenarios/alice-to-bob.toml'], 'the default scenario only: its log, then its file');
  // The picker lists and searches every scenario without fetching any.
  assert.equal(await page.locator('#scenario option:not(:disabled)').count(), 33);
  // The descriptions come in a file of their own when the search field is first used (size9):
  // the list is filtered again when they arrive.
  await page.fill('#search', 'greylist');
  await page.waitForFunction(() => document.querySelectorAll('#scenario option:not(:disabled)').length === 3);
  const found = await page.$$eval('#scenario option:not(:disabled)', (os) => os.map((o) => o.value));
  assert.ok(found.includes('greylisting') && found.length < 5, `${found}`);
  await page.fill('#search', 'trusts');
  await page.waitForFunction(() => document.querySelectorAll('#scenario option:not(:disabled)').length === 2);
  const inDescription = await page.$$eval('#scenario option:not(:disabled)', (os) => os.map((o) => o.value));
  assert.deepEqual(inDescription, ['alice-to-bob', 'two-hops'], 'found by their descriptions');
  await page.fill('#search', '');
  assert.equal(seen.length, 2);
  await page.selectOption('#scenario', 'two-hops');
  await page.waitForFunction(() => location.hash.startsWith('#/scenario/two-hops/'));
  assert.equal(await page.inputValue('#scenario'), 'two-hops');
  assert.match(await page.textContent('#position'), /^step 0 of /);
  await engineHas(page);
  assert.deepEqual(seen.slice(2), ['logs/two-hops.jsonl', 'scenarios/two-hops.toml']);
  // Back to a scenario already fetched: no request.
  await page.selectOption('#scenario', 'alice-to-bob');
  await page.waitForFunction(() => location.hash.startsWith('#/scenario/alice-to-bob/'));
  assert.equal(seen.length, 4);
});

test('a link to a step of any scenario opens it directly, and a link typed later fetches its file', async (t) => {
  const page = await s.open(t, null);
  const seen = requests(page, /\.jsonl\b/);
  await page.goto(`${s.server.url}?embed=1#/scenario/greylisting/step/24`);
  await page.waitForSelector('#position');
  assert.match(await page.textContent('#position'), /^step 24 of /);
  assert.deepEqual(seen, ['logs/greylisting.jsonl']);
  await page.evaluate(() => { location.hash = '#/scenario/dsn/step/2'; });
  await page.waitForFunction(() => document.querySelector('#position')?.textContent.startsWith('step 2 of '));
  assert.deepEqual(seen, ['logs/greylisting.jsonl', 'logs/dsn.jsonl']);
});

test('the activities fetch their files, and the player then opens any scenario at once', async (t) => {
  const page = await s.open(t, null);
  const seen = tomls(page);
  await page.goto(`${s.server.url}#/activities`);
  await page.waitForSelector('#activity-list .card');
  const files = (dir) => fs.readdirSync(path.join(DIST, dir)).filter((f) => f.endsWith('.toml')).length;
  assert.equal(await page.locator('#activity-list .card').count(), files('activities'));
  assert.equal(seen.filter((f) => f.startsWith('activities/')).length, files('activities'));
  assert.equal(seen.filter((f) => f.startsWith('scenarios/')).length, files('scenarios'), 'an activity may name any scenario');
  const before = seen.length;
  await page.evaluate(() => { location.hash = '#/scenario/class/step/1'; });
  await page.waitForFunction(() => document.querySelector('#position')?.textContent.startsWith('step 1 of '));
  assert.equal(seen.length, before, 'nothing more to fetch');
});

test('a scenario that cannot be fetched is reported on the page', async (t) => {
  const page = await s.open(t, '', { ignore: /404|Failed to load resource/ });
  await page.route(/logs\/pipelining\.jsonl/, (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.selectOption('#scenario', 'pipelining');
  const alert = await page.waitForSelector('#load-error');
  assert.match(await alert.textContent(), /could not load logs\/pipelining\.jsonl: the server answered HTTP 404/);
  assert.match(await page.textContent('#details h2'), /Alice/, 'the scenario on screen stays');
});

// The first draw needs no engine: the scenario's file (what the engine runs) is held back; the
// page draws from the precomputed log, and what the learner does meanwhile waits, then runs.
test('the first draw comes from the log; acting before the engine has the scenario waits, then acts', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = data(page);
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/scenarios\/alice-to-bob\.toml/, async (route) => { await held; await route.continue(); });
  await page.goto(`${s.server.url}#/scenario/alice-to-bob/step/13`);
  await page.waitForSelector('#position');
  assert.match(await page.textContent('#position'), /^step 13 of /, 'drawn without the engine');
  assert.equal(await page.$eval('#save-scenario', (b) => b.disabled), true, 'the engine does not have it yet');
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForSelector('#engine-status');
  assert.match(await page.textContent('#engine-status'), /Loading the simulator/);
  assert.equal(await page.locator('.arrow.tcp').count(), 0, 'nothing runs before the engine has the scenario');
  release();
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  assert.equal(await page.$('#engine-status'), null);
  assert.ok(await page.locator('.arrow.tcp').count() >= 1, 'the fault ran once the engine had the scenario');
  assert.deepEqual(seen, ['logs/alice-to-bob.jsonl', 'scenarios/alice-to-bob.toml']);
  // What the learner added is there on reload: from the log kept with it (src/kept.rs), or
  // run by the engine; either way the scenario's file, not its precomputed log, is fetched
  // (the log lacks the learner's action).
  await page.unroute(/scenarios\/alice-to-bob\.toml/);
  seen.length = 0;
  await page.reload();
  await page.waitForSelector('#position');
  assert.ok(await page.locator('.arrow.tcp').count() >= 1, 'still there after a reload');
  await engineHas(page);
  assert.deepEqual(seen, ['scenarios/alice-to-bob.toml']);
});

// The engines are a second wasm module (crates/engine-wasm), imported after the first draw:
// held back here, the page still draws, and what needs the engines waits for it (a fault the
// learner clicks, the message inspector, the activities), then runs once it has come.
const holdEngine = async (page) => {
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/mailsim-engine[^/]*_bg\.wasm/, async (route) => { await held; await route.continue(); });
  return release;
};

test('the engines come after the first draw, in a module of their own; the inspector waits for them', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const engine = requests(page, /mailsim-engine/);
  const page1 = requests(page, /mailsim-web/);
  const release = await holdEngine(page);
  await page.goto(`${s.server.url}#/scenario/attachment`);
  await page.waitForSelector('#position');
  assert.ok(page1.some((f) => f.endsWith('.wasm')), 'the page module');
  assert.match(await page.textContent('#position'), /^step 0 of /, 'drawn without the engines');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const box = page.locator('[data-mailbox="bob@bob.example"]');
  await box.locator('summary').first().click();
  assert.match(await box.locator('.inspector .loading').textContent(), /the mail engine is loading/);
  assert.ok((await box.locator('.inspector .raw').textContent()).includes('multipart/mixed'), 'its source meanwhile');
  release();
  const tree = await box.locator('.mime-tree').textContent();
  assert.ok(tree.includes('multipart/mixed') && tree.includes('hike.png'), tree);
  assert.equal(await box.locator('.inspector .loading').count(), 0);
  assert.equal(engine.filter((f) => f.endsWith('.js')).length, 1, `${engine}`);
  assert.equal(engine.filter((f) => f.endsWith('_bg.wasm')).length, 1, `${engine}`);
});

test('a fault clicked before the engines are here waits for them, then runs', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const release = await holdEngine(page);
  await page.goto(`${s.server.url}#/scenario/alice-to-bob/step/13`);
  await page.waitForSelector('#position');
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForSelector('#engine-status');
  assert.match(await page.textContent('#engine-status'), /Loading the simulator/);
  assert.equal(await page.locator('.arrow.tcp').count(), 0, 'nothing runs before the engines are here');
  release();
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  assert.equal(await page.$('#engine-status'), null);
});

test('the activities wait for the engines, then list and grade', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const release = await holdEngine(page);
  await page.goto(`${s.server.url}#/activities`);
  await page.waitForSelector('p.loading');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.locator('#activity-list .card').count(), 0, 'not before the engines are here');
  release();
  await page.waitForSelector('#activity-list .card');
  const files = fs.readdirSync(path.join(DIST, 'activities')).filter((f) => f.endsWith('.toml')).length;
  assert.equal(await page.locator('#activity-list .card').count(), files);
});

// The release build's panics abort at once (scripts/release-wasm.sh): no panic hook runs, a
// panic is a trap, as a stack overflow is in any build. The page still says it stopped and
// offers to reload (src/guard.rs), whether the trap comes in an event's handler or in an
// asynchronous task. The trap is made by asking the module's allocator for more than it can
// give (wasm-bindgen's `__wbindgen_malloc` aborts then).
for (const where of ['an event handler', 'an asynchronous task']) {
  test(`a trap in the page's wasm, in ${where}, shows the notice with a way to reload`, async () => {
    const page = await s.browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => addEventListener('TrunkApplicationStarted', (e) => { window.mailsimWasm = e.detail.wasm; }));
    try {
      await page.goto(s.server.url);
      await page.waitForSelector('#position');
      assert.equal(await page.$('#crashed'), null);
      await page.evaluate((async) => {
        const trap = () => window.mailsimWasm.__wbindgen_malloc(0xfffffff0, 8);
        if (async) Promise.resolve().then(trap);
        else setTimeout(trap, 0);
      }, where !== 'an event handler');
      const notice = await page.waitForSelector('#crashed[role=alert]');
      assert.match(await notice.textContent(), /Mailsim hit a bug and stopped\. Reload the page/);
      assert.equal(await page.locator('#crashed a.button').textContent(), 'Reload');
      if (where === 'an event handler') assert.equal(errors.length, 1, `the trap is reported to the console: ${errors}`);
    } finally {
      await page.close();
    }
  });
}

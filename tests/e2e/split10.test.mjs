// The page is built twice (branch split10): the player (`mailsim-web`, the playground only) is
// the first download at its addresses; the full page (`mailsim-full`, the activities and the
// live view too) is loaded instead on theirs, and the player hands over to it when it is
// navigated there (src/page.rs, scripts/externalize-init.mjs). These tests read the network
// log: which build each address loads, that the player's first draw fetches nothing of the
// full page, and that moving between the two inside one page load keeps what the learner did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser.mjs';

const s = useBrowser({ csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'" });

/** Each request for a build's code, in order: `web`, `full` or `engine`, and `js` or `wasm`. */
function code(page) {
  const seen = [];
  page.on('request', (r) => {
    const m = /\/mailsim-(web|full|engine)-[0-9a-f]+(_bg\.wasm|\.js)$/.exec(new URL(r.url()).pathname);
    if (m) seen.push(`${m[1]}.${m[2] === '.js' ? 'js' : 'wasm'}`);
  });
  return seen;
}
const position = (page) => page.textContent('#position');
const engineHas = (page) => page.waitForFunction(() => document.querySelector('#save-scenario')?.disabled === false);

test('the player\'s first draw fetches no code of the activities or the live view; the full page comes after the engine, when idle', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = code(page);
  let release;
  const held = new Promise((r) => { release = r; });
  // The engine module held back: nothing of the full page may come before it.
  await page.route(/mailsim-engine-[0-9a-f]+_bg\.wasm$/, async (route) => { await held; await route.continue(); });
  await page.goto(`${s.server.url}#/scenario/alice-to-bob/step/5`);
  await page.waitForSelector('#position');
  assert.match(await position(page), /^step 5 of /);
  await page.waitForTimeout(500);
  assert.deepEqual(seen.filter((f) => !f.startsWith('engine')).sort(), ['web.js', 'web.wasm'], 'the player only');
  assert.equal(await page.$('#to-activities') !== null, true, 'the header links to the activities');
  release();
  await engineHas(page);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /mailsim-full-[0-9a-f]+_bg\.wasm$/.test(e.name)), null, { timeout: 15000 });
  const fullAt = seen.indexOf('full.wasm');
  assert.ok(fullAt > seen.indexOf('engine.wasm'), `the full page after the engine module: ${seen}`);
  assert.equal(seen.filter((f) => f === 'web.wasm').length, 1);
});

for (const [address, ready] of [
  ['#/activities', '#activity-list .card'],
  ['#/activity/smtp-phases/item/2', '#item'],
  ['?activity=smtp-phases', '#intro'],
  ['?present=1#/activity/smtp-phases/item/1', '#item'],
  ['?embed=1#/activity/smtp-phases/item/1', '#item'],
  ['#/live', '#live-status, #live-login, form'],
]) {
  test(`${address} opened directly loads the full page and not the player`, async (t) => {
    const page = await s.open(t, null, { fresh: true, ignore: /Failed to load resource|EventSource|events/ });
    const seen = code(page);
    await page.goto(`${s.server.url}${address}`);
    await page.waitForSelector(ready, { timeout: 20000 });
    assert.ok(seen.includes('full.wasm') && seen.includes('full.js'), `${seen}`);
    assert.ok(!seen.includes('web.wasm') && !seen.includes('web.js'), `the player's code is not fetched: ${seen}`);
  });
}

test('from the player to the activities and back (header link, Back, Forward, a typed URL): one page load, the learner\'s action and step kept', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = code(page);
  let loads = 0;
  page.on('load', () => { loads += 1; });
  await page.goto(`${s.server.url}#/scenario/alice-to-bob/step/13`);
  await page.waitForSelector('#position');
  await engineHas(page);
  // The learner takes Bob's server down at step 13.
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  const arrows = await page.locator('.arrow').count();
  const at = await position(page);
  // The step on screen is what Back returns to (the link writes it into the URL first).
  const hash = `#/scenario/alice-to-bob/step/${at.split(' ')[1]}`;
  // The header's link: the player hands over to the full page.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /mailsim-full-[0-9a-f]+_bg\.wasm$/.test(e.name)), null, { timeout: 15000 });
  const clicked = Date.now();
  await page.click('#to-activities');
  await page.waitForSelector('#activity-list .card', { timeout: 20000 });
  t.diagnostic(`the header's link to the activities' list on screen: ${Date.now() - clicked} ms (full page prefetched)`);
  assert.equal(await page.evaluate(() => location.hash), '#/activities');
  assert.ok(seen.includes('full.wasm'), `${seen}`);
  const cost = await page.evaluate(() => performance.getEntriesByName('mailsim-handover', 'measure')[0]?.duration);
  assert.ok(cost > 0, 'the hand-over was measured');
  t.diagnostic(`hand-over: ${cost.toFixed(1)} ms from the player's call to the full page started`);
  assert.equal(await page.locator('#position').count(), 0, 'the player is gone');
  // Back: the full page's player, at the same step with the learner's action.
  await page.goBack();
  await page.waitForSelector('#position');
  await page.waitForFunction((h) => location.hash === h, hash);
  await page.waitForFunction((a) => document.querySelector('#position')?.textContent === a, at);
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  assert.equal(await page.locator('.arrow').count(), arrows, 'the same diagram');
  assert.equal(await page.locator('#app, .app').count() >= 1, true);
  // Forward, then a typed URL of an activity's item, then the live view: all in the full page.
  await page.goForward();
  await page.waitForSelector('#activity-list .card');
  await page.evaluate(() => { location.hash = '#/activity/smtp-phases/item/2'; });
  await page.waitForSelector('#item');
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((a) => document.querySelector('#position')?.textContent === a, at);
  assert.equal(await page.locator('.arrow').count(), arrows, 'the learner\'s action is still there');
  assert.equal(loads, 1, 'one page load');
  assert.equal(seen.filter((f) => f === 'full.wasm').length, 1, 'the full page fetched once');
  assert.equal(seen.filter((f) => f === 'web.wasm').length, 1, 'the player fetched once');
  assert.equal(await page.locator('#position').count(), 1, 'one player on the page');
});

test('from the player to the live view by a typed URL, and back to the playground', async (t) => {
  const page = await s.open(t, '#/scenario/dsn/step/3', { fresh: true, ignore: /Failed to load resource|EventSource|events/ });
  await page.evaluate(() => { location.hash = '#/live'; });
  await page.waitForSelector('#live-status, #live-login, form', { timeout: 20000 });
  assert.equal(await page.locator('#position').count(), 0);
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('#position')?.textContent.startsWith('step 3 of '));
  assert.equal(await page.evaluate(() => location.hash), '#/scenario/dsn/step/3');
});

test('a hand-over before the full page was prefetched fetches it then', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const seen = code(page);
  // The engine module held back: the player does not prefetch the full page before it.
  await page.route(/mailsim-engine-[0-9a-f]+_bg\.wasm$/, () => {});
  await page.goto(`${s.server.url}#/scenario/two-hops/step/4`);
  await page.waitForSelector('#position');
  assert.ok(!seen.includes('full.wasm'));
  await page.unroute(/mailsim-engine-[0-9a-f]+_bg\.wasm$/);
  const clicked = Date.now();
  await page.click('#to-activities');
  await page.waitForSelector('#activity-list .card', { timeout: 20000 });
  const cost = await page.evaluate(() => performance.getEntriesByName('mailsim-handover', 'measure')[0]?.duration);
  t.diagnostic(`cold hand-over: ${cost.toFixed(1)} ms to the full page started, ${Date.now() - clicked} ms to the list on screen`);
  assert.equal(seen.filter((f) => f === 'full.wasm').length, 1);
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('#position')?.textContent.startsWith('step 4 of '));
  assert.equal(await page.evaluate(() => location.hash), '#/scenario/two-hops/step/4');
});

test('a returning learner whose first draw waits for the engine (no kept log) gets the full page prefetched after it too', async (t) => {
  const page = await s.open(t, '#/scenario/alice-to-bob/step/13', { fresh: true });
  await engineHas(page);
  await page.click('#learn summary');
  await page.click('#tab-faults');
  await page.click('#f-down-bob-server');
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  // Without the kept log, the next load runs the learner's actions in the engine before it draws.
  await page.evaluate(() => { for (let i = localStorage.length; i-- > 0;) if (localStorage.key(i).startsWith('mailsim.kept.')) localStorage.removeItem(localStorage.key(i)); });
  await page.waitForTimeout(300);
  await page.evaluate(() => { for (let i = localStorage.length; i-- > 0;) if (localStorage.key(i).startsWith('mailsim.kept.')) localStorage.removeItem(localStorage.key(i)); });
  const seen = code(page);
  await page.reload();
  await page.waitForSelector('#position');
  await page.waitForFunction(() => [...document.querySelectorAll('.arrow .label')].some((l) => l.textContent.startsWith('SYN')));
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /mailsim-full-[0-9a-f]+_bg\.wasm$/.test(e.name)), null, { timeout: 15000 });
  assert.ok(seen.indexOf('engine.wasm') >= 0 && seen.indexOf('engine.wasm') < seen.indexOf('full.wasm'), `${seen}`);
});

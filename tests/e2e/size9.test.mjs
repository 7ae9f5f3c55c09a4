// Branch size9: the scenarios' descriptions (16 KB of text) are not in the page's wasm.
// - The details panel draws a built-in scenario's description from the header of its
//   precomputed log (scripts/copy-logs.mjs writes it there), so it is there with the first
//   draw, without the engine module and without another request.
// - The picker's search also finds a scenario by its description: all of them come in one
//   file (scenarios/descriptions.tsv), fetched when the learner first goes to the search
//   field; what was typed before it arrives is searched again when it does (no hit lost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

const s = useBrowser();

/** scenarios/descriptions.tsv as built: id → description. */
const DESCRIPTIONS = new Map(fs.readFileSync(path.join(DIST, 'scenarios/descriptions.tsv'), 'utf8')
  .split('\n').filter((l) => l.includes('\t')).map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));

/** What else the search looks in: each scenario's id, title, summary and topic (its file's own lines). */
const OTHER_TEXT = [...DESCRIPTIONS.keys()].map((id) => {
  const toml = fs.readFileSync(path.join(DIST, 'scenarios', `${id}.toml`), 'utf8');
  const fields = [...toml.matchAll(/^(title|summary|topic) = "(.*)"$/gm)].map((m) => m[2]);
  return [id, ...fields].join('\n').toLowerCase();
}).join('\n');

/** Words of at least 7 letters that only one scenario's description has (and no title,
 * summary, topic or id): [word, id], sorted. */
const ONLY_IN_DESCRIPTIONS = [...new Set([...DESCRIPTIONS.values()].join(' ').toLowerCase().match(/[a-z]{7,}/g))]
  .sort()
  .map((w) => [w, [...DESCRIPTIONS].filter(([, d]) => d.toLowerCase().includes(w)).map(([id]) => id)])
  .filter(([w, ids]) => ids.length === 1 && !OTHER_TEXT.includes(w))
  .map(([w, ids]) => [w, ids[0]]);

const requests = (page, re) => {
  const seen = [];
  page.on('request', (r) => { if (re.test(r.url())) seen.push(new URL(r.url()).pathname.replace(/^\//, '')); });
  return seen;
};
const options = (page) => page.$$eval('#scenario option:not(:disabled)', (os) => os.map((o) => o.value));

test('the built files: every scenario has a description, every precomputed log carries its own', () => {
  assert.equal(DESCRIPTIONS.size, 33);
  for (const [id, d] of DESCRIPTIONS) assert.ok(d.length > 100, `${id}: ${d}`);
  const logs = fs.readdirSync(path.join(DIST, 'logs')).filter((f) => f.endsWith('.jsonl'));
  assert.equal(logs.length, 32, 'every scenario but the class of 200');
  for (const f of logs) {
    const text = fs.readFileSync(path.join(DIST, 'logs', f), 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n')));
    const id = f.slice(0, -'.jsonl'.length);
    assert.equal(header.scenario, id);
    assert.equal(header.description, DESCRIPTIONS.get(id), f);
  }
  assert.ok(ONLY_IN_DESCRIPTIONS.length >= 10, `${ONLY_IN_DESCRIPTIONS}`);
  // The page fetches each log at the version crates/sim/build.rs computed for the copy (with
  // its description), as the boot script does: one URL, one cache entry.
  const version = (bytes) => {
    let h = 0xcbf29ce484222325n;
    for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
    return h.toString(16).padStart(16, '0');
  };
  const wasm = fs.readFileSync(path.join(DIST, fs.readdirSync(DIST).find((f) => /^mailsim-web.*\.wasm$/.test(f)))).toString('latin1');
  for (const f of logs) assert.ok(wasm.includes(version(fs.readFileSync(path.join(DIST, 'logs', f)))), `${f}: its version in the page's index`);
});

test('the details panel shows the description with the first draw, without the engine or the search file', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const searchFile = requests(page, /descriptions\.tsv/);
  // Neither the engine module (held back until the end) nor the file of every description
  // (not fetched) is needed for it.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/mailsim-engine[^/]*_bg\.wasm/, async (route) => { await held; await route.continue(); });
  await page.goto(s.server.url);
  await page.waitForSelector('#position');
  // In the same frame as the player's controls.
  assert.equal(await page.textContent('#details .description'), DESCRIPTIONS.get('alice-to-bob'));
  assert.equal(await page.textContent('#details h2'), 'Alice sends Bob an e-mail');
  for (const id of ['dsn', 'imap-session', 'webmail']) {
    await page.evaluate((i) => { location.hash = `#/scenario/${i}/step/0`; }, id);
    await page.waitForFunction((i) => document.querySelector('#scenario')?.value === i, id);
    await page.waitForFunction((d) => document.querySelector('#details .description')?.textContent === d, DESCRIPTIONS.get(id));
  }
  assert.deepEqual(searchFile, [], 'nothing fetched for the search while it is not used');
  assert.equal(await page.$('#save-scenario:enabled'), null, 'the engine module has not come');
  release();
});

test('the search finds a scenario by a word only its description has, also when typed before the descriptions arrive', async (t) => {
  const page = await s.open(t, null, { fresh: true });
  const searchFile = requests(page, /descriptions\.tsv/);
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/descriptions\.tsv/, async (route) => { await held; await route.continue(); });
  await page.goto(s.server.url);
  await page.waitForSelector('#position');
  assert.deepEqual(searchFile, []);
  const [[word, id], [word2, id2]] = [ONLY_IN_DESCRIPTIONS[0], ONLY_IN_DESCRIPTIONS.at(-1)];
  await page.fill('#search', word);
  await page.waitForFunction(() => document.querySelectorAll('#scenario option:not(:disabled)').length === 0);
  assert.deepEqual(searchFile, ['scenarios/descriptions.tsv'], 'fetched when the learner went to the search field');
  release();
  await page.waitForFunction((i) => [...document.querySelectorAll('#scenario option:not(:disabled)')].map((o) => o.value).join() === i, id);
  // Here now: another word finds its scenario at once, without another request.
  await page.fill('#search', word2);
  assert.deepEqual(await options(page), [id2], word2);
  await page.fill('#search', '');
  assert.equal((await options(page)).length, 33);
  assert.deepEqual(searchFile, ['scenarios/descriptions.tsv']);
  // The panel's description is the same text.
  await page.selectOption('#scenario', id2);
  await page.waitForFunction((d) => document.querySelector('#details .description')?.textContent === d, DESCRIPTIONS.get(id2));
});

test('the built style sheet (scripts/minify.mjs) parses to the same rules as www/style.css', async (t) => {
  const page = await s.open(t, '');
  const built = fs.readdirSync(DIST).filter((f) => f.endsWith('.css'));
  assert.equal(built.length, 1, `${built}`);
  const source = fs.readFileSync(new URL('../../www/style.css', import.meta.url), 'utf8');
  const minified = fs.readFileSync(path.join(DIST, built[0]), 'utf8');
  assert.ok(minified.length < source.length * 0.9, `${minified.length} of ${source.length} bytes`);
  assert.ok(!minified.includes('/*'), 'no comments');
  const rules = (text) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    return [...sheet.cssRules].map((r) => r.cssText);
  };
  const [a, b] = [await page.evaluate(rules, source), await page.evaluate(rules, minified)];
  assert.ok(a.length > 200, `${a.length} rules`);
  assert.deepEqual(b, a);
  // And the page uses it (its integrity hash was written again).
  assert.equal(await page.evaluate(() => document.styleSheets.length), 1);
  assert.ok(await page.evaluate(() => document.styleSheets[0].cssRules.length) === a.length);
});

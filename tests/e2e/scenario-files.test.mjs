// End-to-end: scenario files in the page. Opening one (Open… or ?scenario=URL), a malformed
// one's located error, and a playground session saved as a file that replays the same thing.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

// Served from the built site for ?scenario=URL (same origin); removed afterwards.
const FIXTURE = 'e2e-carol.toml';

// A scenario an instructor might write: Carol on Bob's server, greylisting, her own password.
const CAROL = `[scenario]
id = "carol"
title = "Carol joins Bob's provider"
topic = "Custom"
summary = "A cast of six, greylisting, POP3"

[cast]
actors = ["alice-ua", "alice-server", "dns", "bob-server", "carol-ua", "bob-ua"]

[actor.carol-ua]
kind = "user-agent"
name = "Carol's tablet"
host = "tablet.bob.example"
ip = "198.51.100.12"
person = "Carol"
address = "carol@bob.example"
password = "carol-secret"
server = "bob-server"

[actor.bob-server]
accounts = ["bob@bob.example", { address = "carol@bob.example", password = "carol-secret" }]
policy = { greylist = "1 min" }

[[action]]
kind = "send"
at = 0
sender = "alice-ua"
to = "Carol <carol@bob.example>"
subject = "Welcome"
body = """
Hi Carol,

welcome!
"""
say = "Alice welcomes Carol."

[[action]]
kind = "check-mail"
at = "10 min"
actor = "carol-ua"
say = "Carol reads her mail."
`;

// Line 6: a typo in a kind.
const BAD = '[scenario]\nid = "bad"\ntitle = "Bad"\n\n[[action]]\nkind = "faul"\nat = 0\n';

before(() => fs.writeFileSync(path.join(DIST, FIXTURE), CAROL));
after(() => fs.rmSync(path.join(DIST, FIXTURE), { force: true }));
const pw = useBrowser();
const open = (t, query = '') => pw.open(t, query, { context: { acceptDownloads: true } });

const labels = (page) => page.$$eval('.arrow .label', (ls) => ls.map((l) => l.textContent));
const actors = (page) => page.locator('.actor-name').allTextContents();

test('Open… plays a scenario file: its cast, its story, its diagram', async (t) => {
  const page = await open(t);
  await page.setInputFiles('#import', { name: 'carol.toml', mimeType: 'application/toml', buffer: Buffer.from(CAROL) });
  await page.waitForFunction(() => location.hash === '#/file/step/0');
  // A lane for each actor that takes part: Bob's UA, in the cast, sends and receives nothing.
  assert.deepEqual(await actors(page), ["Alice's UA", "Alice's server", 'DNS', "Bob's server", "Carol's tablet"]);
  assert.match(await page.textContent('#details'), /Carol joins Bob's provider/);
  assert.equal(await page.textContent('.tagline'), 'A cast of six, greylisting, POP3');
  assert.equal(await page.$eval('#scenario', (s) => s.selectedOptions[0].textContent), "Carol joins Bob's provider (opened file)");
  const all = await labels(page);
  assert.ok(all.length > 30, `a whole story: ${all.length} messages`);
  assert.equal(all[0].split(' ')[0], '220', 'the submission starts with the greeting');
  assert.ok(all.some((l) => l.startsWith('450 4.2.0')), 'greylisted');
  assert.ok(all.some((l) => l.startsWith('USER carol')), 'Carol logs in with POP3');
  await page.keyboard.press('End');
  await page.screenshot({ path: path.join(OUT, 'scenario-file.png') });
  assert.equal(await page.locator('#load-error').count(), 0);
});

test('a malformed file is refused with its line, column and what was expected', async (t) => {
  const page = await open(t);
  const before = await labels(page);
  await page.setInputFiles('#import', { name: 'bad.toml', mimeType: 'application/toml', buffer: Buffer.from(BAD) });
  await page.waitForSelector('#load-error');
  assert.equal(await page.textContent('#load-error pre'),
    'bad.toml:6:8: unknown action kind "faul"; expected one of compose, send, terminal, imap, check-mail, browse, fault, narrate');
  assert.deepEqual(await labels(page), before, 'the scenario on screen stays');
  await page.screenshot({ path: path.join(OUT, 'scenario-error.png') });
  await page.click('#load-error button');
  assert.equal(await page.locator('#load-error').count(), 0, 'dismissed');
});

test('?scenario=URL opens a file from the same site, at the step in the fragment', async (t) => {
  const page = await open(t, `?scenario=${FIXTURE}#/file/step/3`);
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 3 of'));
  assert.equal(await page.textContent('.tagline'), 'A cast of six, greylisting, POP3');
  assert.equal(await page.evaluate(() => location.hash), '#/file/step/3');
  assert.equal((await actors(page)).length, 5, 'the five who take part');
  const other = await open(t, `?scenario=${encodeURIComponent('http://example.com/x.toml')}`);
  await other.waitForSelector('#load-error');
  assert.match(await other.textContent('#load-error pre'), /only scenario files from this site can be opened/);
});

test('a playground session saved as a scenario replays the same thing', async (t) => {
  const page = await open(t, `#/scenario/playground`);
  // Compose a message (the form's defaults: Alice to Bob), and take a fault on the way.
  await page.click('#tab-compose');
  await page.fill('#c-subject', 'Saved "as" a file');
  await page.fill('#c-body', 'Hi Bob,\n\nthis was saved\\and opened again.\n');
  await page.click('#c-send');
  await page.waitForFunction(() => document.querySelectorAll('.arrow').length > 20);
  const played = await labels(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-scenario')]);
  assert.equal(download.suggestedFilename(), 'playground.toml');
  const text = fs.readFileSync(await download.path(), 'utf8');
  assert.match(text, /^\[scenario\]\nid = "playground"/);
  assert.match(text, /\[\[action\]\]\nkind = "compose"\nat = \d+\nsender = "alice"/);
  fs.writeFileSync(path.join(OUT, 'playground-saved.toml'), text);
  // Opened again (in a fresh page, with nothing stored), it replays the same messages.
  const again = await open(t);
  await again.setInputFiles('#import', { name: 'playground.toml', mimeType: 'application/toml', buffer: Buffer.from(text) });
  await again.waitForFunction(() => location.hash === '#/file/step/0');
  assert.deepEqual(await labels(again), played);
});

test('the composer refuses a recipient that is no address', async (t) => {
  const page = await open(t, `#/scenario/playground`);
  await page.click('#tab-compose');
  const before = await labels(page);
  await page.fill('#c-to', 'bob at bob.example');
  await page.click('#c-send');
  await page.waitForSelector('#c-error');
  assert.match(await page.textContent('#c-error'), /"bob at bob.example" is not an address/);
  assert.deepEqual(await labels(page), before, 'nothing was sent');
});

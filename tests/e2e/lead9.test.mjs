// A step number typed into the URL of an opened log or scenario file moves the player (it did
// nothing before: only `#/scenario/ID/step/N` was followed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser } from './browser.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const b = useBrowser();

test('an opened log follows a step typed into its URL, and back/forward', async (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lead9-')), 'typed.jsonl');
  fs.writeFileSync(file, makeLog(300));
  const page = await b.open(t, '#/scenario/alice-to-bob', { fresh: true });
  await page.setInputFiles('#import', file);
  await page.waitForFunction(() => location.hash === '#/imported/step/0');
  const position = () => page.textContent('#position');
  assert.match(await position(), /^step 0 of 300/);
  await page.evaluate(() => { location.hash = '#/imported/step/150'; });
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 150 of 300'));
  await page.evaluate(() => { location.hash = '#/imported/step/99999'; });
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 300 of 300'));
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 150 of 300'));
  // Another kind of fragment does not move an opened log.
  await page.evaluate(() => { location.hash = '#/file/step/3'; });
  await page.waitForTimeout(300);
  assert.match(await position(), /^step 150 of 300/);
});

test('a search that hides the scenario on screen leaves the menu showing that scenario', async (t) => {
  const page = await b.open(t, '#/scenario/pop3-session/step/3', { fresh: true });
  const shown = () => page.$eval('#scenario', (s) => s.options[s.selectedIndex]?.textContent ?? '');
  const title = await shown();
  assert.ok(title.length > 0, 'a scenario is shown');
  await page.fill('#search', 'greylist');
  await page.waitForFunction(() => [...document.querySelectorAll('#scenario option')].some((o) => o.value === 'greylisting'));
  assert.equal(await shown(), `${title} (on screen)`, 'the menu still names the open scenario');
  assert.equal(await page.$eval('#scenario', (s) => s.options[s.selectedIndex].disabled), true);
  assert.match(await page.textContent('#position'), /^step 3 of/);
  // Choosing a scenario the search found opens it; then the marker is gone.
  await page.selectOption('#scenario', 'greylisting');
  await page.waitForFunction(() => location.hash.startsWith('#/scenario/greylisting'));
  assert.ok(!(await shown()).endsWith('(on screen)'));
  // With the search cleared, the open scenario is an ordinary option again.
  await page.fill('#search', '');
  await page.waitForFunction(() => document.querySelector('#scenario').selectedOptions[0]?.value === 'greylisting');
});

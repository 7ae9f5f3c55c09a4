// The details panel's "Protocol state" table at the 1,024×600 embed (session 18): a state is not
// cut inside a word ("AUTHORIZATION" showed as "AUTHORIZATI / ON"), and a long name (a student's
// address in a serve log) wraps inside the panel instead of widening the table past it.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const { open } = useBrowser();
const EMBED = { width: 1024, height: 600 };
const LONG = 'averyveryverylongstudentname.with.dots@students.some-university.example.edu';
let file;
before(() => {
  file = path.join(os.tmpdir(), `mailsim-states18-${process.pid}.jsonl`);
  fs.writeFileSync(file, makeLog(40).replaceAll('"name":"client :4000', `"name":"${LONG} :4000`));
});
after(() => fs.rmSync(file, { force: true }));

/** The states table: its width against its box's, and each cell's text with its line count. */
const table = (page) => page.$eval('#states', (t) => {
  const lines = (el) => {
    // Lines of text: the distinct tops of the cell's text's client rects.
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
  };
  return {
    width: t.getBoundingClientRect().width,
    box: t.parentElement.clientWidth,
    cells: [...t.querySelectorAll('td')].map((td) => ({ text: td.textContent, lines: lines(td), words: td.textContent.trim().split(/\s+/).length })),
  };
});

test('a state is not cut inside a word at 1,024×600', async (t) => {
  const page = await open(t, '#/scenario/pop3-session/step/2', { viewport: EMBED });
  await page.waitForSelector('#states');
  const s = await table(page);
  const auth = s.cells.find((c) => c.text === 'AUTHORIZATION');
  assert.ok(auth, `a cell says AUTHORIZATION: ${JSON.stringify(s.cells)}`);
  assert.equal(auth.lines, 1, 'AUTHORIZATION on one line');
  assert.ok(s.width <= s.box + 1, `the table (${s.width}px) fits its box (${s.box}px)`);
});

test('a long name wraps inside the panel', async (t) => {
  const page = await open(t, '', { viewport: EMBED });
  await page.setInputFiles('#import', file);
  // The imported log's own count (40 messages), not the default scenario's "step 0 of 43",
  // which matched before the import was read: the presses then stepped the old scenario (a
  // fresh clone's run under load).
  await page.waitForFunction(() => document.querySelector('#position').textContent === 'step 0 of 40');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#states');
  assert.match(await page.textContent('#states'), new RegExp(LONG.replaceAll('.', '\\.')));
  const s = await table(page);
  assert.ok(s.width <= s.box + 1, `the table (${s.width}px) fits its box (${s.box}px)`);
  for (const c of s.cells) assert.ok(c.lines <= c.words, `"${c.text}": ${c.lines} lines for ${c.words} words`);
  await (await page.$('#states')).screenshot({ path: path.join(OUT, 'states18-long.png') });
});

// qa15 (issue 15, "every screen"): the header of a wide screen is one row.
// The scenario picker's select had `max-width: min(22rem, 100%)`. When a flex container decides
// where to wrap, it measures each item's max-content size, and a max-width with a percentage
// does not count there: the picker measured as wide as its longest option (733 px at 1,440)
// and pushed "Open…" onto a second header row on every desktop (and a third row at 150 % text).
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { problems, withTextSize } from './fit.mjs';

const s = useBrowser();

/** The header's rows: its visible children grouped by their vertical centre. */
const headerRows = () => {
  const kids = [...document.querySelector('.top').children].filter((e) => e.getClientRects().length && getComputedStyle(e).display !== 'none');
  const rows = [];
  for (const e of kids) {
    const r = e.getBoundingClientRect();
    const mid = (r.top + r.bottom) / 2;
    const row = rows.find((x) => Math.abs(x.mid - mid) < r.height / 2);
    if (row) row.items.push(e.className || e.tagName); else rows.push({ mid, items: [e.className || e.tagName] });
  }
  const p = document.querySelector('.picker').getBoundingClientRect();
  const sel = document.querySelector('#scenario').getBoundingClientRect();
  return { rows: rows.map((x) => x.items), picker: p.width, select: sel.width, pickerRight: p.right, selectRight: sel.right };
};

test('1,440×900: the header is one row, the picker no wider than what it shows', async (t) => {
  const page = await s.open(t, '#/scenario/alice-to-bob/step/12');
  const h = await page.evaluate(headerRows);
  t.diagnostic(JSON.stringify(h));
  assert.equal(h.rows.length, 1, `one header row: ${JSON.stringify(h.rows)}`);
  assert.ok(h.rows[0].some((c) => /import/.test(c)), '"Open…" is on it');
  assert.ok(h.pickerRight - h.selectRight < 2, 'the picker ends where its select ends (no empty space measured from the longest option)');
  await page.screenshot({ path: path.join(OUT, 'qa15-desktop.png') });
});

test('1,440×900 at 150 % text: the header is two rows, nothing sticks out', async () => {
  const h = await withTextSize(24, { width: 1440, height: 900 }, s.server.url + '#/scenario/alice-to-bob/step/12', async (page) => {
    await page.screenshot({ path: path.join(OUT, 'qa15-desktop-24.png') });
    return { ...await page.evaluate(headerRows), out: await page.evaluate(problems) };
  });
  assert.ok(h.rows.length <= 2, `at most two rows: ${JSON.stringify(h.rows)}`);
  assert.deepEqual(h.out, []);
});

test('a long option still fits a narrow window: the select gives way', async (t) => {
  for (const width of [768, 390]) {
    const page = await s.open(t, '#/scenario/class/step/1', { viewport: { width, height: 844 } });
    const h = await page.evaluate(headerRows);
    assert.ok(h.select <= h.picker + 1, `${width}: the select inside its picker (${h.select} ≤ ${h.picker})`);
    assert.deepEqual(await page.evaluate(problems), [], `${width}: nothing sticks out`);
  }
});

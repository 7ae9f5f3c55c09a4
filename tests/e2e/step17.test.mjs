// Branch step17 (issue 15): each chunk of the diagram's rows is an SVG of its own (an SVG root
// is a paint layer of its own in Chromium), so that a step, which changes the class of two
// rows, makes Chromium repaint the one or two chunks that hold them, not every row drawn
// (src/diagram.rs, src/diagram/rows.rs). What must hold: the rows stand where the one SVG drew
// them (a row's place is its index times the row's height, at any zoom), the lifelines run on
// without a gap from chunk to chunk, the arrow heads are drawn (markers defined once in the header, used by
// every chunk), a step changes two arrows' class and nothing else, the DOM stays small.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser } from './browser.mjs';
import { makeLog } from '../../bench/gen-log.mjs';

const { open } = useBrowser();
let file;
before(() => {
  file = path.join(os.tmpdir(), `mailsim-step17-${process.pid}.jsonl`);
  fs.writeFileSync(file, makeLog(10000));
});
after(() => fs.rmSync(file, { force: true }));

async function importLog(page, total) {
  await page.setInputFiles('#import', file);
  await page.waitForFunction((n) => document.querySelector('#position').textContent === `step 0 of ${n}`, total, { timeout: 30_000 });
}

/**
 * The drawn chunks as the page shows them: per chunk SVG, whether it is an SVG root (not
 * inside another SVG), its top and bottom, its rows (step, top, bottom of the row's
 * background); the lifelines' boxes by x; the body's top and the scale (px per diagram unit).
 */
const chunks = (page) => page.evaluate(() => {
  const body = document.querySelector('.diagram-body');
  const top = body.getBoundingClientRect().top;
  const svgs = [...body.querySelectorAll('svg.rows')];
  const scale = svgs.length ? svgs[0].getBoundingClientRect().width / svgs[0].viewBox.baseVal.width : 1;
  const lifelines = {};
  for (const l of body.querySelectorAll('.lifeline')) {
    const r = l.getBoundingClientRect();
    (lifelines[Math.round(r.left + r.width / 2)] ??= []).push([r.top - top, r.bottom - top]);
  }
  return {
    scale,
    drawn: body.dataset.drawn,
    height: body.getBoundingClientRect().height,
    nodes: document.getElementsByTagName('*').length,
    lifelines,
    svgs: svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return {
        root: s.ownerSVGElement === null,
        top: r.top - top,
        bottom: r.bottom - top,
        rows: [...s.querySelectorAll('.arrow')].map((a) => {
          const b = a.querySelector(':scope > rect').getBoundingClientRect();
          return { step: Number(a.dataset.step), top: b.top - top, bottom: b.bottom - top };
        }),
      };
    }),
  };
});

/** Checks the chunks' structure: `ROW_H` 36 and `TOP` 8 diagram units, 16 rows a chunk. */
function checkChunks(c, what) {
  const [start, end] = c.drawn.split('-').map(Number);
  assert.equal(c.svgs.length, Math.ceil((end - start) / 16), `${what}: one SVG per chunk drawn (${c.drawn})`);
  assert.ok(c.svgs.every((s) => s.root), `${what}: each chunk is an SVG root, a paint layer of its own`);
  // Stacked: the first from the diagram's top (rows above it not drawn), the last to its end.
  assert.ok(Math.abs(c.svgs[0].top) <= 1, `${what}: the first chunk's SVG begins at the top (${c.svgs[0].top})`);
  assert.ok(Math.abs(c.svgs.at(-1).bottom - c.height) <= 1, `${what}: the last chunk's SVG ends at the diagram's end (${c.svgs.at(-1).bottom}, ${c.height})`);
  const rows = c.svgs.flatMap((s) => s.rows);
  assert.equal(rows.length, end - start, `${what}: every row drawn is in a chunk`);
  c.svgs.forEach((s, i) => {
    assert.ok(s.rows.length <= 16, `${what}: at most 16 rows in a chunk`);
    if (i > 0) assert.ok(Math.abs(s.top - c.svgs[i - 1].bottom) <= 1, `${what}: chunk ${i} begins where the one before ends (${c.svgs[i - 1].bottom} → ${s.top})`);
    for (const r of s.rows) {
      assert.ok(r.top >= s.top - 1 && r.bottom <= s.bottom + 1, `${what}: step ${r.step}'s row lies inside its chunk`);
    }
  });
  // Made-up logs: one row per message, row i at TOP + ROW_H * i.
  for (const r of rows) {
    assert.ok(Math.abs(r.top - (8 + 36 * (r.step - 1)) * c.scale) <= 1.5, `${what}: step ${r.step}'s row at its place (${r.top} px, scale ${c.scale})`);
    assert.ok(Math.abs(r.bottom - r.top - 36 * c.scale) <= 1.5, `${what}: step ${r.step}'s row is a row high`);
  }
  // Each lifeline runs without a gap over the chunks drawn.
  const lanes = Object.values(c.lifelines);
  assert.ok(lanes.length >= 2, `${what}: lifelines drawn (${lanes.length} lanes)`);
  for (const segs of lanes) {
    assert.equal(segs.length, c.svgs.length, `${what}: a lifeline in each chunk`);
    segs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < segs.length; i++) assert.ok(segs[i][0] <= segs[i - 1][1] + 1, `${what}: a lifeline's gap ${segs[i - 1][1]} → ${segs[i][0]}`);
  }
}

test('at 10,000 messages each chunk is an SVG of its own; rows and lifelines where one SVG drew them', async (t) => {
  const page = await open(t);
  await importLog(page, 10000);
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-1.current');
  checkChunks(await chunks(page), 'at the top');
  // Far down (the chunks drawn move with the view), and at the end (the last chunk runs to the
  // diagram's bottom).
  await page.keyboard.press('End');
  await page.waitForSelector('#arrow-10000.current');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
  const end = await chunks(page);
  checkChunks(end, 'at the end');
  assert.ok(end.nodes <= 3000, `at most 3,000 DOM nodes (${end.nodes})`);
  // As tall as the whole run (the scroll bar is true): TOP + 10,000 rows + 24.
  assert.ok(Math.abs(end.height - (8 + 36 * 10000 + 24) * end.scale) <= 1, `the diagram is as tall as the run (${end.height} px)`);
  // The arrow heads: the markers of the header's SVG, used by every chunk's arrows.
  const heads = await page.evaluate(() => [...document.querySelectorAll('.diagram-body .arrow line')].slice(0, 20).map((l) => {
    const id = /#([\w-]+)/.exec(getComputedStyle(l).markerEnd)?.[1];
    return id && document.getElementById(id)?.tagName;
  }));
  assert.ok(heads.length > 0 && heads.every((h) => h === 'marker'), `every arrow has its head: ${heads}`);
});

test('zoomed in, the chunks still stack into one diagram', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth/step/12');
  await page.waitForSelector('#arrow-12.current');
  const zoom = page.locator('#zoom');
  if (await zoom.count()) {
    await zoom.selectOption({ index: (await zoom.locator('option').count()) - 1 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
  }
  const c = await chunks(page);
  assert.ok(c.svgs.length >= 2, `several chunks (${c.svgs.length})`);
  c.svgs.forEach((s, i) => {
    assert.ok(s.root);
    if (i > 0) assert.ok(Math.abs(s.top - c.svgs[i - 1].bottom) <= 1, `chunk ${i} begins where the one before ends`);
  });
});

test('a step changes the class of the two rows in their chunks, nothing else in the diagram', async (t) => {
  const page = await open(t);
  await importLog(page, 10000);
  // Across a chunk's boundary too (rows 16 and 17 are in two chunks).
  for (let i = 0; i < 14; i++) await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#arrow-14.current');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
  await page.evaluate(() => {
    const body = document.querySelector('.diagram-body');
    for (const el of body.querySelectorAll('*')) el.__kept = true;
    window.__changes = [];
    new MutationObserver((rs) => {
      for (const r of rs) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const chunk = [...body.querySelectorAll('svg.rows')].indexOf(el.closest('svg.rows'));
        window.__changes.push(`${r.type} ${r.attributeName || ''} ${el.closest('.arrow')?.id || el.tagName} in ${chunk}`);
      }
    }).observe(body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  const chunkOf = (step) => page.evaluate((s) => [...document.querySelectorAll('.diagram-body svg.rows')].indexOf(document.querySelector(`#arrow-${s}`).closest('svg.rows')), step);
  const [c14, c16, c17] = [await chunkOf(14), await chunkOf(16), await chunkOf(17)];
  assert.equal(c14, c16);
  assert.equal(c17, c16 + 1, 'rows 16 and 17 in two chunks');
  for (const s of [15, 16, 17]) {
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#arrow-${s}.current`);
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  const { changes, kept } = await page.evaluate(() => ({
    changes: window.__changes,
    kept: [...document.querySelector('.diagram-body').querySelectorAll('*')].every((el) => el.__kept),
  }));
  assert.deepEqual(changes.sort(), [
    `attributes class arrow-14 in ${c14}`, `attributes class arrow-15 in ${c14}`, `attributes class arrow-15 in ${c14}`,
    `attributes class arrow-16 in ${c16}`, `attributes class arrow-16 in ${c16}`, `attributes class arrow-17 in ${c17}`,
  ].sort());
  assert.ok(kept, 'every element of the diagram is the one drawn before the steps');
});

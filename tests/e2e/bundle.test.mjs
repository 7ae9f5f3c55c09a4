// The release bundle stays under its budget (deterministic for a given build).
import test from 'node:test';
import assert from 'node:assert/strict';
import { measure, downloads, BUDGET, FIRST_BUDGET, ENGINE_BUDGET, FULL_BUDGET, WHOLE_BUDGET } from './bundle-size.mjs';

test('the player\'s bundle (wasm + JS + CSS, without the engine module and the full page) is under its budget (247.5 KB gzipped)', () => {
  const { rows, total } = measure();
  assert.ok(rows.some((r) => r.file.endsWith('.wasm')), 'dist/ holds a wasm file: run trunk build --release first');
  assert.ok(rows.some((r) => r.file.endsWith('.js')));
  assert.ok(total < BUDGET, `bundle is ${total} bytes gzipped, over the ${BUDGET} budget`);
});

test('the first download (bundle + the default scenario\'s log) is under its budget (252.25 KB gzipped)', () => {
  const d = downloads();
  assert.ok(d.startData > 0, 'dist/ holds the default scenario\'s log (scripts/copy-logs.mjs)');
  assert.ok(d.files >= 40, `dist/ holds the scenario and activity files (${d.files})`);
  assert.ok(d.first < FIRST_BUDGET, `first download is ${d.first} bytes gzipped, over the ${FIRST_BUDGET} budget`);
});

test('the engine module (after the first draw) and the whole are under their budgets (443.75 KB, 1,279.25 KB gzipped)', () => {
  const d = downloads();
  assert.ok(d.engine > 100 * 1024, `dist/ holds the engine module (${d.engine} bytes gzipped)`);
  assert.ok(d.engine < ENGINE_BUDGET, `the engine module is ${d.engine} bytes gzipped, over the ${ENGINE_BUDGET} budget`);
  assert.ok(d.whole < WHOLE_BUDGET, `the whole is ${d.whole} bytes gzipped, over the ${WHOLE_BUDGET} budget`);
});

test('the full page (the activities and the live view too) is under its budget (334.5 KB gzipped), and the player is 300 KB or less', () => {
  const d = downloads();
  assert.ok(d.full > 100 * 1024, `dist/ holds the full page (${d.full} bytes gzipped)`);
  assert.ok(d.full < FULL_BUDGET, `the full page is ${d.full} bytes gzipped, over the ${FULL_BUDGET} budget`);
  assert.ok(d.bundle < d.full, 'the player is the smaller build');
  assert.ok(d.first <= 300 * 1024, `issue 15: the first download is ${d.first} bytes gzipped, over 300 KB`);
});

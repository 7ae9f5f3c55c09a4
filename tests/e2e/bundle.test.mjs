// The release bundle stays under its budget (deterministic for a given build).
import test from 'node:test';
import assert from 'node:assert/strict';
import { measure, downloads, BUDGET, FIRST_BUDGET } from './bundle-size.mjs';

test('release bundle (wasm + JS + CSS) is under its budget (727 KB gzipped)', () => {
  const { rows, total } = measure();
  assert.ok(rows.some((r) => r.file.endsWith('.wasm')), 'dist/ holds a wasm file: run trunk build --release first');
  assert.ok(rows.some((r) => r.file.endsWith('.js')));
  assert.ok(total < BUDGET, `bundle is ${total} bytes gzipped, over the ${BUDGET} budget`);
});

test('the first download (bundle + the default scenario\'s log) is under its budget (731 KB gzipped)', () => {
  const d = downloads();
  assert.ok(d.startData > 0, 'dist/ holds the default scenario\'s log (scripts/copy-logs.mjs)');
  assert.ok(d.files >= 40, `dist/ holds the scenario and activity files (${d.files})`);
  assert.ok(d.first < FIRST_BUDGET, `first download is ${d.first} bytes gzipped, over the ${FIRST_BUDGET} budget`);
});

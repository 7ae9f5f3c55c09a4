// The release bundle stays under its budget (deterministic for a given build).
import test from 'node:test';
import assert from 'node:assert/strict';
import { measure, BUDGET } from './bundle-size.mjs';

test('release bundle (wasm + JS + CSS) is under its budget (735 KB gzipped)', () => {
  const { rows, total } = measure();
  assert.ok(rows.some((r) => r.file.endsWith('.wasm')), 'dist/ holds a wasm file: run trunk build --release first');
  assert.ok(rows.some((r) => r.file.endsWith('.js')));
  assert.ok(total < BUDGET, `bundle is ${total} bytes gzipped, over the ${BUDGET} budget`);
});

// A browser that cannot start the page's WebAssembly (too old for WebAssembly SIMD, or the
// module did not arrive) gets a message on the page that says so, instead of a blank page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './browser.mjs';

// Under the strict policy the site is served with (the message is made without inline script or style).
const s = useBrowser({ csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'" });

test('a wasm module that cannot be compiled leaves a message, not a blank page', async () => {
  const page = await s.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // What an old browser sees: bytes it cannot compile (here: not WebAssembly at all).
  await page.route(/\.wasm$/, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: 'not wasm' }));
  try {
    await page.goto(s.server.url);
    const msg = await page.waitForSelector('#boot-error');
    const text = await msg.textContent();
    assert.match(text, /could not start in this browser/);
    assert.match(text, /Safari 16\.4/);
    assert.equal(await page.$('#position'), null, 'the player did not start');
    assert.equal(errors.length, 1, 'the failure is still reported to the console for whoever debugs it');
  } finally {
    await page.close();
  }
});

test('the same page starts normally when the module arrives', async (t) => {
  const page = await s.open(t, '');
  assert.equal(await page.$('#boot-error'), null);
});

// What the browser tests share: Debian's Chromium launched headless through playwright-core
// (which downloads no browser), the built page served on loopback, and pages that fail their
// test on any console error, uncaught exception or dialog.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist } from './serve-dist.mjs';
import { DIST } from './bundle-size.mjs';

export const CHROMIUM = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
/** Where the tests write their screenshots. */
export const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');

export function launch() {
  if (!CHROMIUM) throw new Error('Chromium not found: run scripts/install.sh (it installs Debian\'s chromium)');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** In the page: whether the playground's world panel names the position's step (or there is none). */
export const PANELS_SHOWN = () => {
  const pos = document.querySelector('.app:not(.activity-app) #position');
  const world = document.querySelector('.app:not(.activity-app) .side #world h2');
  if (!pos || !world) return true;
  return /^step (\d+)/.exec(pos.textContent)?.[1] === /^The world at step (\d+)/.exec(world.textContent)?.[1];
};

/**
 * Resolves once the playground's side panels (details, world, transcript) show the player's
 * step: they follow a step in the frame after the one that shows it (src/app.rs, `deferred`).
 * At once where there are none (an activity, the live view).
 */
export function panelsShown(page) {
  const wait = page.__waitForFunction ?? page.waitForFunction.bind(page);
  return wait(PANELS_SHOWN, null, { polling: 'raf', timeout: 10000 });
}

/**
 * Makes the page's actions that may step the player (key presses, clicks, waits, scripts)
 * resolve once the side panels show the step too ([`panelsShown`]), so that a test reads
 * the panels of the step it went to.
 */
export function settling(page) {
  page.__waitForFunction = page.waitForFunction.bind(page);
  const after = (obj, name) => {
    const f = obj[name].bind(obj);
    obj[name] = async (...args) => {
      const out = await f(...args);
      // A navigation away (a reload, another page) ends the wait: nothing to wait for there.
      await panelsShown(page).catch(() => {});
      return out;
    };
  };
  for (const name of ['click', 'waitForFunction', 'evaluate', 'goto', 'selectOption', 'check', 'dispatchEvent']) after(page, name);
  for (const name of ['press', 'type']) after(page.keyboard, name);
  return page;
}

/**
 * One static server for the built page (`root`, default dist/) and one Chromium for a test file.
 * Registers node:test's `before` and `after` hooks; `server` and `browser` are set once `before`
 * has run. `open(t, hash, options)` gives a page that fails test `t` on any console error,
 * uncaught exception or dialog, and is closed after it:
 * - `hash`: what follows the server's URL (`#/scenario/...`, `?log=...`); `null` stays on about:blank;
 * - `viewport` (1,440×900), `ready` (the selector waited for: `#position`, the player's position);
 * - `fresh`: a browser context of its own (its own localStorage); `context`: options of the page or context;
 * - `ignore`: console errors matching this are expected (a 404 the test provokes).
 */
export function useBrowser({ root = DIST, csp } = {}) {
  const s = { server: null, browser: null };
  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    s.server = await serveDist(root, { csp });
    s.browser = await launch();
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.close();
  });
  s.open = async (t, hash = '', { viewport = { width: 1440, height: 900 }, ready = '#position', fresh = false, context = {}, ignore = null } = {}) => {
    const ctx = fresh ? await s.browser.newContext({ viewport, ...context }) : null;
    const page = ctx ? await ctx.newPage() : await s.browser.newPage({ viewport, ...context });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error' && !ignore?.test(m.text())) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
    t.after(async () => {
      await (ctx ?? page).close();
      assert.deepEqual(errors, [], 'no console errors, no uncaught exceptions, no dialogs');
    });
    settling(page);
    if (hash !== null) {
      await page.goto(s.server.url + hash);
      await page.waitForSelector(ready);
    }
    return page;
  };
  return s;
}

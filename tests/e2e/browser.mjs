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

/**
 * In the page: whether the playground's world panel names the player's step (or there is none).
 * The player's step is the app's `data-step`; the position, the clock, the track's marker and
 * the side panels follow it a frame later (src/app.rs, `deferred`).
 */
export const PANELS_SHOWN = () => {
  const app = document.querySelector('.app:not(.activity-app)[data-step]');
  const world = document.querySelector('.app:not(.activity-app) .side #world h2');
  const pos = document.querySelector('.app:not(.activity-app) #position');
  if (!app || !world) return true;
  const at = app.dataset.step;
  return /^The world at step (\d+)/.exec(world.textContent)?.[1] === at && (!pos || /^step (\d+)/.exec(pos.textContent)?.[1] === at);
};

/**
 * Resolves once the playground's side panels (details, world, transcript) show the player's
 * step: they follow a step in the frame after the one that shows it (src/app.rs, `deferred`).
 * At once where there are none (an activity, the live view).
 */
export async function panelsShown(page) {
  // Looked at once first: a page with no panels, or panels already on the step, costs no frame.
  const look = page.__evaluate ?? page.evaluate.bind(page);
  if (await look(PANELS_SHOWN)) return;
  const wait = page.__waitForFunction ?? page.waitForFunction.bind(page);
  await wait(PANELS_SHOWN, null, { polling: 'raf', timeout: 10000 });
}

/** What a page (or a locator) does that may step the player: after one, the panels may be behind. */
const ACTIONS = new Set(['click', 'dblclick', 'tap', 'waitForFunction', 'waitForSelector', 'waitFor', 'evaluate', 'evaluateHandle',
  '$eval', '$$eval', 'goto', 'reload', 'goBack', 'goForward', 'selectOption', 'check', 'uncheck', 'setChecked', 'dispatchEvent',
  'fill', 'press', 'type', 'pressSequentially', 'setInputFiles', 'focus']);
/** What a page does that waits for the panels first when they may be behind: every read and action of the tests. */
const PAGE_CALLS = [...ACTIONS, 'textContent', 'innerText', 'innerHTML', 'getAttribute', 'inputValue', 'isVisible', 'isHidden',
  'isDisabled', 'isEnabled', 'isChecked', 'isEditable', 'hover', 'screenshot', 'content', 'title', '$', '$$', 'waitForURL'];
/** A locator's calls that make another locator (no wait: nothing is read yet). */
const LOCATOR_MAKERS = new Set(['locator', 'first', 'last', 'nth', 'filter', 'and', 'or', 'getByRole', 'getByText', 'getByLabel',
  'getByPlaceholder', 'getByAltText', 'getByTitle', 'getByTestId', 'frameLocator', 'contentFrame', 'describe', 'page']);

/**
 * Makes a page wait for its side panels before it reads, so that a test reads the panels of the
 * step it went to. Lazily: a key press only marks the panels as possibly behind (a loop of key
 * presses runs at full speed, the player coalesces them); any other call of the page or of its
 * locators waits for [`panelsShown`] first when they may be behind, and marks them so again
 * when it is an action that may step the player (a click, a script, a navigation, a wait).
 */
export function settling(page) {
  page.__waitForFunction = page.waitForFunction.bind(page);
  page.__evaluate = page.evaluate.bind(page);
  let behind = false;
  const settle = async () => {
    if (!behind) return;
    behind = false;
    // Activities and the live view have no side panels (known without asking the page).
    if (/#\/(activit|live)/.test(page.url())) return;
    // A navigation away (a reload, another page) ends the wait: nothing to wait for there.
    await panelsShown(page).catch(() => {});
  };
  const wrap = (f, name, { wait = true } = {}) => async (...args) => {
    if (wait) await settle();
    try {
      return await f(...args);
    } finally {
      if (ACTIONS.has(name)) behind = true;
    }
  };
  const locator = (l) => new Proxy(l, {
    get(target, name) {
      const v = Reflect.get(target, name);
      if (typeof v !== 'function') return v;
      if (LOCATOR_MAKERS.has(name)) return (...args) => { const r = v.apply(target, args); return name === 'page' ? r : locator(r); };
      return wrap(v.bind(target), name);
    },
  });
  for (const name of PAGE_CALLS) if (typeof page[name] === 'function') page[name] = wrap(page[name].bind(page), name);
  for (const name of ['locator', 'getByRole', 'getByText', 'getByLabel', 'getByTitle', 'getByTestId']) {
    const f = page[name].bind(page);
    page[name] = (...args) => locator(f(...args));
  }
  // Key presses only mark: the next read waits.
  for (const name of ['press', 'type', 'down', 'up', 'insertText']) if (typeof page.keyboard[name] === 'function') page.keyboard[name] = wrap(page.keyboard[name].bind(page.keyboard), 'press', { wait: false });
  page.mouse.click = wrap(page.mouse.click.bind(page.mouse), 'click');
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

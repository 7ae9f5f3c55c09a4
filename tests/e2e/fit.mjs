// What the screen tests share: what sticks out of the page, what cannot be reached, and a
// Chromium whose own text size setting is other than 16 px (screens.test.mjs, qa13, qa14).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './browser.mjs';

/**
 * What sticks out: elements whose box passes the right edge of the page (or the left) while no
 * ancestor clips or scrolls it; and controls that cannot be reached (outside the page and not in
 * a scroll container). Hidden elements do not count.
 */
export function problems() {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX)) return true;
    }
    return false;
  };
  const out = [];
  if (document.documentElement.scrollWidth > width + 1) out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} spans ${Math.round(r.left)}–${Math.round(r.right)} of ${width}`);
    }
  }
  return out.slice(0, 10);
}

/**
 * Controls that are on the page but cannot be seen or scrolled to. The rows it scrolls sideways
 * to reach them (a phone's header and controls) are scrolled back after, as a reader first
 * sees them.
 */
export function unreachable() {
  const out = [];
  const rows = [...document.querySelectorAll('*')].map((el) => [el, el.scrollLeft]);
  for (const el of document.querySelectorAll('button, select, input, a[href], textarea, summary')) {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.closest('[hidden], details:not([open]) > :not(summary)')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.width < 8 || r.height < 8) out.push(`${el.tagName.toLowerCase()}#${el.id} is ${Math.round(r.width)}×${Math.round(r.height)}`);
    // Scrolled into view, it must be inside the viewport horizontally.
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const v = el.getBoundingClientRect();
    if (v.left < -1 || v.right > document.documentElement.clientWidth + 1) out.push(`${el.tagName.toLowerCase()}#${el.id} at ${Math.round(v.left)}–${Math.round(v.right)}`);
  }
  window.scrollTo(0, 0);
  for (const [el, left] of rows) if (el.scrollLeft !== left) el.scrollLeft = left;
  return out.slice(0, 10);
}

/**
 * A Chromium whose own text size setting is `px` (chrome://settings/fonts: the profile's
 * `webkit.webprefs.default_font_size`): unlike setting the root element's font size, it also moves the
 * media queries' `em`, as a reader's setting does.
 */
export async function withTextSize(px, viewport, url, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-text-'));
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify({ webkit: { webprefs: { default_font_size: px } } }));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('.arrow.current');
    await page.waitForTimeout(300);
    const r = await fn(page);
    assert.deepEqual(errors, [], 'no error in the page');
    return r;
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


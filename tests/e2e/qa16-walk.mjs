// qa16: the two lectures' slides, walked in the page (not a test: `node tests/e2e/qa16-walk.mjs`
// on a release build prints, for every activity page and scenario step a slide uses, at the
// instructor's and the student's sizes, what sticks out or cannot be reached, and writes
// screenshots to tests/e2e/out/qa16/). The findings it led to are tests in qa16.test.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { launch, OUT } from './browser.mjs';
import { serveDist } from './serve-dist.mjs';
import { DIST } from './bundle-size.mjs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './browser.mjs';
import { problems, unreachable } from './fit.mjs';

/** fit.mjs's withTextSize, waiting for the page (an activity item at step 0 has no current arrow). */
async function withTextSize(px, viewport, url, fn) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-text-'));
  fs.mkdirSync(path.join(d, 'Default'));
  fs.writeFileSync(path.join(d, 'Default', 'Preferences'), JSON.stringify({ webkit: { webprefs: { default_font_size: px } } }));
  const ctx = await chromium.launchPersistentContext(d, { executablePath: CHROMIUM, headless: true, viewport, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForSelector('.app');
    return await fn(page);
  } finally {
    await ctx.close();
    fs.rmSync(d, { recursive: true, force: true });
  }
}

const dir = path.join(OUT, 'qa16');
fs.mkdirSync(dir, { recursive: true });
const server = await serveDist(process.env.MAILSIM_DIST || DIST);
const browser = await launch();
const only = process.argv[2] ? new RegExp(process.argv[2]) : null;
const sizes = [
  ['desk', { width: 1440, height: 900 }, ''],
  ['present', { width: 1440, height: 900 }, '?present=1'],
  ['embed', { width: 1024, height: 600 }, '?embed=1'],
  ['phone', { width: 390, height: 844 }, ''],
];
const ids = fs.readdirSync(path.resolve(DIST, 'activities')).filter((f) => f.endsWith('.toml')).map((f) => f.replace(/\.toml$/, '')).filter((id) => !only || only.test(id));
const found = [];
const check = async (page, where) => {
  const p = await page.evaluate(problems);
  const u = await page.evaluate(unreachable);
  if (p.length || u.length) found.push({ where, p, u });
  return p.length + u.length;
};
for (const [name, viewport, q] of process.env.ZOOM_ONLY ? [] : sizes) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  for (const id of ids) {
    await page.goto(`${server.url}${q}#/activity/${id}`);
    await page.waitForSelector('.app');
    await page.waitForSelector('#item, .intro, #intro, .activity', { timeout: 10000 }).catch(() => {});
    await page.waitForTimeout(200);
    const items = await page.evaluate(() => document.querySelectorAll('.item-list li, #item-list li, .items li').length);
    let bad = await check(page, `${name} ${id} intro`);
    if (bad) await page.screenshot({ path: path.join(dir, `${name}-${id}-intro.png`) });
    for (let n = 1; n <= 20; n++) {
      await page.evaluate((h) => { location.hash = h; }, `#/activity/${id}/item/${n}`);
      const ok = await page.waitForFunction((x) => document.querySelector('#item')?.dataset.item === String(x), n, { timeout: 4000 }).then(() => true, () => false);
      if (!ok) break;
      await page.waitForTimeout(250);
      bad = await check(page, `${name} ${id} item ${n}`);
      if (bad || process.env.SHOTS) await page.screenshot({ path: path.join(dir, `${name}-${id}-${n}.png`), fullPage: name !== 'desk' && name !== 'present' });
    }
  }
  if (errors.length) found.push({ where: `${name} errors`, p: errors.slice(0, 5), u: [] });
  await ctx.close();
}
// 200 % text (the browser's own setting) on a laptop, every activity's items.
for (const id of process.env.ZOOM ? ids : []) {
  await withTextSize(32, { width: 1440, height: 900 }, `${server.url}#/activity/${id}/item/1`, async (page) => {
    for (let n = 1; n <= 20; n++) {
      await page.evaluate((h) => { location.hash = h; }, `#/activity/${id}/item/${n}`);
      const ok = await page.waitForFunction((x) => document.querySelector('#item')?.dataset.item === String(x), n, { timeout: 4000 }).then(() => true, () => false);
      if (!ok) break;
      await page.waitForTimeout(250);
      const bad = await check(page, `text200 ${id} item ${n}`);
      if (bad || process.env.SHOTS) await page.screenshot({ path: path.join(dir, `text200-${id}-${n}.png`) });
    }
  }).catch((e) => found.push({ where: `text200 ${id}`, p: [String(e)], u: [] }));
}
console.log(JSON.stringify(found, null, 1));
await browser.close();
await server.close();

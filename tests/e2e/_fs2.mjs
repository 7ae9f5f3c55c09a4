import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { serveDist } from './serve-dist.mjs';
const srv = await serveDist('/work/main/dist');
for (const [name, w, h, q] of [['r-desk', 1440, 900, ''], ['r-tab', 768, 1024, ''], ['r-phone', 390, 844, ''], ['r-embed', 1024, 600, '?embed=1']]) {
  const dir = fs.mkdtempSync('/tmp/ud-');
  fs.mkdirSync(dir + '/Default');
  fs.writeFileSync(dir + '/Default/Preferences', JSON.stringify({ webkit: { webprefs: { default_font_size: 32, default_fixed_font_size: 26 } } }));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true, viewport: { width: w, height: h }, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  const page = await ctx.newPage();
  await page.goto(srv.url + q + '#/scenario/alice-to-bob/step/6');
  await page.waitForTimeout(2500);
  await page.screenshot({ path: `/tmp/shot-${name}.png` });
  console.log(name, await page.evaluate(() => { const a = document.querySelector('.arrow .label'); const r = document.querySelector('.arrow')?.getBoundingClientRect(); return [a && getComputedStyle(a).fontSize, a?.getBoundingClientRect().height, r?.y, document.querySelector('.app').className, document.documentElement.scrollWidth]; }));
  await ctx.close();
}
process.exit(0);

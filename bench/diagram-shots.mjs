// Screenshots of the diagram in two builds, to compare (branch step17: the rows in an SVG per
// chunk must look as the one SVG drew them). For each view, a PNG per build in tests/e2e/out/
// (shot-NAME-A.png, shot-NAME-B.png) and the number of pixels that differ.
//   node bench/diagram-shots.mjs DIST_A DIST_B
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch, OUT } from '../tests/e2e/browser.mjs';
import { openGenerated } from './gen-log.mjs';

const [a, b] = process.argv.slice(2).map((d) => path.resolve(d));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-shots-'));
fs.mkdirSync(OUT, { recursive: true });
const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300))));

// Each view: a name, a viewport, and how to get there.
const VIEWS = [
  ['log45', { width: 1440, height: 900 }, async (page, url) => {
    await openGenerated(page, url, 10000, dir);
    for (let i = 0; i < 45; i++) await page.keyboard.press('ArrowRight');
  }],
  ['log45-scrolled', { width: 1440, height: 900 }, async (page, url) => {
    await openGenerated(page, url, 10000, dir);
    for (let i = 0; i < 45; i++) await page.keyboard.press('ArrowRight');
    await settle(page);
    await page.evaluate(() => { document.querySelector('.diagram').scrollTop += 600; });
  }],
  ['starttls', { width: 1440, height: 900 }, (page, url) => page.goto(`${url}#/scenario/starttls-auth/step/12`)],
  ['starttls-zoom150', { width: 1440, height: 900 }, async (page, url) => {
    await page.goto(`${url}#/scenario/starttls-auth/step/12`);
    await page.waitForSelector('#arrow-12.current');
    await page.selectOption('#zoom', '150');
  }],
  ['phone', { width: 390, height: 844 }, (page, url) => page.goto(`${url}#/scenario/starttls-auth/step/20`)],
];

const browser = await launch();
const servers = [await serveDist(a), await serveDist(b)];
try {
  for (const [name, viewport, go] of VIEWS) {
    const shots = [];
    for (const [i, server] of servers.entries()) {
      const page = await browser.newPage({ viewport });
      await go(page, server.url);
      await page.waitForSelector('.arrow.current');
      await settle(page);
      await page.mouse.move(0, 0);
      const file = path.join(OUT, `shot-${name}-${'AB'[i]}.png`);
      shots.push(await page.locator('.diagram').screenshot({ path: file }));
      await page.close();
    }
    // Count the pixels that differ, in a page (no PNG decoder here).
    const page = await browser.newPage();
    const diff = await page.evaluate(async (pngs) => {
      const data = await Promise.all(pngs.map(async (b64) => {
        const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
        const c = new OffscreenCanvas(img.width, img.height);
        c.getContext('2d').drawImage(img, 0, 0);
        return { w: img.width, h: img.height, px: c.getContext('2d').getImageData(0, 0, img.width, img.height).data };
      }));
      if (data[0].w !== data[1].w || data[0].h !== data[1].h) return { size: data.map((d) => `${d.w}×${d.h}`) };
      let n = 0;
      const box = [Infinity, Infinity, -1, -1];
      for (let i = 0; i < data[0].px.length; i += 4) {
        if ([0, 1, 2, 3].some((k) => data[0].px[i + k] !== data[1].px[i + k])) {
          n++;
          const [x, y] = [(i / 4) % data[0].w, Math.floor(i / 4 / data[0].w)];
          box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
        }
      }
      return n ? { pixels: n, box } : { pixels: 0 };
    }, shots.map((s) => s.toString('base64')));
    await page.close();
    console.log(`${name}: ${JSON.stringify(diff)}`);
  }
} finally {
  await browser.close();
  for (const s of servers) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

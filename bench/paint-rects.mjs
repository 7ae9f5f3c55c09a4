// Screenshots of what a step repaints (Chromium's paint flashing, `Overlay.setShowPaintRects`:
// the rects rastered again shown in green) and the page's composited layers (CDP LayerTree),
// for issue 15's step latency. Opens the made-up log of N messages in the built page (dist/ or
// BENCH_DIST), presses → `steps` times and takes a screenshot right after each step's frame.
//   node bench/paint-rects.mjs [messages=10000] [steps=3] [out=/tmp]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST } from '../tests/e2e/bundle-size.mjs';
import { serveDist } from '../tests/e2e/serve-dist.mjs';
import { launch } from '../tests/e2e/browser.mjs';
import { openGenerated } from './gen-log.mjs';

const n = Number(process.argv[2] || 10000);
const steps = Number(process.argv[3] || 3);
const out = process.argv[4] || os.tmpdir();
const dist = path.resolve(process.env.BENCH_DIST || DIST);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-rects-'));
const server = await serveDist(dist);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await openGenerated(page, server.url, n, dir);
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(500);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('LayerTree.enable');
  let layers = [];
  cdp.on('LayerTree.layerTreeDidChange', (e) => { if (e.layers) layers = e.layers; });
  await cdp.send('Overlay.enable');
  await cdp.send('Overlay.setShowPaintRects', { result: true });
  await page.waitForTimeout(300);
  for (let i = 0; i < steps; i++) {
    await page.keyboard.press('ArrowRight');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: path.join(out, `paint-rects-${i}.png`) });
    await page.waitForTimeout(600);
  }
  await page.waitForTimeout(300);
  console.log(`${layers.length} layers`);
  for (const l of layers) {
    let node = '';
    if (l.backendNodeId) {
      try {
        const { node: d } = await cdp.send('DOM.describeNode', { backendNodeId: l.backendNodeId });
        node = `${d.nodeName}${d.attributes ? ' ' + d.attributes.join(' ').slice(0, 60) : ''}`;
      } catch { /* gone */ }
    }
    console.log(`${l.layerId} parent ${l.parentLayerId ?? '-'} ${l.width}×${l.height} at ${l.offsetX},${l.offsetY} draws ${l.drawsContent} paints ${l.paintCount} ${node} ${l.scrollRects ? JSON.stringify(l.scrollRects.map((r) => r.type)) : ''}`);
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

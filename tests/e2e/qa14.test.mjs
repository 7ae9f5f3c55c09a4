// qa14 (issue 15, "every screen"): large text on a wide screen, and text size changed without a
// resize.
// - The browser's own text size at 150 % and 200 % (Chromium's profile setting, which moves the
//   media queries' `em` as a reader's setting or the page's zoom does): a 1,440×900 desktop is
//   laid out as a 720×450 window, the 1,024×600 embed as 683×400 or 512×300. Their header and
//   controls wrapped into five rows, half the screen, and the diagram started low. At each of
//   the four sizes and each text size: nothing sticks out, every control is reachable, and the
//   first screen has the diagram's first arrows and Back, Play and Next.
// - A change of text size alone (Firefox's text-only zoom, the default font size changed while
//   the page is open) sends no `resize`: the diagram's text now follows at once, and so do the
//   tabs of a window that the larger text makes a phone's.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { problems, unreachable, withTextSize } from './fit.mjs';

const s = useBrowser();

const SIZES = [
  ['desktop', { width: 1440, height: 900 }, ''],
  ['embed', { width: 1024, height: 600 }, '?embed=1'],
  ['tablet', { width: 768, height: 1024 }, ''],
  ['phone', { width: 390, height: 844 }, ''],
];

/** The first screen as it is seen before any scrolling. */
const firstScreen = () => {
  const box = (sel) => { const r = document.querySelector(sel)?.getBoundingClientRect(); return r && { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
  const pane = box('.diagram');
  return {
    root: getComputedStyle(document.documentElement).fontSize,
    tabbed: document.querySelector('.app').classList.contains('tabbed'),
    // The arrows whose line and label are wholly on the screen and in the diagram's scroller.
    arrows: [...document.querySelectorAll('.arrow')].filter((a) => {
      const l = a.querySelector('line').getBoundingClientRect(), t = a.querySelector('.label').getBoundingClientRect();
      return Math.min(l.top, t.top) >= pane.top - 1 && Math.max(l.bottom, t.bottom) <= Math.min(pane.bottom, innerHeight) + 1;
    }).map((a) => Number(a.dataset.step)),
    pane, header: box('.top'), controls: box('.controls'),
    buttons: Object.fromEntries(['#prev', '#play', '#next'].map((id) => [id, box(id)])),
    w: innerWidth, h: innerHeight,
  };
};

for (const px of [16, 24, 32]) {
  test(`the browser's text size at ${px} px (${px * 100 / 16} %): at every size the first screen has the diagram's first arrows and Back, Play and Next; nothing sticks out; every control can be reached`, async (t) => {
    for (const [name, viewport, q] of SIZES) {
      const url = s.server.url + q + '#/scenario/alice-to-bob/step/1';
      const m = await withTextSize(px, viewport, url, async (page) => {
        await page.screenshot({ path: path.join(OUT, `qa14-${name}-${px}.png`) });
        const f = await page.evaluate(firstScreen);
        return { f, out: await page.evaluate(problems), unreached: await page.evaluate(unreachable) };
      });
      const { f } = m;
      t.diagnostic(`${name} at ${px} px: header ${Math.round(f.header.bottom - f.header.top)} px, controls end at ${Math.round(f.controls.bottom)}, diagram from ${Math.round(f.pane.top)}; arrows on the first screen: ${f.arrows.join(', ')}`);
      assert.equal(f.root, `${px}px`, `${name}: the setting took`);
      assert.deepEqual(m.out, [], `${name} at ${px} px: nothing sticks out`);
      assert.deepEqual(m.unreached, [], `${name} at ${px} px: every control can be reached`);
      for (const [id, b] of Object.entries(f.buttons)) {
        assert.ok(b.top >= 0 && b.bottom <= f.h && b.left >= 0 && b.right <= f.w, `${name} at ${px} px: ${id} on the first screen (${JSON.stringify(b)})`);
      }
      // The diagram's first arrows, not a band under the bars: the first three at least.
      assert.ok([1, 2, 3].every((n) => f.arrows.includes(n)), `${name} at ${px} px: arrows 1-3 on the first screen (${f.arrows.join(', ')}; the diagram from y = ${Math.round(f.pane.top)} of ${f.h})`);
      // The header and the controls take at most about a third of a short screen.
      assert.ok(f.controls.bottom <= 0.36 * f.h || f.h > 900, `${name} at ${px} px: the header and the controls end at ${Math.round(f.controls.bottom)} of ${f.h}`);
    }
  });
}

/** The current label's text size on screen (font size × the svg's scale). */
const labelPx = () => {
  const l = document.querySelector('.arrow.current .label');
  const svg = l.ownerSVGElement;
  return parseFloat(getComputedStyle(l).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
};

/** Whether the current row is below the actors' header and above the scroller's foot. */
const rowInView = () => {
  const row = document.querySelector('.arrow.current > rect').getBoundingClientRect();
  const head = document.querySelector('.diagram-sticky').getBoundingClientRect();
  const box = document.querySelector('.diagram').getBoundingClientRect();
  return row.top >= head.bottom - 1 && row.bottom <= box.bottom + 1;
};

test('the root\'s font size changed while the page is open, with no resize: the diagram\'s text follows at once, and back', async (t) => {
  const page = await s.open(t, '#/scenario/imap-session/step/20');
  await page.waitForSelector('.arrow.current');
  await page.evaluate(() => { window.resizes = 0; addEventListener('resize', (e) => { if (e.isTrusted) window.resizes++; }); });
  const base = await page.evaluate(labelPx);
  for (const [size, factor] of [['200%', 2], ['150%', 1.5], ['', 1]]) {
    await page.evaluate((v) => { document.documentElement.style.fontSize = v; }, size);
    // A frame for the observer, one for the draw: no more than a few.
    await page.waitForFunction(([f, b]) => {
      const l = document.querySelector('.arrow.current .label');
      const svg = l?.ownerSVGElement;
      return svg && Math.abs(parseFloat(getComputedStyle(l).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width - f * b) <= 0.06 * f * b;
    }, [factor, base], { timeout: 3000 });
    assert.ok(await page.evaluate(rowInView), `at ${size || '100%'}: the current row is in view`);
    assert.deepEqual(await page.evaluate(problems), [], `at ${size || '100%'}: nothing sticks out`);
  }
  assert.equal(await page.evaluate(() => window.resizes), 0, 'the window was not resized');
});

test('the default font size changed while the page is open (DevTools protocol, Page.setFontSizes): a 768 px tablet at 32 px text becomes a phone\'s tabs and its diagram\'s text doubles, with no resize', async (t) => {
  const page = await s.open(t, '#/scenario/alice-to-bob/step/6', { viewport: { width: 768, height: 1024 } });
  await page.waitForSelector('.arrow.current');
  const cdp = await page.context().newCDPSession(page);
  const base = await page.evaluate(labelPx);
  assert.equal(await page.$('.app.tabbed'), null, 'no tabs at 16 px');
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 26 } });
  await page.waitForFunction(() => getComputedStyle(document.documentElement).fontSize === '32px');
  await page.waitForSelector('.app.tabbed', { timeout: 3000 });
  await page.waitForFunction((b) => {
    const l = document.querySelector('.arrow.current .label');
    const svg = l?.ownerSVGElement;
    return svg && parseFloat(getComputedStyle(l).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width > 1.9 * b;
  }, base, { timeout: 3000 });
  assert.ok(await page.evaluate(rowInView), 'the current row is in view');
  assert.deepEqual(await page.evaluate(problems), [], 'nothing sticks out');
  await page.screenshot({ path: path.join(OUT, 'qa14-live-32.png') });
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 16, fixed: 13 } });
  await page.waitForFunction(() => !document.querySelector('.app.tabbed'), null, { timeout: 3000 });
  await page.waitForFunction((b) => {
    const l = document.querySelector('.arrow.current .label');
    const svg = l?.ownerSVGElement;
    return svg && Math.abs(parseFloat(getComputedStyle(l).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width - b) < 0.06 * b;
  }, base, { timeout: 3000 });
});

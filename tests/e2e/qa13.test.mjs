// qa13 (issue 15, "every screen"): text zoom to 200 % and the phone's first screen.
// - At 200 % text (the browser's text size setting: the root font size doubles; emulated by
//   an init script before the page starts, and by a change after load followed by a resize)
//   the sequence diagram's text is twice its size at 100 % on screen (it was in px and did not
//   follow), and the protocol state diagram's too (sized in rem; wider than its column, it
//   scrolls sideways in its figure). Nothing sticks out of the diagram's scroller sideways, the
//   current row stays in view as the learner steps, and the lanes scroll sideways to it.
// - On a 390×844 phone the diagram's first arrow is on the first screen, with the step
//   controls (the header and the controls took the screen: one row of header now).
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { withTextSize } from './fit.mjs';

const s = useBrowser();
const BIG = () => { document.documentElement.style.fontSize = '200%'; };

/** Opens `hash` at `viewport`, at 200 % text from the start if `big`. */
async function open(t, hash, { big = false, viewport = { width: 1440, height: 900 } } = {}) {
  const page = await s.open(t, null, { viewport });
  // Before the page starts: the root element is made by the parser, after an init script runs.
  if (big) {
    await page.addInitScript(() => {
      const set = () => document.documentElement && (document.documentElement.style.fontSize = '200%');
      if (!set()) new MutationObserver((_, o) => { if (set()) o.disconnect(); }).observe(document, { childList: true });
    });
  }
  await page.goto(s.server.url + hash);
  await page.waitForSelector('#position');
  await page.waitForSelector('.arrow.current');
  return page;
}

/**
 * The diagram as it lies on screen: the text size on screen of the current arrow's label, of
 * an actor's name and of the time column (font size × the svg's scale), the current row and the
 * scroller's box, and what sticks out of the pane sideways (elements of the pane outside the
 * scroller that pass its right edge, and the page's own sideways scroll).
 */
const diagram = (page) => page.evaluate(() => {
  const onScreen = (el) => {
    const svg = el.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return parseFloat(getComputedStyle(el).fontSize) * scale;
  };
  const cur = document.querySelector('.arrow.current');
  const sc = document.querySelector('.diagram');
  const pane = document.querySelector('.diagram-pane').getBoundingClientRect();
  const row = cur.querySelector('rect').getBoundingClientRect();
  const line = cur.querySelector('line').getBoundingClientRect();
  const box = sc.getBoundingClientRect();
  const head = document.querySelector('.diagram-sticky').getBoundingClientRect();
  // (Inside a container that scrolls sideways, the diagram or the phone's row of view tools,
  // an element may pass the edge.)
  const scrolled = (e) => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (/auto|scroll/.test(getComputedStyle(a).overflowX)) return true; return false; };
  const out = [...document.querySelectorAll('.diagram-pane *')]
    .filter((e) => !e.closest('svg.track') && !scrolled(e))
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > pane.right + 1 || r.left < pane.left - 1); })
    .map((e) => `${e.tagName}.${[...e.classList].join('.')}`);
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) out.push('the page scrolls sideways');
  // The label's box does not cross the phase's name (SMTP phases at the right of the last lane).
  const label = cur.querySelector('.label').getBoundingClientRect();
  const phase = cur.querySelector('.phase')?.getBoundingClientRect();
  const clash = !!phase && label.right > phase.left && phase.right > label.left;
  return {
    label: onScreen(cur.querySelector('.label')), name: onScreen(document.querySelector('.actor-name')),
    time: onScreen(cur.querySelector('.time')), labelH: label.height,
    // The row under the actors' header and above the scroller's foot, its line in sight sideways.
    inView: row.top >= head.bottom - 1 && row.bottom <= box.bottom + 1 && line.right > box.left && line.left < box.right,
    scrolls: sc.scrollWidth > sc.clientWidth + 1, out, clash, step: cur.dataset.step,
  };
});

const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 0.06 * b, `${what}: ${a.toFixed(2)} px, want ${b.toFixed(2)}`);

for (const [w, h] of [[1440, 900], [768, 1024], [390, 844]]) {
  test(`${w}×${h}: at 200 % text the diagram's text is twice as big, nothing sticks out, the current row stays in view`, async (t) => {
    const base = await diagram(await open(t, '#/scenario/starttls-auth/step/12', { viewport: { width: w, height: h } }));
    const page = await open(t, '#/scenario/starttls-auth/step/12', { big: true, viewport: { width: w, height: h } });
    const big = await diagram(page);
    t.diagnostic(`label ${base.label.toFixed(1)} → ${big.label.toFixed(1)} px, actor ${base.name.toFixed(1)} → ${big.name.toFixed(1)} px`);
    near(big.label, 2 * base.label, 'an arrow\'s label at 200 %');
    near(big.name, 2 * base.name, 'an actor\'s name at 200 %');
    near(big.time, 2 * base.time, 'the time column at 200 %');
    assert.deepEqual(big.out, [], 'nothing sticks out of the diagram pane sideways');
    assert.ok(!big.clash, 'the label does not run into the SMTP phase');
    assert.ok(big.inView, 'the current row is in view at the deep link');
    await page.screenshot({ path: path.join(OUT, `qa13-200-${w}.png`) });
    // Stepping on, the row follows (down and sideways: the lanes scroll where they do not fit).
    for (let i = 0; i < 14; i++) {
      await page.click('#next');
      await page.waitForFunction((n) => document.querySelector('#position').textContent.startsWith(`step ${n} `), 13 + i);
      await page.waitForFunction(() => new Promise(requestAnimationFrame).then(() => true));
      const m = await diagram(page);
      assert.ok(m.inView, `step ${m.step} at 200 %: its row is in view`);
      assert.deepEqual(m.out, [], `step ${m.step}: nothing sticks out`);
    }
    if (w <= 768) assert.ok(big.scrolls, 'the lanes scroll sideways rather than shrink');
  });
}

test('text made 200 % after the page started (then a resize): the diagram follows, the current row stays in view', async (t) => {
  const page = await open(t, '#/scenario/imap-session/step/20');
  const base = await diagram(page);
  await page.evaluate(BIG);
  await page.evaluate(() => window.dispatchEvent(new Event('resize')));
  await page.waitForFunction((px) => {
    const l = document.querySelector('.arrow.current .label');
    const svg = l?.ownerSVGElement;
    return svg && parseFloat(getComputedStyle(l).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width > 1.9 * px;
  }, base.label);
  const big = await diagram(page);
  near(big.label, 2 * base.label, 'the label after the change');
  assert.ok(big.inView, 'the current row is still in view');
  assert.deepEqual(big.out, []);
  // And back.
  await page.evaluate(() => { document.documentElement.style.fontSize = ''; window.dispatchEvent(new Event('resize')); });
  await page.waitForFunction(() => document.querySelector('.diagram-sticky svg').getAttribute('height') === '58');
  near((await diagram(page)).label, base.label, 'the label at 100 % again');
});

/** The state diagram's smallest text on screen, its figure and its column. */
const states = (page) => page.evaluate(() => {
  const fig = document.querySelector('#state-diagram');
  const svg = fig.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...fig.querySelectorAll('text')].filter((x) => x.textContent).map((x) => parseFloat(getComputedStyle(x).fontSize) * scale);
  const f = fig.getBoundingClientRect();
  const panel = fig.closest('.panel') ?? fig.parentElement;
  const p = panel.getBoundingClientRect();
  return { min: Math.min(...sizes), right: f.right, panelRight: p.right, scrolls: fig.scrollWidth > fig.clientWidth + 1, pageWide: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1 };
});

for (const [w, h] of [[1440, 900], [390, 844]]) {
  test(`${w}×${h}: the state diagram's text grows with the page's (twice at 200 %), inside its panel`, async (t) => {
    const got = [];
    for (const big of [false, true]) {
      const page = await open(t, '#/scenario/imap-session/step/15', { big, viewport: { width: w, height: h } });
      if (w < 900) await page.click('#tab-details');
      await page.waitForFunction(() => document.querySelector('#state-diagram figcaption')?.textContent.includes('IMAP'));
      await page.locator('#state-diagram').scrollIntoViewIfNeeded();
      const m = await states(page);
      await (await page.$('#state-diagram')).screenshot({ path: path.join(OUT, `qa13-states-${w}-${big ? 200 : 100}.png`) });
      assert.ok(m.right <= m.panelRight + 0.5, `the figure stays in its panel (${m.right} > ${m.panelRight})`);
      assert.ok(!m.pageWide, 'the page does not scroll sideways');
      got.push(m);
    }
    t.diagnostic(`smallest text ${got[0].min.toFixed(1)} → ${got[1].min.toFixed(1)} px; scrolls sideways at 200 %: ${got[1].scrolls}`);
    near(got[1].min, 2 * got[0].min, 'the state diagram\'s smallest text at 200 %');
  });
}

for (const big of [false, true]) {
  test(`a 390×844 phone${big ? ' at 200 % text' : ''}: the diagram's first arrow and the step controls are on the first screen`, async (t) => {
    const viewport = { width: 390, height: 844 };
    const page = await open(t, '#/scenario/alice-to-bob/step/1', { big, viewport });
    await page.screenshot({ path: path.join(OUT, `qa13-phone-${big ? 200 : 100}.png`) });
    const first = await page.locator('#arrow-1 line').boundingBox();
    if (big) assert.equal(await page.$eval('.controls', (c) => c.scrollWidth > c.clientWidth), true, 'the controls scroll sideways');
    const label = await page.locator('#arrow-1 .label').boundingBox();
    t.diagnostic(`the first arrow at y = ${first.y.toFixed(0)}, its label at ${label.y.toFixed(0)}`);
    assert.ok(first.y + first.height <= viewport.height && label.y >= 0, `the first arrow is on the first screen (y ${first.y})`);
    // At 200 % the position is next in the row of controls, which scrolls sideways to it.
    for (const id of big ? ['#prev', '#next', '#play'] : ['#prev', '#next', '#play', '#position']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= viewport.width && box.y >= 0 && box.y + box.height <= viewport.height, `${id} is on the first screen: ${JSON.stringify(box)}`);
    }
    // Stepping from there, the arrow is still there to see.
    await page.click('#next');
    await page.waitForFunction(() => document.querySelector('#position').textContent.startsWith('step 2 '));
    const second = await page.locator('#arrow-2 line').boundingBox();
    assert.ok(second.y + second.height <= viewport.height, 'the second arrow is on the first screen too');
  });
}

test('A+ (larger text for a projector): the whole diagram grows with the page\'s text, 1.25 times, and back', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth/step/12');
  const base = await diagram(page);
  await page.click('#large');
  await page.waitForFunction(() => document.querySelector('.diagram-sticky svg').getAttribute('height') !== '58');
  const large = await diagram(page);
  near(large.label, 1.25 * base.label, 'the label with A+');
  near(large.time, 1.25 * base.time, 'the time column with A+');
  assert.ok(large.inView, 'the current row stays in view');
  await page.click('#large');
  await page.waitForFunction(() => document.querySelector('.diagram-sticky svg').getAttribute('height') === '58');
  near((await diagram(page)).label, base.label, 'the label without A+');
});

const firstScreen = (page) => page.evaluate(() => {
  const first = document.querySelector('.arrow line').getBoundingClientRect();
  const next = document.querySelector('#next').getBoundingClientRect();
  return {
    root: getComputedStyle(document.documentElement).fontSize,
    tabbed: document.querySelector('.app').classList.contains('tabbed'),
    arrowTop: first.top, nextBottom: next.bottom,
    sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
  };
});

test('the browser\'s own text size at 32 px: the diagram\'s text twice as big, and the layout of a window half as wide (media queries in em)', async () => {
  const hash = '#/scenario/alice-to-bob/step/6';
  for (const [name, viewport, q, tabbed] of [
    ['desktop 1440×900', { width: 1440, height: 900 }, '', false],
    ['tablet 768×1024', { width: 768, height: 1024 }, '', true],
    ['embed 1024×600', { width: 1024, height: 600 }, '?embed=1', false],
    ['phone 390×844', { width: 390, height: 844 }, '', true],
  ]) {
    const url = s.server.url + q + hash;
    const [small, big] = [await withTextSize(16, viewport, url, diagram), await withTextSize(32, viewport, url, async (page) => ({ d: await diagram(page), f: await firstScreen(page) }))];
    assert.equal(big.f.root, '32px', `${name}: the setting took`);
    near(big.d.label, 2 * small.label, `${name}: the current label on screen`);
    near(big.d.name, 2 * small.name, `${name}: an actor's name on screen`);
    assert.deepEqual(big.d.out, [], `${name}: nothing sticks out`);
    assert.ok(big.d.inView, `${name}: the current row in view`);
    assert.equal(big.f.sideways, false, `${name}: the page does not scroll sideways`);
    // 768 px at 32 px text is 24em: a phone's layout (tabs, one row of header), not a column of
    // panels beside a diagram two lanes wide.
    assert.equal(big.f.tabbed, tabbed, `${name}: the panels are ${tabbed ? '' : 'not '}tabs`);
    if (name !== 'desktop 1440×900') {
      assert.ok(big.f.arrowTop < viewport.height, `${name}: the first arrow on the first screen (${big.f.arrowTop})`);
      assert.ok(big.f.nextBottom < viewport.height, `${name}: Next on the first screen (${big.f.nextBottom})`);
    }
  }
});

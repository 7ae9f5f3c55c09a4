// Every screen: the playground and an activity at 1,440×900, the 1,024×600 embed, a 768 px
// tablet and a 390 px phone, and at 200 % text. Nothing may stick out sideways except inside
// a scroll container (the diagram scrolls both ways), and every control must be reachable:
// inside the page's width, or inside a container that scrolls to it. Screenshots go to
// tests/e2e/out/screen-*.png.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist } from './serve-dist.mjs';
import { launch, panelsShown } from './browser.mjs';
import { problems, unreachable } from './fit.mjs';
import { DIST } from './bundle-size.mjs';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'embed', width: 1024, height: 600, query: '?embed=1' },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'phone', width: 390, height: 844 },
];

let server, browser;
before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  server = await serveDist(DIST);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(t, url, size) {
  const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  t.after(async () => {
    await page.close();
    assert.deepEqual(errors, [], 'no console errors');
  });
  await page.goto(server.url + (size.query || '') + url);
  await page.waitForSelector('#position, .activity-app, .list-app');
  return page;
}

for (const size of SIZES) {
  test(`${size.name} ${size.width}×${size.height}: the playground fits, every control is reachable`, async (t) => {
    const page = await open(t, '#/scenario/starttls-auth/step/12', size);
    assert.deepEqual(await page.evaluate(problems), [], 'nothing overflows outside a scroll container');
    assert.deepEqual(await page.evaluate(unreachable), [], 'every control is reachable');
    // The step controls are on screen without scrolling the page.
    for (const id of ['#next', '#prev', '#position']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= size.width && box.y >= 0 && box.y + box.height <= size.height, `${id} is on screen`);
    }
    // The diagram scrolls (at the lanes' readable width) rather than shrinking.
    const lane = await page.$eval('.actor rect', (r) => r.getBoundingClientRect().width);
    assert.ok(lane >= 130, `a lane stays readable (${lane}px: the lane is 150, its box 134)`);
    await page.screenshot({ path: path.join(OUT, `screen-${size.name}.png`) });
  });

  test(`${size.name}: an activity fits and its progress is whole`, async (t) => {
    const page = await open(t, '#/activity/envelope-and-header', size);
    await page.waitForSelector('.activity-app');
    assert.deepEqual(await page.evaluate(problems), [], 'nothing overflows outside a scroll container');
    const done = page.locator('.progress-text');
    if (await done.count()) {
      const [box, text] = [await done.boundingBox(), await done.textContent()];
      assert.match(text, /\d+ of \d+/);
      assert.ok(box.x >= 0 && box.x + box.width <= size.width, `"${text}" is whole on screen`);
      assert.ok(await done.evaluate((e) => e.scrollWidth <= e.clientWidth + 1), `"${text}" is not cut`);
    }
    await page.screenshot({ path: path.join(OUT, `screen-${size.name}-activity.png`) });
  });
}

test('text at 200 %: the page reflows without sideways scrolling', async (t) => {
  for (const size of [SIZES[0], SIZES[2], SIZES[3]]) {
    const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
    t.after(() => page.close());
    await page.goto(server.url + '#/scenario/starttls-auth/step/12');
    await page.waitForSelector('#position');
    // What a browser's text size setting does: the root font size doubles.
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    assert.deepEqual(await page.evaluate(problems), [], `${size.name} at 200 %: nothing overflows`);
    assert.deepEqual(await page.evaluate(unreachable), [], `${size.name} at 200 %: every control is reachable`);
    // The step controls stay at hand: on screen after scrolling to the end of the page.
    // (The controls of a phone scroll within their bar: its top, as a reader first sees it.)
    await page.evaluate(() => { window.scrollTo(0, document.documentElement.scrollHeight); for (const b of document.querySelectorAll('.bar')) b.scrollTop = 0; });
    for (const id of ['#next', '#prev']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= size.height, `${size.name} at 200 %: ${id} on screen when scrolled down`);
    }
    if (size.name === 'phone') {
      // The tabs too: on screen at the foot of the controls, and they work.
      for (const id of ['#tab-diagram', '#tab-world']) {
        const box = await page.locator(id).boundingBox();
        assert.ok(box && box.y >= 0 && box.y + box.height <= size.height, `phone at 200 %: ${id} on screen: ${JSON.stringify(box)}`);
      }
      await page.click('#tab-world');
      assert.ok(await page.locator('#world').isVisible(), 'phone at 200 %: the World tab shows the world');
      await page.click('#tab-diagram');
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(OUT, `screen-${size.name}-200.png`) });
  }
});

test('a long token (the SCRAM explanation) wraps inside the details', async (t) => {
  const page = await open(t, '#/scenario/two-devices', SIZES[3]);
  // The first SCRAM message of the phone's IMAP session.
  const step = await page.evaluate(() => {
    // An arrow's tooltip is made when the pointer enters it (src/diagram/rows.rs).
    const title = (x) => { x.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })); return x.querySelector('title')?.textContent || ''; };
    const a = [...document.querySelectorAll('.arrow')].find((x) => title(x).includes('AUTHENTICATE SCRAM'));
    return a && Number(a.dataset.step) + 2;
  });
  assert.ok(step, 'the SCRAM exchange is on the diagram');
  await page.evaluate((s) => { location.hash = `#/scenario/two-devices/step/${s}`; }, step);
  await page.waitForFunction((s) => document.querySelector('#position').textContent.startsWith(`step ${s} `), step);
  await panelsShown(page);
  assert.deepEqual(await page.evaluate(problems), [], 'nothing overflows');
  // A phone shows the details in their tab.
  await page.click('#tab-details');
  const details = await page.locator('#details').boundingBox();
  for (const sel of ['#meaning', '#raw']) {
    const box = await page.locator(sel).boundingBox();
    assert.ok(box.x + box.width <= details.x + details.width + 1, `${sel} stays inside the details panel`);
    assert.ok(await page.locator(sel).evaluate((e) => e.scrollWidth <= e.clientWidth + 1), `${sel} wraps`);
  }
});

/** The tabs of a narrow screen: their names, the chosen one, and which panels show. */
async function tabs(page) {
  return page.evaluate(() => {
    const list = document.querySelector('.tabs-bar[role=tablist]');
    if (!list) return null;
    const shown = (sel) => { const el = document.querySelector(sel); return !!el && el.getClientRects().length > 0; };
    return {
      names: [...list.querySelectorAll('[role=tab]')].map((t) => t.textContent),
      chosen: list.querySelector('[aria-selected=true]')?.textContent,
      focusable: [...list.querySelectorAll('[role=tab]')].filter((t) => t.tabIndex === 0).length,
      diagram: shown('.diagram-pane'), details: shown('#details'), world: shown('#world'),
    };
  });
}

/** In the page: where the diagram's pane ends and how tall the page is (a phone's diagram tab
 * ended ~70 px above the screen's bottom edge, white below, when its height was 100vh - 12rem). */
const paneToBottom = () => [Math.round(document.querySelector('.diagram-pane').getBoundingClientRect().bottom), document.documentElement.scrollHeight];

test('phone: the diagram and the panels are tabs, by mouse and by keyboard; the step controls stay', async (t) => {
  const page = await open(t, '#/scenario/starttls-auth/step/12', SIZES[3]);
  let s = await tabs(page);
  assert.deepEqual(s.names, ['Diagram', 'Details', 'Try it', 'World', 'Transcript']);
  assert.equal(s.chosen, 'Diagram');
  assert.equal(s.focusable, 1, 'one tab in the tab order');
  assert.ok(s.diagram && !s.details && !s.world, 'the diagram alone');
  assert.deepEqual(await page.evaluate(paneToBottom), [SIZES[3].height, SIZES[3].height], 'the diagram fills the screen below the controls, the page one screen tall');
  const panel = await page.getAttribute('#panel-details', 'role');
  assert.equal(panel, 'tabpanel');
  assert.equal(await page.getAttribute('#panel-details', 'aria-labelledby'), 'tab-details');
  await page.click('#tab-details');
  s = await tabs(page);
  assert.ok(!s.diagram && s.details && !s.world, 'the details alone');
  assert.match(await page.textContent('#details h2'), /^Step 12: /);
  // The step controls work from the details tab.
  await page.click('#next');
  await page.waitForFunction(() => /^Step 13: /.test(document.querySelector('#details h2').textContent));
  // Keyboard: → moves to the next tab (and focuses it) without stepping; Home, End.
  await page.focus('#tab-details');
  await page.keyboard.press('ArrowRight');
  s = await tabs(page);
  assert.equal(s.chosen, 'Try it');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-learn');
  assert.match(await page.textContent('#position'), /^step 13 /, 'the arrow key moved the tab, not the step');
  await page.keyboard.press('ArrowRight');
  assert.equal((await tabs(page)).chosen, 'World');
  assert.ok((await tabs(page)).world);
  await page.keyboard.press('End');
  assert.equal((await tabs(page)).chosen, 'Transcript');
  assert.ok(await page.isVisible('#transcript li.current'), 'the transcript tab opens the transcript');
  await page.keyboard.press('ArrowRight');
  assert.equal((await tabs(page)).chosen, 'Diagram', 'wraps around');
  assert.ok((await tabs(page)).diagram);
  assert.ok(await page.isVisible('#arrow-13.current'), 'the diagram shows the step');
  assert.deepEqual(await page.evaluate(problems), [], 'nothing overflows');
  // Scrolled down a long panel, the controls are still on screen.
  await page.click('#tab-details');
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const box = await page.locator('#next').boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= SIZES[3].height, 'the step controls stay on screen');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(OUT, 'screen-phone-details.png') });
});

test('tablet and desktop: no tabs, the panels beside or below the diagram', async (t) => {
  for (const size of [SIZES[0], SIZES[2]]) {
    const page = await open(t, '#/scenario/starttls-auth/step/12', size);
    assert.equal(await tabs(page), null, `${size.name}: no tab list`);
    assert.ok(await page.isVisible('#details') && await page.isVisible('.diagram-pane'));
    assert.equal(await page.getAttribute('#panel-details', 'role'), null, 'no tab panel roles without tabs');
  }
});

test('phone: the live view has the same tabs', async (t) => {
  // No mailsim serve here: the view opens and waits for its stream.
  const page = await browser.newPage({ viewport: { width: SIZES[3].width, height: SIZES[3].height } });
  t.after(() => page.close());
  await page.goto(server.url + '?token=0#/live');
  await page.waitForSelector('#live-status');
  const s = await tabs(page);
  assert.deepEqual(s.names, ['Diagram', 'Details', 'World', 'Transcript']);
  assert.deepEqual(await page.evaluate(paneToBottom), [SIZES[3].height, SIZES[3].height], 'the diagram fills the screen below the controls');
  await page.click('#tab-world');
  assert.ok((await tabs(page)).world && !(await tabs(page)).diagram);
  assert.deepEqual(await page.evaluate(problems), [], 'nothing overflows');
  for (const id of ['#live-toggle', '#prev', '#next', '#position']) {
    const box = await page.locator(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= SIZES[3].width && box.y + box.height <= SIZES[3].height, `${id} is on screen`);
  }
  await page.screenshot({ path: path.join(OUT, 'screen-phone-live.png') });
});

test('phone: a deep link shows its step\'s arrow on the screen (down and sideways), in the playground and in an activity', async (t) => {
  const phone = SIZES.find((s) => s.name === 'phone');
  for (const url of ['#/scenario/reply-codes/step/43', '#/activity/reply-codes-transient/item/1']) {
    const page = await open(t, url, phone);
    await page.waitForSelector('#arrow-43 line', { state: 'attached' });
    // The pane is measured after the first draw; the scroll follows that measure.
    await page.waitForTimeout(500);
    const seen = await page.evaluate(() => {
      const line = document.querySelector('#arrow-43 line').getBoundingClientRect();
      const pane = document.querySelector('.diagram').getBoundingClientRect();
      const top = Math.max(pane.top, 0), bottom = Math.min(pane.bottom, window.innerHeight);
      const left = Math.max(pane.left, 0), right = Math.min(pane.right, window.innerWidth);
      return { line: [line.left, line.top, line.right, line.bottom], view: [left, top, right, bottom] };
    });
    const [l, tp, r, b] = seen.line, [vl, vt, vr, vb] = seen.view;
    assert.ok(tp >= vt && b <= vb, `${url}: the arrow is on the screen vertically: ${JSON.stringify(seen)}`);
    assert.ok(l >= vl - 1 && r <= vr + 1, `${url}: the arrow is on the screen sideways: ${JSON.stringify(seen)}`);
  }
});

test('1,440×900: six lanes (two devices, POP3 and IMAP) fit the pane, every phase\'s name in view without scrolling sideways', async (t) => {
  const page = await open(t, '#/scenario/two-devices/step/20', SIZES[0]);
  await page.waitForSelector('.diagram-body .phase', { state: 'attached' });
  const found = await page.evaluate(() => {
    const pane = document.querySelector('.diagram');
    const seen = pane.getBoundingClientRect();
    const cut = [...document.querySelectorAll('.diagram-body .phase')].map((p) => p.getBoundingClientRect())
      .filter((b) => b.right > seen.left + pane.clientWidth + 0.5).length;
    return { scroll: pane.scrollWidth - pane.clientWidth, cut };
  });
  assert.equal(found.scroll, 0, 'no sideways scrolling');
  assert.equal(found.cut, 0, 'no phase name cut at the pane\'s edge');
});

test('every screen: the SMTP phases\' names lie clear of the arrows and are whole (boxes)', async (t) => {
  for (const size of SIZES) {
    const page = await open(t, '#/scenario/starttls-auth/step/12', size);
    await page.waitForSelector('.diagram-body .phase', { state: 'attached' });
    const found = await page.evaluate(() => {
      const box = (el) => el.getBoundingClientRect();
      const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
      const svg = box(document.querySelector('.diagram-body svg.rows'));
      const parts = [...document.querySelectorAll('.diagram-body .arrow line, .diagram-body .arrow .label, .diagram-body .arrow .port, .diagram-body .lifeline')];
      const phases = [...document.querySelectorAll('.diagram-body .phase')];
      const over = [];
      for (const p of phases) {
        const b = box(p);
        if (b.right > svg.right + 0.5) over.push(`${p.textContent} is cut at the diagram's edge`);
        for (const q of parts) {
          if (meet(b, box(q))) over.push(`${p.textContent} (${Math.round(b.left)}–${Math.round(b.right)}) over ${q.getAttribute('class') || q.tagName} "${q.textContent}" (${Math.round(box(q).left)}–${Math.round(box(q).right)})`);
        }
      }
      return { phases: phases.length, size: parseFloat(getComputedStyle(phases[0]).fontSize), over: over.slice(0, 5) };
    });
    assert.ok(found.phases >= 3, `${size.name}: phases drawn (${found.phases})`);
    assert.ok(found.size >= 10, `${size.name}: readable (${found.size} px)`);
    assert.deepEqual(found.over, [], `${size.name}: no phase name over an arrow, its label or a lifeline`);
    if (size.name === 'phone') await page.screenshot({ path: path.join(OUT, 'screen-phone-phases.png') });
  }
});

test('phone: the rows that scroll sideways fade out where they are cut, and their last control, scrolled to, is clear of the fade', async (t) => {
  for (const url of ['#/scenario/alice-to-bob/step/12', '?token=0#/live']) {
    // (No mailsim serve here: the live view opens and waits for its stream, whose 404s are expected.)
    const live = url.includes('live');
    const page = live ? await browser.newPage({ viewport: { width: SIZES[3].width, height: SIZES[3].height } }) : await open(t, url, SIZES[3]);
    if (live) {
      t.after(() => page.close());
      await page.goto(server.url + url);
      await page.waitForSelector('#live-status');
    }
    const rows = await page.evaluate(() => ['.top', '.controls', '.view-bar', '.tabs-bar'].flatMap((s) => [...document.querySelectorAll(s)]).map((row) => {
      row.scrollLeft = row.scrollWidth;
      const box = row.getBoundingClientRect();
      const right = Math.max(...[...row.children].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0).map((r) => r.right));
      const cut = row.scrollWidth > row.clientWidth + 1;
      return { row: `${row.className}`, cut, mask: getComputedStyle(row).maskImage ?? getComputedStyle(row).webkitMaskImage, clear: box.right - right };
    }));
    assert.ok(rows.some((r) => r.cut), `${url}: some row is cut at 390 px: ${JSON.stringify(rows)}`);
    for (const r of rows.filter((x) => x.cut)) {
      assert.match(r.mask, /linear-gradient/, `${url}: ${r.row} fades where it is cut`);
      // The fade is 1.5rem (24 px): at the end of the row its last control lies before it.
      assert.ok(r.clear >= 23, `${url}: ${r.row}'s last control ends ${r.clear} px before the edge`);
    }
  }
});

// End-to-end: in-class activities, driven through the page like a learner, a presenter and an
// instructor would. The scripted learner completes EVERY built-in activity the page lists:
// each item is driven by its kind (a wrong answer first, to see its feedback, then the right
// one), and each task is really done in the playground UI (compose, terminal, faults) by a
// recipe picked by the task's check kind (tests/e2e/activity-recipes.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { solveTask } from './activity-recipes.mjs';

const ROOT = process.env.MAILSIM_DIST || DIST;
const CODE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/;

const pw = useBrowser({ root: ROOT });
/** A fresh browser context (its own localStorage) and a page that fails the test on errors. */
const open = (t, url = '', viewport = undefined) => pw.open(t, url, { viewport, ready: '.app', fresh: true });

async function goto(page, url) {
  await page.goto(pw.server.url + url);
  await page.waitForSelector('.app');
}

const hash = (page) => page.evaluate(() => location.hash);
const arrows = (page) => page.locator('.arrow').count();
const text = (page, sel) => page.textContent(sel);

/** The built-in activities, as the list page shows them: [{ id, items }]. */
async function listed(page) {
  await goto(page, '#/activities');
  await page.waitForSelector('#activity-list .card');
  return page.$$eval('#activity-list .card', (cs) => cs.map((c) => ({
    id: c.dataset.activity,
    items: Number(c.querySelector('.meta').textContent.match(/^(\d+) items/)[1]),
    goals: c.querySelectorAll('.goals li').length,
  })));
}

/** Presenter mode, item by item (→), revealing each (R): the answer key the page reveals. */
async function answerKey(page, id, items) {
  await goto(page, `?present=1#/activity/${id}/item/1`);
  const keys = [];
  for (let n = 1; n <= items; n++) {
    await page.waitForFunction((x) => document.querySelector('#item')?.dataset.item === String(x), n);
    assert.equal(await hash(page), `#/activity/${id}/item/${n}`);
    const kind = await page.getAttribute('#item', 'data-kind');
    assert.equal(await page.locator('#revealed, [data-right], #expected, .feedback').count(), 0, `${id} ${n}: nothing revealed before R`);
    assert.equal(await page.locator('#item input, #submit').count(), 0, `${id} ${n}: the presenter gets no answer form`);
    const step = (await page.locator('.at-step').count()) ? Number((await text(page, '.at-step')).replace('at step ', '')) : null;
    if (kind === 'predict') {
      assert.equal(await arrows(page), step, `${id} ${n}: nothing after step ${step} is drawn`);
      assert.ok(await page.isVisible('#hidden-note'));
    }
    await page.keyboard.press('r');
    await page.waitForSelector('#revealed');
    const key = await page.evaluate(() => ({
      right: [...document.querySelectorAll('[data-right="true"]')].map((e) => Number(e.dataset.choice)),
      accepted: [...document.querySelectorAll('[data-accepted]')].map((e) => e.dataset.accepted),
      patterns: [...document.querySelectorAll('[data-pattern]')].map((e) => e.dataset.pattern),
      expected: document.querySelector('#expected')?.textContent,
      choices: document.querySelectorAll('#item .choice').length,
      hint: false,
    }));
    if (kind === 'predict') assert.ok((await arrows(page)) > step, `${id} ${n}: revealed, the next message is drawn`);
    keys.push({ kind, step, ...key });
    await page.keyboard.press('ArrowRight');
  }
  await page.waitForSelector('#summary');
  return keys;
}

/** A string that a simple /pattern/ accepts: the first alternative of each group, one of
 * each repeat, the first character of each class (enough for what instructors write). */
export function example(pattern) {
  assert.ok(pattern !== undefined, 'a short item has an accepted answer');
  const alt = (s) => { let depth = 0; for (let i = 0; i < s.length; i++) { const c = s[i]; if (c === '\\') i++; else if (c === '(' || c === '[') depth++; else if (c === ')' || c === ']') depth--; else if (c === '|' && depth === 0) return s.slice(0, i); } return s; };
  const gen = (s) => {
    s = alt(s);
    let out = '';
    for (let i = 0; i < s.length; i++) {
      let piece; const c = s[i];
      if (c === '\\') { const e = s[++i]; piece = { d: '0', w: 'a', s: ' ' }[e] ?? e; }
      else if (c === '(') { let depth = 1, j = i + 1; for (; depth; j++) { if (s[j] === '\\') j++; else if (s[j] === '(') depth++; else if (s[j] === ')') depth--; } piece = gen(s.slice(i + 1, j - 1).replace(/^\?:/, '')); i = j - 1; }
      else if (c === '[') { const j = s.indexOf(']', i + 2); piece = s[i + 1] === '^' ? 'z' : s[i + 1]; i = j; }
      else if (c === '.') piece = 'a';
      else if ('^$'.includes(c)) piece = '';
      else piece = c;
      const q = s[i + 1];
      if (q === '?' || q === '*') { piece = ''; i++; } else if (q === '+') i++; else if (q === '{') { const j = s.indexOf('}', i); piece = piece.repeat(Number(s.slice(i + 2, j).split(',')[0])); i = j; }
      out += piece;
    }
    return out;
  };
  return gen(pattern);
}

async function submitWith(page, how) {
  if (how === 'enter') await page.keyboard.press('Enter');
  else await page.click('#submit');
  await page.waitForSelector('#feedback');
}

/** Picks choices (by index) in the open item. */
async function pick(page, indices) {
  for (const i of indices) await page.check(`#choice-${i}`);
}

/** Answers item n (1-based) of the open activity; returns whether it should count as right. */
async function answerItem(t, page, id, n, key, { wrongPredict }) {
  const where = `${id} item ${n} (${key.kind})`;
  await page.waitForFunction((x) => document.querySelector('#item')?.dataset.item === String(x), n);
  if (await page.locator('#hint-btn').count()) {
    await page.click('#hint-btn');
    assert.ok(await page.isVisible('#hint'), `${where}: the hint opens`);
  }
  const expectFeedback = async (right) => {
    const fb = page.locator('#feedback');
    assert.equal(await fb.getAttribute('data-correct'), String(right), `${where}: ${await fb.textContent()}`);
  };
  switch (key.kind) {
    case 'choice':
    case 'multi': {
      const count = await page.locator('#item input[id^="choice-"]').count();
      assert.equal(count, key.choices, `${where}: as many choices as the presenter saw`);
      const wrong = [...Array(count).keys()].find((i) => !key.right.includes(i));
      assert.ok(key.right.length > 0, `${where}: the reveal marked the right choices`);
      if (wrong !== undefined) {
        await pick(page, [wrong]);
        await page.focus(`#choice-${wrong}`);
        await submitWith(page, 'enter');  // Enter on a radio button or check box submits
        await expectFeedback(false);
        assert.match(await text(page, '#feedback .verdict'), /Not quite/);
        assert.ok(await page.locator('#feedback .choice.right, .choice.right').count() > 0, `${where}: the right answer is shown`);
        await page.click('#retry');
      }
      // The previous picks stay (to adjust them); set exactly the right ones.
      for (let i = 0; i < key.choices; i++) {
        if (key.kind === 'multi' && !key.right.includes(i)) await page.uncheck(`#choice-${i}`);
      }
      await pick(page, key.kind === 'choice' ? [key.right[0]] : key.right);
      await submitWith(page, 'click');
      await expectFeedback(true);
      return true;
    }
    case 'short': {
      const answer = key.accepted[0] ?? example(key.patterns[0]);
      await page.fill('#answer', 'certainly not this');
      await submitWith(page, 'enter');
      await expectFeedback(false);
      assert.match(await text(page, '#feedback'), /"certainly not this" is not what we were looking for/);
      await page.click('#retry');
      await page.fill('#answer', `  ${answer.toUpperCase()} `);
      await submitWith(page, 'enter');
      await expectFeedback(true);
      return true;
    }
    case 'predict': {
      assert.equal(await arrows(page), key.step, `${where}: hidden after step ${key.step}, not faded`);
      assert.equal(await page.locator('.arrow.future').count(), 0, `${where}: no faded future`);
      assert.ok(await page.isDisabled('#next'), `${where}: no stepping into the hidden part`);
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('ArrowRight');
      assert.match(await text(page, '#position'), new RegExp(`^step ${key.step} of \\d+$`));
      const choices = await page.locator('#item .choice').count();
      if (choices) {
        const wrong = [...Array(choices).keys()].find((i) => !key.right.includes(i));
        await pick(page, [wrongPredict && wrong !== undefined ? wrong : key.right[0]]);
        await submitWith(page, 'click');
      } else {
        await page.fill('#answer', wrongPredict ? 'XYZZY' : key.expected.toLowerCase());
        await submitWith(page, 'enter');
      }
      const right = !wrongPredict || (choices > 0 && ![...Array(choices).keys()].some((i) => !key.right.includes(i)));
      await expectFeedback(right);
      if (!right) assert.match(await text(page, '#feedback'), /Not quite: you said .*; the next message is/);
      assert.ok((await arrows(page)) > key.step, `${where}: revealed after answering`);
      assert.equal(await page.getAttribute('.arrow.current', 'data-step'), String(key.step + 1), `${where}: the next message is current`);
      assert.ok(await page.locator('#feedback .explain').count(), `${where}: explained`);
      return right;
    }
    case 'discuss': {
      assert.equal(await page.locator('#feedback').count(), 0);
      await page.click('#reveal-model');
      await page.waitForSelector('#feedback .model');
      return true;
    }
    case 'task': {
      assert.ok(await page.isVisible('#learn'), `${where}: the playground is at hand`);
      assert.ok(await page.$eval('#learn', (d) => d.open), `${where}: and open`);
      const check = JSON.parse(await page.getAttribute('.goal', 'data-check'));
      const status = page.locator('#task-status');
      if ((await status.getAttribute('data-done')) !== 'true') {
        assert.match(await status.textContent(), /^Not yet: /, `${where}: not done before acting`);
        await solveTask(page, check);
      }
      await page.waitForSelector('#task-status[data-done="true"]', { timeout: 10_000 }).catch(async () => {
        assert.fail(`${where}: ${JSON.stringify(check)} not done: ${await status.textContent()}`);
      });
      assert.match(await status.textContent(), /^Done/);
      await expectFeedback(true);
      return true;
    }
    default:
      assert.fail(`${where}: unknown kind`);
  }
}

test('the list shows every built-in activity with its goals, items and progress', async (t) => {
  const page = await open(t, null);
  const acts = await listed(page);
  assert.ok(acts.length >= 12, `${acts.length} activities`);
  assert.ok(acts.reduce((s, a) => s + a.items, 0) >= 40, 'at least 40 items');
  for (const a of acts) assert.ok(a.goals >= 1, `${a.id} names the goals it serves`);
  assert.match(await text(page, `#card-${acts[0].id} .progress-text`), /not started/);
  // Filter by a learning goal.
  const goals = await page.$$eval('#goal-filter option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(goals.length >= 6, 'the lecture\'s six goals (and more)');
  await page.selectOption('#goal-filter', goals[0]);
  const shown = await page.locator('#activity-list .card').count();
  assert.ok(shown >= 1 && shown <= acts.length);
  // The playground links here.
  await goto(page, '#/scenario/alice-to-bob/step/1');
  await page.click('#to-activities');
  await page.waitForSelector('#activity-list');
  await page.screenshot({ path: path.join(OUT, 'activities-list-1440x900.png') });
});

// Two activities at a time, each in a browser context of its own (its own storage): the 30
// activities took 150 s one by one, a quarter of the browser tests (CI of 62ab74a).
test('a scripted learner completes every built-in activity through the UI', { concurrency: 2 }, async (t) => {
  const probe = await open(t, null);
  // MAILSIM_ACTIVITIES=a,b runs only those (while writing one); the suite runs them all.
  const only = process.env.MAILSIM_ACTIVITIES?.split(',');
  const acts = (await listed(probe)).filter(({ id }) => !only || only.includes(id));
  await Promise.all(acts.map(({ id, items }) =>
    t.test(id, async (t) => {
      const page = await open(t, null);
      const keys = await answerKey(page, id, items);
      await goto(page, `#/activity/${id}`);
      await page.waitForSelector('#intro');
      assert.equal(await page.locator('#intro .item-list li').count(), items);
      await page.click('#next-item');
      let right = 0;
      let wrongPredict = true;  // the first prediction of each activity is answered wrong
      for (let n = 1; n <= items; n++) {
        const key = keys[n - 1];
        const ok = await answerItem(t, page, id, n, key, { wrongPredict: key.kind === 'predict' && wrongPredict });
        if (key.kind === 'predict') wrongPredict = false;
        if (ok && key.kind !== 'discuss') right++;
        assert.match(await page.locator('.item-pill').nth(n - 1).getAttribute('class'), /\b(right|wrong)\b/, `${id} ${n}: the item bar shows it done`);
        await page.click('#next-item');
      }
      await page.waitForSelector('#summary');
      assert.equal(await hash(page), `#/activity/${id}/summary`);
      const graded = keys.filter((k) => k.kind !== 'discuss').length;
      assert.equal(await text(page, '#score'), `${right} of ${graded}`);
      assert.equal(await page.locator('#incomplete').count(), 0, 'every item done');
      assert.equal(await page.locator('table.per-item tr.open').count(), 0);
      const code = (await text(page, '#completion-code')).trim();
      assert.match(code, CODE);
      await page.reload();
      await page.waitForSelector('#completion-code');
      assert.equal((await text(page, '#completion-code')).trim(), code, 'the code survives a reload');
      await goto(page, '#/activities');
      assert.match(await text(page, `#card-${id} .progress-text`), new RegExp(`^${items} of ${items} done, ${right} of ${graded} right`));
      assert.equal(await text(page, `#open-${id}`), 'Review');
    })));
});

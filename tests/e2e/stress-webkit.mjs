// A long run of its own (not in the test command): the WebKit tests' path through the page
// (tests/e2e/engines.test.mjs: a scenario stepped by key and button, the playground's terminal
// with an SMTP session typed, then the activities by the header's link, which hands the player
// over to the full page), again and again in one WebKit, on a new document each time, and
// every page error reported: a fault that shows once in a hundred runs, under load, shows here.
//
//   node tests/e2e/stress-webkit.mjs [RUNS]      (default 100; DIST=dir for another build)
//
// Found this way (session 23): a chunk of the diagram drawn with a layout newer than its
// props (src/diagram/rows.rs), a panic once in about 100 runs with two other runs beside it.
// Exits 1 on the first page error, with what the page said and the step it was at. Steps that
// only time out (a typed line's reply later than 15 s on a loaded machine: the playground
// replays every action typed so far, and the runs add up) are counted, not failures.
import { serveDist } from './serve-dist.mjs';
import { DIST } from './bundle-size.mjs';
import { webkit } from './engines.mjs';

const runs = Number(process.argv[2] || 100);
const site = await serveDist(process.env.DIST || DIST);
const b = await webkit();
/** Until the position reads `re` (a regular expression's source). */
const position = (re, what) => b.until((r) => new RegExp(r).test(document.querySelector('#position')?.textContent ?? ''), what, { args: [re] });
let slow = 0;
let failed = null;
for (let i = 0; i < runs && !failed; i++) {
  // A pause before the click on "Activities" (ms): at once, or after the page settled.
  const pause = [0, 0, 10, 30, 100, 300][i % 6];
  let at = 'start';
  const step = async (what, fn) => { at = what; await fn(); };
  try {
    await step('step 12', async () => {
      await b.goto(`${site.url}?run=${i}#/scenario/alice-to-bob/step/12`);
      await position('^step 12 of', 'step 12');
    });
    await step('→ and Back', async () => {
      await b.eval(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
      await b.press('ArrowRight');
      await position('^step 13 of', 'step 13');
      await b.click('#prev');
      await position('^step 12 of', 'step 12 again');
    });
    await step('the terminal', async () => {
      await b.goto(`${site.url}?run=${i}#/scenario/playground/step/0`);
      await position('^step 0 of', 'the playground');
      await b.eval(() => { if (!document.querySelector('#learn').open) document.querySelector('#learn summary').click(); return true; });
      await b.click('#tab-terminal');
      await b.until(() => !!document.querySelector('#t-open'), 'the terminal tab');
      await b.click('#t-open');
      await b.until(() => /S: 220 /.test(document.querySelector('#t-out')?.textContent ?? ''), 'the greeting');
      await b.type('#t-line', 'EHLO student.example\n');
      await b.until(() => /S: 250[- ]/.test(document.querySelector('#t-out').textContent), 'the reply to EHLO');
    });
    await step('the activities', async () => {
      await b.goto(`${site.url}?run=${i}#/scenario/alice-to-bob/step/5`);
      if (pause) await new Promise((r) => setTimeout(r, pause));
      await b.click('#to-activities');
      await b.until(() => document.querySelectorAll('#activity-list .card').length > 5, 'the activities\' list', { timeout: 30000 });
    });
  } catch (e) {
    if (/timed out/.test(e.message)) slow += 1;
    else throw e;
    console.log(`run ${i}: ${at}: ${e.message}`);
  }
  await b.eval(() => true).catch(() => {});
  if (b.errors().length) failed = { i, at, errors: b.errors() };
  else if (i % 10 === 9) console.log(`${i + 1} runs, no page error (${slow} timed out)`);
}
await b.close();
await site.close();
if (!failed && slow > runs / 2) {
  console.log(`${slow} of ${runs} runs timed out: the page does not do what the run expects`);
  process.exit(1);
}
if (failed) {
  console.log(`run ${failed.i}, at ${failed.at}: the page said\n${failed.errors.join('\n')}`);
  process.exit(1);
}
console.log(`${runs} runs in WebKit: no page error; ${slow} steps timed out`);

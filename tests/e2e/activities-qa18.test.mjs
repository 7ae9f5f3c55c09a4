// qa18act: activities an instructor writes as files (an activity beside its own scenario file,
// linked with ?activity=URL&embed=1) and a student does them: a Cc typed by hand over
// submission is done in every form RFC 5322 allows for the address, and a prediction copied
// from the terminal's lines (a 250- continuation, a full stop) is read as the
// verb or code. Screenshots go to tests/e2e/out/.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, OUT } from './browser.mjs';
import { DIST } from './bundle-size.mjs';
import { openTerminal } from './terminal.mjs';

const ROOT = process.env.MAILSIM_DIST || DIST;
const FILES = path.join(ROOT, 'test-qa18');

const LAB = `[scenario]
id = "cc-lab"
title = "A Cc by hand"
summary = "Alice's laptop, her server on 587, Bob and Carol at bob.example"

[actor.bob-server]
accounts = ["bob@bob.example", "carol@bob.example"]
`;

const CC = `[activity]
id = "cc-by-hand"
title = "A carbon copy, by hand"
scenario = "cc-lab.toml"

[[item]]
kind = "task"
prompt = "Over **submission** (port 587 of Alice's server), send Bob a message with Carol in **Cc**, typing every line."
check = { kind = "copy-delivered", mailbox = "carol@bob.example", copy = "cc" }
explain = "The Cc: line is only text (RFC 5322 §3.6.3); the RCPT TO for Carol delivered it (RFC 5321 §3.3)."
`;

const EHLO = `[activity]
id = "ehlo-reply"
title = "The answer to EHLO"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 2
prompt = "Alice's UA has sent EHLO. What does the server answer?"
`;

before(() => {
  fs.mkdirSync(FILES, { recursive: true });
  fs.writeFileSync(path.join(FILES, 'cc-lab.toml'), LAB);
  fs.writeFileSync(path.join(FILES, 'cc-by-hand.toml'), CC);
  fs.writeFileSync(path.join(FILES, 'ehlo.toml'), EHLO);
});
after(() => fs.rmSync(FILES, { recursive: true, force: true }));
const pw = useBrowser({ root: ROOT });
const open = (t, url) => pw.open(t, url, { viewport: { width: 1024, height: 600 }, ready: '.app', fresh: true });

const typed = (cc) => ['EHLO laptop', 'MAIL FROM:<alice@alice.example>', 'RCPT TO:<bob@bob.example>', 'RCPT TO:<carol@bob.example>',
  'DATA', 'To: bob@bob.example', cc, 'Subject: by hand', '', 'Hello', '.', 'QUIT'];

for (const [cc, done] of [
  ['Cc: carol@bob.example (Carol Jones)', true],
  ['Cc: friends: carol@bob.example;', true],
  ['Cc: dave@bob.example', false],
]) {
  test(`a Cc typed by hand over submission, "${cc}": ${done ? 'done' : 'not done, and says why'}`, async (t) => {
    const page = await open(t, '?activity=test-qa18/cc-by-hand.toml&embed=1#/activity/cc-by-hand/item/1');
    await page.waitForSelector('#task-status');
    await openTerminal(page, 'alice-ua', 'mail.alice.example', 587);
    for (const line of typed(cc)) {
      await page.fill('#t-line', line);
      await page.press('#t-line', 'Enter');
      await page.waitForFunction(() => document.querySelector('#t-line')?.value === '');
    }
    await page.waitForFunction(() => /221 /.test(document.querySelector('#t-out')?.textContent ?? ''));
    if (done) {
      await page.waitForSelector('#task-status[data-done="true"]');
      assert.equal(await page.textContent('#task-status'), 'Done: carol@bob.example got your message "by hand" as a Cc.');
      await page.screenshot({ path: path.join(OUT, `qa18-cc-${cc.includes('(') ? 'comment' : 'group'}.png`) });
    } else {
      // Bob's server stores Carol's copy after the relay: wait for it, then read the hint.
      await page.waitForFunction(() => /not in the Cc: line/.test(document.querySelector('#task-status')?.textContent ?? ''));
      assert.equal(await page.getAttribute('#task-status', 'data-done'), 'false');
    }
  });
}

test('a prediction copied from the terminal\'s lines is read as the reply code', async (t) => {
  for (const [given, right] of [['S: 250-mail.alice.example greets laptop.alice.example', true], ['250.', true], ['251-x', false],
    // In quotes, or the side glued on as some slides print it (session 19).
    ['“250”', true], ['S:250 mail.alice.example', true], ['"251"', false]]) {
    const page = await open(t, '?activity=test-qa18/ehlo.toml&embed=1#/activity/ehlo-reply/item/1');
    await page.waitForSelector('#answer');
    assert.equal(await page.locator('.arrow').count(), 2, 'the future is hidden before the prediction');
    await page.fill('#answer', given);
    await page.press('#answer', 'Enter');
    await page.waitForSelector('#feedback');
    assert.equal(await page.getAttribute('#feedback', 'data-correct'), String(right), `${given}: ${await page.textContent('#feedback')}`);
  }
});

test('an activity of one item says "1 item", on its first page and in the list', async (t) => {
  const page = await open(t, '?activity=test-qa18/ehlo.toml&embed=1#/activity/ehlo-reply');
  await page.waitForSelector('.meta');
  assert.match(await page.textContent('.meta'), /^1 item \(1 predict\) on the scenario/);
  await page.evaluate(() => { location.hash = '#/activities'; });
  await page.waitForSelector('#card-ehlo-reply .meta');
  assert.match(await page.textContent('#card-ehlo-reply .meta'), /^1 item: 1 predict · scenario/);
});

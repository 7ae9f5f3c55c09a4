// The page's terminal (Learn → Terminal) driven as a learner types into it.
import assert from 'node:assert/strict';

/** Opens a session from `client` to `host`:`port` in the terminal tab. */
export async function openTerminal(page, client, host, port) {
  if (!(await page.locator('#tab-terminal').isVisible())) await page.click('#learn summary');
  await page.click('#tab-terminal');
  await page.selectOption('#t-client', client);
  await page.selectOption('#t-host', host);
  await page.selectOption('#t-port', String(port));
  await page.click('#t-open');
  await page.waitForSelector('#t-line');
}

/**
 * Types `line`, waits for the server's next reply (its `S:` lines; all of an IMAP command's
 * untagged and tagged lines arrive as one response), checks the page did not stop, and
 * returns the transcript from the typed line on, checked against `expect` when given.
 */
export async function typeLine(page, line, expect) {
  const before = await page.$eval('#t-out', (el) => (el.textContent.match(/S: /g) || []).length);
  await page.fill('#t-line', line);
  await page.press('#t-line', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#crashed')
    || (document.querySelector('#t-out').textContent.match(/S: /g) || []).length > n, before, { timeout: 20000 });
  const shown = JSON.stringify(line.slice(0, 60));
  assert.equal(await page.locator('#crashed').count(), 0, `the page did not stop after ${shown}`);
  const out = await page.textContent('#t-out');
  const tail = out.slice(out.lastIndexOf('C: '));
  if (expect) assert.match(tail, expect, `reply to ${shown}`);
  return tail;
}

// How a scripted learner does each kind of task in the playground UI ("Try it yourself":
// compose, terminal, faults), keyed by the task's check kind (the `data-check` of the task
// panel: the core's `Check` as JSON). They mirror the core's native solutions
// (crates/sim/tests/activities.rs, `solve`), done with clicks and typing instead of actions.
// A check kind or reply with no recipe fails loudly: add one here.
import assert from 'node:assert/strict';
import { openTerminal } from './terminal.mjs';

const domain = (mailbox) => mailbox.split('@')[1];
const local = (mailbox) => mailbox.split('@')[0];
const host = (mailbox) => `mail.${domain(mailbox)}`;
const server = (mailbox) => `${domain(mailbox).split('.')[0]}-server`;
const password = (user) => `${user}-pw`;

/** A message typed by hand over SMTP (with a From: that is, or is not, the envelope's). */
function bySmtp(rcpt, { from = 'Alice <alice@alice.example>', subject = 'typed by hand' } = {}) {
  return ['HELO laptop', 'MAIL FROM:<alice@alice.example>', `RCPT TO:<${rcpt}>`, 'DATA',
    `From: ${from}`, `To: <${rcpt}>`, `Subject: ${subject}`, '', 'Hello, I typed this.', '.', 'QUIT'];
}

/** Opens a terminal session and types `lines`, one Enter each. */
export async function terminal(page, client, hostName, port, lines) {
  await openTerminal(page, client, hostName, port);
  for (const line of lines) {
    await page.fill('#t-line', line);
    await page.press('#t-line', 'Enter');
    await page.waitForFunction(() => document.querySelector('#t-line')?.value === '');
  }
}

/** Writes and sends a message with the composer. */
export async function compose(page, { from = 'alice', to, cc = '', bcc = '', subject, read = 'none' }) {
  await page.click('#tab-compose');
  await page.selectOption('#c-from', from);
  await page.fill('#c-to', to);
  await page.fill('#c-cc', cc);
  await page.fill('#c-bcc', bcc);
  await page.fill('#c-subject', subject);
  await page.selectOption('#c-read', read);
  const before = await page.locator('.arrow').count();
  await page.click('#c-send');
  await page.waitForFunction((n) => document.querySelectorAll('.arrow').length !== n, before);
}

export async function fault(page, id) {
  await page.click('#tab-faults');
  const before = await page.locator('.arrow').count();
  await page.click(`#${id}`);
  await page.waitForTimeout(50);
  return before;
}

/** The lines that make a server of `protocol` answer `code` (to `verb`, if given). */
function replyLines(protocol, code, verb) {
  const v = verb?.toUpperCase();
  if (protocol === 'SMTP' || !protocol) {
    const tx = ['HELO laptop', 'MAIL FROM:<alice@alice.example>'];
    if (!v) {
      if (/^2/.test(code)) return code === '221' ? ['HELO laptop', 'QUIT'] : ['HELO laptop'];
      if (/^3/.test(code)) return [...tx, 'RCPT TO:<bob@bob.example>', 'DATA'];
      if (/^4/.test(code)) return [...tx, 'RCPT TO:<bob@bob.example>', 'QUIT'];
      if (/^55/.test(code)) return [...tx, 'RCPT TO:<nobody@bob.example>'];
      if (/^5/.test(code)) return ['HELO laptop', 'FOO'];
    }
    const good = code.startsWith('2') || code.startsWith('3');
    const byVerb = {
      HELO: ['HELO laptop'], EHLO: ['EHLO laptop'], MAIL: tx, QUIT: ['HELO laptop', 'QUIT'], NOOP: ['NOOP'], RSET: ['RSET'],
      RCPT: [...tx, good || code.startsWith('4') ? 'RCPT TO:<bob@bob.example>' : 'RCPT TO:<nobody@bob.example>'],
      DATA: good ? [...tx, 'RCPT TO:<bob@bob.example>', 'DATA'] : ['HELO laptop', 'DATA'],
    };
    if (byVerb[v]) return byVerb[v];
  }
  if (protocol === 'POP3') {
    const login = ['USER bob', `PASS ${password('bob')}`];
    if (code === '-ERR') return v === 'PASS' ? ['USER bob', 'PASS wrong'] : v === 'USER' ? ['USER nobody'] : ['FOO'];
    const args = { RETR: '1', DELE: '1', TOP: '1 0', LIST: '', STAT: '', UIDL: '', NOOP: '', RSET: '', QUIT: '', CAPA: '' };
    if (v === 'USER') return ['USER bob'];
    if (v === 'PASS') return login;
    if (v in args) return [...login, `${v} ${args[v]}`.trim()];
    if (!v) return login;
  }
  if (protocol === 'IMAP') {
    const login = ['a starttls', `b login bob ${password('bob')}`];
    if (code === 'NO') return v === 'LOGIN' || !v ? ['a starttls', 'b login bob wrong'] : [...login, `c ${v} nosuchbox`];
    if (code === 'BAD') return ['a FOO'];
    const args = { CREATE: 'Projects', DELETE: 'Trash', SELECT: 'INBOX', EXAMINE: 'INBOX', LIST: '"" *', LSUB: '"" *', STATUS: 'INBOX (MESSAGES)',
      NOOP: '', CAPABILITY: '', LOGOUT: '', FETCH: '1 body[]', STORE: '1 +FLAGS (\\Seen)', SEARCH: 'ALL', EXPUNGE: '', CLOSE: '', IDLE: '' };
    const selected = ['FETCH', 'STORE', 'SEARCH', 'EXPUNGE', 'CLOSE', 'IDLE'];
    if (v === 'STARTTLS') return ['a starttls'];
    if (v === 'MOVE') return [...login, 'c select inbox', 'd create Later', 'e move 1 Later'];
    if (v === 'LOGIN' || !v) return login;
    if (v in args) return [...login, ...(selected.includes(v) ? ['c select inbox'] : []), `d ${v.toLowerCase()} ${args[v]}`.trim()];
  }
  assert.fail(`no recipe makes ${protocol} answer ${code}${verb ? ` to ${verb}` : ''}: add one in activity-recipes.mjs`);
}

const PORT = { SMTP: 25, POP3: 110, IMAP: 143 };

/** Replies that only the reply-codes scenario's servers give: [host, port, lines]. */
const SMTP_SPECIAL = {
  '4xx MAIL': ['old.example', 25, ['EHLO laptop', 'MAIL FROM:<alice@alice.example> SIZE=2048']],
  '454 STARTTLS': ['mail.alice.example', 587, ['EHLO laptop', 'STARTTLS']],
  '554 RCPT': ['mail.bob.example', 25, ['HELO laptop', 'MAIL FROM:<alice@alice.example>', 'RCPT TO:<someone@carol.example>']],
  '535 AUTH': ['mail.alice.example', 587, ['EHLO laptop', 'AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAZ3Vlc3M=']],
  '252 VRFY': ['mail.bob.example', 25, ['EHLO laptop', 'VRFY bob']],
};

/** Bob's mailbox holds a message (for reading it over POP3 or IMAP). */
async function mailForBob(page) {
  await terminal(page, 'alice-ua', 'mail.bob.example', 25, bySmtp('bob@bob.example'));
}

const RECIPES = {
  'typed-message-delivered': (page, c) => terminal(page, 'alice-ua', host(c.mailbox), 25, bySmtp(c.mailbox)),
  'forged-from': (page, c) => terminal(page, 'alice-ua', host(c.mailbox), 25,
    bySmtp(c.mailbox, { from: `The Dean <dean@${domain(c.mailbox)}>`, subject: 'You passed' })),
  reply: async (page, c) => {
    const protocol = c.protocol ?? 'SMTP';
    // 530: submission without a login, from a network Alice's server does not trust.
    if (protocol === 'SMTP' && c.code === '530') {
      return terminal(page, 'alice-ua', 'mail.alice.example', 587, ['EHLO laptop', 'MAIL FROM:<alice@alice.example>']);
    }
    // The reply-codes scenario's servers (as crates/sim/tests/activities.rs `solve` does).
    const special = SMTP_SPECIAL[`${c.code} ${c.verb?.toUpperCase()}`];
    if (protocol === 'SMTP' && special) return terminal(page, 'alice-ua', ...special);
    // IMAP on 993: TLS from the first byte, so no STARTTLS before the login.
    if (protocol === 'IMAP' && c.port === 993) {
      return terminal(page, 'bob-ua', 'mail.bob.example', 993, ['a login bob bob-pw', 'b logout']);
    }
    // POP3 on 995: TLS from the first byte, so USER and PASS work at once.
    if (protocol === 'POP3' && c.port === 995) {
      return terminal(page, 'bob-ua', 'mail.bob.example', 995, [...replyLines(protocol, c.code, c.verb), 'QUIT']);
    }
    if (protocol === 'SMTP' && /^4/.test(c.code)) await fault(page, 'f-grey-bob-server');
    if (protocol !== 'SMTP' && ['RETR', 'TOP', 'DELE', 'FETCH', 'STORE', 'SEARCH', 'MOVE'].includes(c.verb?.toUpperCase())) await mailForBob(page);
    const [client, hostName] = protocol === 'SMTP' ? ['alice-ua', 'mail.bob.example'] : ['bob-ua', 'mail.bob.example'];
    await terminal(page, client, hostName, c.port ?? PORT[protocol], replyLines(protocol, c.code, c.verb));
  },
  typed: async (page, c) => {
    const code = { SMTP: '250', POP3: '+OK', IMAP: 'OK' }[c.protocol];
    if (c.protocol !== 'SMTP') await mailForBob(page);
    const client = c.protocol === 'SMTP' ? 'alice-ua' : 'bob-ua';
    await terminal(page, client, 'mail.bob.example', PORT[c.protocol], replyLines(c.protocol, code, c.verb));
  },
  'kept-after-pop3': async (page, c) => {
    await mailForBob(page);
    await terminal(page, 'bob-ua', host(c.mailbox), 110, [`USER ${local(c.mailbox)}`, `PASS ${password(local(c.mailbox))}`, 'RETR 1', 'QUIT']);
  },
  'told-of-new-mail': async (page, c) => {
    const user = local(c.mailbox);
    await terminal(page, `${user}-ua`, host(c.mailbox), 143, ['a starttls', `b login ${user} ${password(user)}`, 'c select inbox', 'd idle']);
    await compose(page, { to: c.mailbox, subject: 'News', read: 'none' });
  },
  'copy-delivered': (page, c) => {
    const to = c.mailbox === 'bob@bob.example' ? 'alice@alice.example' : 'bob@bob.example';
    return compose(page, { to, [c.copy]: c.mailbox, subject: c.copy === 'bcc' ? 'Psst' : 'FYI', read: 'none' });
  },
  'delivered-after-outage': async (page, c) => {
    const id = server(c.mailbox);
    await fault(page, `f-down-${id}`);
    const before = await page.locator('.arrow').count();
    await compose(page, { to: c.mailbox, subject: 'Are you there?', read: 'none' });
    // Step past the first failed attempt (the SYN nobody answers, then the retry's first
    // message), then bring the server back.
    const syn = await page.$$eval('.arrow', (as, n) => as.slice(n).find((a) => a.querySelector('.label').textContent.startsWith('SYN'))?.dataset.step, before);
    assert.ok(syn, 'a delivery attempt hits the server that is down');
    await page.click(`#arrow-${Number(syn) + 1}`);
    await fault(page, `f-up-${id}`);
  },
  connections: async (page, c) => {
    const read = { POP3: 'pop3-delete', IMAP: 'imap' }[c.protocol];
    const [from, to] = c.client === 'alice-ua' ? ['bob', 'alice@alice.example'] : ['alice', 'bob@bob.example'];
    for (let i = 0; i < c.at_least + 1; i++) {
      if ((await page.getAttribute('#task-status', 'data-done')) === 'true') return;
      await compose(page, { from, to, subject: `Message ${i + 1}`, read: c.protocol === 'SMTP' ? 'none' : read });
    }
  },
};

/** Does the task whose check is `check` in the page's playground. */
export async function solveTask(page, check) {
  const recipe = RECIPES[check.kind];
  assert.ok(recipe, `no UI recipe for the check kind "${check.kind}": add one in activity-recipes.mjs`);
  await recipe(page, check);
}

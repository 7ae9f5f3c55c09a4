// A made-up event log like one `mailsim serve --log` writes while many real clients talk to
// it: one server, one actor per client connection (all from 127.0.0.1), SMTP, POP3 and IMAP
// sessions of about ten messages each. Deterministic. For the benchmark and the scale tests:
//   node bench/gen-log.mjs 10000 > big.jsonl     (or import { makeLog } from it)
import fs from 'node:fs';
import path from 'node:path';

const SESSIONS = {
  SMTP: [
    ['s', '220 mail.example ESMTP mailsim'], ['c', 'EHLO client.example'], ['s', '250-mail.example\r\n250 PIPELINING'],
    ['c', 'MAIL FROM:<alice@example.org>'], ['s', '250 2.1.0 OK'], ['c', 'RCPT TO:<bob@example.org>'],
    ['s', '250 2.1.5 OK'], ['c', 'DATA'], ['s', '354 End data with <CR><LF>.<CR><LF>'],
    ['c', 'Subject: note {n}\r\n\r\nHello {n}\r\n.'], ['s', '250 2.0.0 queued'], ['c', 'QUIT'], ['s', '221 2.0.0 Bye'],
  ],
  POP3: [
    ['s', '+OK POP3 ready'], ['c', 'USER bob'], ['s', '+OK'], ['c', 'PASS bob-pw'], ['s', '+OK 1 message'],
    ['c', 'STAT'], ['s', '+OK 1 120'], ['c', 'RETR 1'], ['s', '+OK 120 octets\r\nSubject: note {n}\r\n\r\nHello\r\n.'],
    ['c', 'QUIT'], ['s', '+OK bye'],
  ],
  IMAP: [
    ['s', '* OK IMAP4rev2 ready'], ['c', 'a1 LOGIN bob bob-pw'], ['s', 'a1 OK LOGIN completed'],
    ['c', 'a2 SELECT INBOX'], ['s', '* 1 EXISTS\r\na2 OK [READ-WRITE] SELECT completed'],
    ['c', 'a3 FETCH 1 (FLAGS BODY[])'], ['s', '* 1 FETCH (FLAGS (\\Seen) BODY[] {20}\r\nSubject: note {n}\r\n)\r\na3 OK FETCH completed'],
    ['c', 'a4 LOGOUT'], ['s', '* BYE\r\na4 OK LOGOUT completed'],
  ],
};
const PORTS = { SMTP: 2525, POP3: 1110, IMAP: 1143 };

/** The log as JSON lines, with `messages` protocol messages. */
export function makeLog(messages) {
  const lines = [JSON.stringify({ epoch: 1789376400, scenario: 'serve', seed: 0 })];
  const ev = (e) => lines.push(JSON.stringify(e));
  ev({ event: 'actor_joined', actor: { id: 'server', name: 'mailsim serve', host: 'localhost', ip: '127.0.0.1', kind: 'server', mailboxes: ['bob@example.org'] } });
  let t = 0;
  let sent = 0;
  for (let sid = 1; sent < messages; sid++) {
    const protocol = ['SMTP', 'POP3', 'IMAP'][sid % 3];
    const client = `client-${sid}`;
    const cport = 40000 + sid;
    ev({ event: 'actor_joined', actor: { id: client, name: `client :${cport}`, host: '127.0.0.1', ip: '127.0.0.1', kind: 'ua' } });
    ev({ event: 'connection_opened', t, conn: sid, client, client_port: cport, server: 'server', port: PORTS[protocol], protocol });
    for (const [who, text] of SESSIONS[protocol]) {
      if (sent >= messages) break;
      const raw = text.replaceAll('{n}', String(sid)) + '\r\n';
      const [from, to] = who === 's' ? ['server', client] : [client, 'server'];
      ev({
        event: 'message_sent', t_sent: t, t: t + 1, conn: sid, from, to, protocol, port: PORTS[protocol], raw,
        label: raw.split('\r\n')[0], meaning: 'A message of a made-up session.', rfc: 'RFC 5321',
        from_state: 'session', to_state: 'session',
      });
      t += 2;
      sent++;
    }
    ev({ event: 'connection_closed', t, conn: sid, by: client });
    t += 5;
  }
  return lines.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(makeLog(Number(process.argv[2] || 10000)));
}

/** Opens the page at `url` in `page` and opens a made-up log of `n` messages in it (written
 * into `dir`), through the page's "Open…" file input; resolves at step 0 of it. */
export async function openGenerated(page, url, n, dir) {
  const file = path.join(dir, `log-${n}.jsonl`);
  fs.writeFileSync(file, makeLog(n));
  await page.goto(url);
  await page.waitForSelector('#position');
  await page.setInputFiles('#import', file);
  await page.waitForFunction((k) => document.querySelector('#position').textContent === `step 0 of ${k}`, n);
}

// Benchmark (issue 16): N concurrent real clients against `mailsim serve` while the
// instructor's live view is open in headless Chromium. Each client is one student: a
// submission session that sends a message (AUTH PLAIN), then an IMAP session (LOGIN, SELECT,
// FETCH, LOGOUT), all at once from a thread pool. Measures how long the page takes to show
// every message after the clients finish, and how fluid it stays meanwhile (the longest gap
// between animation frames, frames later than 100 ms, long tasks).
//
//   node tests/e2e/live-bench.mjs [CLIENTS=200]      (the page build in dist/, or LIVE_DIST)
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { DIST } from './bundle-size.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CLIENTS = Number(process.argv[2] || 200);
const dist = process.env.LIVE_DIST || DIST;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// LIVE_DEBUG=1: the debug binary (a quick look, not a measurement).
const profile = process.env.LIVE_DEBUG ? 'debug' : 'release';
execFileSync('cargo', ['build', '--locked', '-q', ...(profile === 'release' ? ['--release'] : []), '-p', 'mailsim-cli'], {
  cwd: ROOT, stdio: 'inherit', env: { ...process.env, MAILSIM_WEB_DIST: dist },
});
const ports = {
  submission: await freePort(), imap: await freePort(), smtp: await freePort(), pop3: await freePort(), web: await freePort(),
  smtps: await freePort(), imaps: await freePort(), pop3s: await freePort(),
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-bench-'));
const log = path.join(tmp, 'serve.jsonl');
const args = ['serve', '--quiet', '--memory', '--tls-dir', tmp, '--log', log, '--max-commands-per-second', '0', '--max-connections-per-address', String(CLIENTS * 2 + 10), '--max-connections', String(CLIENTS * 2 + 10),
  ...Object.entries(ports).flatMap(([k, p]) => [`--${k === 'web' ? 'web' : k}-port`, String(p)])];
for (let i = 1; i <= CLIENTS; i += 1) args.push('--user', `s${i}@class.example:pw-${i}-x`);
const serve = spawn(path.join(ROOT, 'target', profile, 'mailsim'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => serve.kill('SIGINT'));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));
let out = '';
serve.stdout.on('data', (d) => { out += d; });
while (!/live view[^\n]*(http:\/\/\S+)/.test(out)) await new Promise((r) => setTimeout(r, 50));
const live = out.match(/live view[^\n]*(http:\/\/\S+)/)[1];

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
await page.goto(live);
await page.waitForSelector('#live-status.on');
await page.evaluate(() => {
  window.bench = { gaps: [], long: 0, longest: 0 };
  let last = performance.now();
  const frame = (t) => { window.bench.gaps.push(t - last); last = t; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) { window.bench.long += 1; window.bench.longest = Math.max(window.bench.longest, e.duration); }
  }).observe({ entryTypes: ['longtask'] });
});

const py = `
import smtplib, imaplib, threading
from email.message import EmailMessage
from concurrent.futures import ThreadPoolExecutor
H, SUB, IMAP, N = '127.0.0.1', ${ports.submission}, ${ports.imap}, ${CLIENTS}
barrier = threading.Barrier(N)
def student(i):
    a, p = f's{i}@class.example', f'pw-{i}-x'
    barrier.wait()
    try:
        m = EmailMessage(); m['From'] = a; m['To'] = a; m['Subject'] = f'Hello {i}'; m.set_content('hi\\n')
        s = smtplib.SMTP(H, SUB, timeout=60); s.login(a, p); s.send_message(m); s.quit()
        c = imaplib.IMAP4(H, IMAP, timeout=60); c.login(a, p); c.select('INBOX'); c.fetch('1', '(FLAGS)'); c.logout()
        return None
    except Exception as e:
        return f'{i}: {e!r}'
with ThreadPoolExecutor(N) as ex:
    failed = [f for f in ex.map(student, range(1, N + 1)) if f]
print(len(failed))
for f in failed[:5]: print(f)
`;
const t0 = Date.now();
const failures = execFileSync('python3', ['-c', py]).toString().trim().split('\n');
const clients = Date.now() - t0;
// Wait for the log writer, then count what the server logged.
await new Promise((r) => setTimeout(r, 500));
const messages = fs.readFileSync(log, 'latin1').split('\n').filter((l) => l.includes('"event":"message_sent"')).length;
const events = fs.readFileSync(log, 'latin1').split('\n').filter(Boolean).length - 1;
await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), messages, { timeout: 120000, polling: 100 });
const caughtUp = Date.now() - t0 - clients;
// Interaction while it is full: pause, step back, back to live.
const i0 = Date.now();
await page.click('#live-toggle');
await page.click('#prev');
await page.click('#live-toggle');
const interact = Date.now() - i0;
const b = await page.evaluate(() => window.bench);
const gaps = b.gaps.slice(1);
const result = {
  clients: CLIENTS, client_failures: Number(failures[0]), failure_examples: failures.slice(1), messages, events, clients_ms: clients, page_caught_up_ms: caughtUp, pause_back_live_ms: interact,
  longest_frame_ms: Math.round(Math.max(...gaps)), frames_over_100ms: gaps.filter((g) => g > 100).length,
  frames: gaps.length, long_tasks: b.long, longest_task_ms: Math.round(b.longest),
};
console.log(JSON.stringify(result, null, 1));
await page.screenshot({ path: path.join(HERE, 'out', 'live-bench.png') });
await browser.close();
serve.kill('SIGINT');

// `mailsim serve` with the page built in, for end-to-end tests: free loopback ports, --log in a
// temporary directory, the instructor's live URL read from what serve prints, Python's clients
// run with the ports in scope. (live.test.mjs has its own copy of this set-up.)
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIST } from './bundle-size.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const OUT = path.join(HERE, 'out');

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/**
 * Builds the debug binary with the page of `LIVE_DIST` (or dist/) built in and starts
 * `mailsim serve --log` for `users` ({ address: password }). Returns { ports, live, logFile,
 * output(), stop(), python(code) }.
 */
export async function startServe(users, extra = []) {
  const dist = process.env.LIVE_DIST || DIST;
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`no page build in ${dist}: trunk build --release first`);
  execFileSync('cargo', ['build', '--locked', '-q', '-p', 'mailsim-cli'], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, MAILSIM_WEB_DIST: dist },
  });
  const ports = { smtp: await freePort(), submission: await freePort(), pop3: await freePort(), imap: await freePort(), web: await freePort() };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-e2e-'));
  const logFile = path.join(tmp, 'serve.jsonl');
  const args = ['serve', '--smtp-port', ports.smtp, '--submission-port', ports.submission, '--pop3-port', ports.pop3,
    '--imap-port', ports.imap, '--web-port', ports.web, '--log', logFile, '--quiet', '--memory', '--tls-dir', tmp,
    '--smtps-port', await freePort(), '--imaps-port', await freePort(), '--pop3s-port', await freePort(), ...extra].map(String);
  for (const [a, p] of Object.entries(users)) args.push('--user', `${a}:${p}`);
  const proc = spawn(path.join(ROOT, 'target', 'debug', 'mailsim'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 15000;
  while (!/live view[^\n]*(http:\/\/\S+)/.test(output)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`mailsim serve did not print its live URL:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const live = output.match(/live view[^\n]*(http:\/\/\S+)/)[1];
  return {
    ports,
    live,
    logFile,
    output: () => output,
    stop: () => proc.kill('SIGINT'),
    /** Runs Python with H, SMTP, SUB, POP, IMAP and USERS in scope. */
    python(code) {
      const prelude = `import smtplib, poplib, imaplib\nH = '127.0.0.1'\n`
        + `SMTP, SUB, POP, IMAP = ${ports.smtp}, ${ports.submission}, ${ports.pop3}, ${ports.imap}\nUSERS = ${JSON.stringify(users)}\n`;
      return execFileSync('python3', ['-c', prelude + code]).toString();
    },
  };
}

/** The records of a `--log` file (after its header). */
export function logRecords(logFile) {
  return fs.readFileSync(logFile, 'latin1').split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l));
}

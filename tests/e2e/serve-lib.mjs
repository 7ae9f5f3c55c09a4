// `mailsim serve` for the e2e tests that need real servers: builds the CLI with the page built
// in (build.rs embeds MAILSIM_WEB_DIST), starts it on free ports with the given users and a
// TLS directory of its own, and waits for the live view's URL (with the instructor's token).
//
//   const serve = await startServe({ dist, users, log: true });
//   serve.ports.submission; serve.live; serve.logFile; serve.output(); serve.stop();
//   serve.python(code): Python with H, SMTP, SUB, POP, IMAP and USERS in scope; logRecords(file).
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const BINARY = path.join(ROOT, 'target', 'debug', 'mailsim');

/** A TCP port nobody listens on now (the OS's pick). */
export async function freePort() {
  return (await freePorts(1))[0];
}

/**
 * `n` distinct TCP ports nobody listens on now: all held open together before any is closed,
 * so the OS cannot hand out one twice (taken one by one, two of a serve's eight ports could be
 * the same, and the second listen failed: "Address already in use", CI of 62ab74a).
 */
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Builds target/debug/mailsim with the page in `dist` built in. */
export function buildServe(dist) {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`no page build in ${dist}: trunk build --release first`);
  execFileSync('cargo', ['build', '--locked', '-q', '-p', 'mailsim-cli'], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, MAILSIM_WEB_DIST: dist },
  });
}

/**
 * Builds and starts `mailsim serve --quiet --memory` with `users` ({ address: password }) on
 * free ports (smtp, submission, pop3, imap, web, and the implicit-TLS ones), its TLS files in
 * a new temporary directory (`prefix`), and with `log`, `--log` to serve.jsonl there.
 * Resolves when it has printed the live view's URL.
 */
export async function startServe({ dist, users, log = false, prefix = 'mailsim-serve-', timeout = 15000, extra = [] }) {
  buildServe(dist);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const logFile = log ? path.join(tmp, 'serve.jsonl') : null;
  // The ports are free when picked, not when the server listens: another program (a browser, a
  // test file running beside this one) may take one meanwhile. Then pick again, as
  // tests/interop/serve_helper.py does; any other failure is reported at once.
  for (let attempt = 1; ; attempt++) {
    const [smtp, submission, pop3, imap, web, smtps, imaps, pop3s] = await freePorts(8);
    const ports = { smtp, submission, pop3, imap, web };
    const args = ['serve', '--smtp-port', smtp, '--submission-port', submission, '--pop3-port', pop3,
      '--imap-port', imap, '--web-port', web, ...(logFile ? ['--log', logFile] : []), '--quiet', '--memory',
      '--tls-dir', tmp, '--smtps-port', smtps, '--imaps-port', imaps, '--pop3s-port', pop3s, ...extra]
      .map(String);
    for (const [a, p] of Object.entries(users)) args.push('--user', `${a}:${p}`);
    try {
      return await launch(args, ports, users, logFile, tmp, timeout);
    } catch (e) {
      if (attempt === 5 || !/Address already in use/.test(e.message)) throw e;
    }
  }
}

async function launch(args, ports, users, logFile, tmp, timeout) {
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = /live view[^\n]*(http:\/\/\S+)/;
  const deadline = Date.now() + timeout;
  while (!url.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGINT');
      throw new Error(`mailsim serve did not print its live URL:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ports,
    live: output.match(url)[1],
    logFile,
    tmp,
    process: child,
    output: () => output,
    stop: () => child.kill('SIGINT'),
    /** Runs Python with H, SMTP, SUB, POP, IMAP and USERS in scope; returns what it printed. */
    python(code) {
      const prelude = `import smtplib, poplib, imaplib\nH = '127.0.0.1'\n`
        + `SMTP, SUB, POP, IMAP = ${ports.smtp}, ${ports.submission}, ${ports.pop3}, ${ports.imap}\nUSERS = ${JSON.stringify(users)}\n`;
      return execFileSync('python3', ['-c', prelude + code]).toString();
    },
  };
}

/**
 * The live view at `url` (an instructor's link) in a new 1,440×900 browser context, closed
 * after test `t`, once its stream is on: { page, errors } (the page's uncaught errors).
 */
export async function openLive(browser, t, url) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#live-status.on', { timeout: 10000 });
  return { page, errors };
}

/** The records of a `--log` file (after its header). */
export function logRecords(logFile) {
  return fs.readFileSync(logFile, 'latin1').split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l));
}

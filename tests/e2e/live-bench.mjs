// Benchmark (issue 16): N concurrent real clients against `mailsim serve` while the
// instructor's live view is open in headless Chromium. Each client is one student: a
// submission session that sends a message (AUTH PLAIN), then an IMAP session (LOGIN, SELECT,
// FETCH, LOGOUT), all at once from a thread pool (Python's smtplib and imaplib on sockets).
// Measures how long the page takes to show every message after the clients finish, and how
// fluid it stays meanwhile, as a learner sees it: the gaps between animation frames (wall
// time: p50, p95, p99, longest, how many over 50 and 100 ms), long tasks; the latency from
// each client command (the moment the client's program sends it) to the first frame that shows
// its arrow, and from each message's arrival on the page's stream to that frame (p50, p95,
// max); the page's elements (DOM nodes) at the end; and who had the machine's two cores during
// the run (CPU time of the page's renderer, the rest of Chromium, mailsim serve, the clients,
// and everything else on the machine). Writes bench/live-results.json.
//
//   node tests/e2e/live-bench.mjs [CLIENTS=200]      (the page build in dist/, or LIVE_DIST)
//   scripts/bench.sh live [CLIENTS]                  (builds the page and the binary first)
//
// LIVE_PIN=1: the page (Chromium) on CPU 1, and mailsim serve, the clients (under nice 10)
// and this script on CPU 0 (taskset), so that the page's frames do not wait for our own
// server and clients (other users of the machine still share both cores). LIVE_NICE=1: serve
// and the clients under nice 10, not pinned (the page first on both cores).
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
// LIVE_PIN: the CPU of the page, and the CPU of everything else we start.
const PIN = process.env.LIVE_PIN ? { page: '1', rest: '0' } : null;
// LIVE_NICE=1: mailsim serve and the clients under nice 10 (beside the page, not pinned): the
// page has the cores first, as on a projector whose students' clients run on their own machines.
const NICE = !!process.env.LIVE_NICE && !PIN;
const pinned = (cmd, args, nice) => (PIN ? [nice ? 'nice' : 'taskset', nice ? ['-n', '10', 'taskset', '-c', PIN.rest, cmd, ...args] : ['-c', PIN.rest, cmd, ...args]]
  : NICE ? ['nice', ['-n', '10', cmd, ...args]] : [cmd, args]);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// CPU time so far (ms), from /proc: the machine's busy time (all cores), this script, the
// renderer processes of our Chromium, the rest of our Chromium, and mailsim serve.
function cpuNow() {
  const tick = 10; // USER_HZ = 100
  const stat = (pid) => {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) * tick };
    } catch { return null; }
  };
  const procs = new Map();
  for (const d of fs.readdirSync('/proc')) if (/^\d+$/.test(d)) { const s = stat(d); if (s) procs.set(Number(d), s); }
  const under = (pid, root) => { for (let p = pid, i = 0; p > 1 && i < 64; p = procs.get(p)?.ppid ?? 0, i += 1) if (p === root) return true; return false; };
  const out = { busy: 0, bench: procs.get(process.pid)?.cpu ?? 0, renderer: 0, chromium: 0, serve: procs.get(serve?.pid)?.cpu ?? 0 };
  for (const [pid, s] of procs) {
    if (pid === process.pid || pid === serve?.pid || !under(pid, process.pid)) continue;
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1'); } catch { /* gone */ }
    if (cmd.includes('python3')) continue;
    if (cmd.includes('--type=renderer')) out.renderer += s.cpu; else out.chromium += s.cpu;
  }
  const [, ...f] = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).map(Number);
  out.busy = (f.slice(0, 8).reduce((x, y) => x + y, 0) - f[3] - f[4]) * tick;
  return out;
}

// The latency of each client command: matched with the arrow the server logged for it (the
// k-th message_sent of the log is the k-th message of the stream) by connection, through the
// client's port (a port used again by a later connection: the connections on it in the order
// they began), in order; a connection whose commands differ in number or start is left out.
function commandLatency(logFile, sendsFile, bench, clock) {
  const port = new Map();
  const onPort = new Map();
  const byConn = new Map();
  let k = 0;
  for (const line of fs.readFileSync(logFile, 'latin1').split('\n')) {
    if (!line.includes('"event":"connection_opened"') && !line.includes('"event":"message_sent"')) continue;
    const e = JSON.parse(line);
    if (e.event === 'connection_opened') {
      port.set(e.conn, e.client_port);
      if (!onPort.has(e.client_port)) onPort.set(e.client_port, []);
      onPort.get(e.client_port).push(e.conn);
    }
    else {
      if (e.conn != null && /^client-/.test(e.from)) {
        if (!byConn.has(e.conn)) byConn.set(e.conn, []);
        byConn.get(e.conn).push({ k, head: e.raw.slice(0, 4).toUpperCase() });
      }
      k += 1;
    }
  }
  // Port → its connections' sends, the connections in the order of their first send.
  const socks = new Map();
  for (const [p, sock, t, head] of JSON.parse(fs.readFileSync(sendsFile, 'utf8'))) {
    const key = `${p} ${sock}`;
    if (!socks.has(key)) socks.set(key, { p, list: [] });
    socks.get(key).list.push({ t, head: head.slice(0, 4).toUpperCase() });
  }
  const sent = new Map();
  for (const { p, list } of socks.values()) {
    list.sort((a, b) => a.t - b.t);
    if (!sent.has(p)) sent.set(p, []);
    sent.get(p).push(list);
  }
  for (const lists of sent.values()) lists.sort((a, b) => a[0].t - b[0].t);
  const out = { toPage: [], toScreen: [], matched: 0, unmatched: 0 };
  for (const [conn, msgs] of byConn) {
    const p = port.get(conn);
    const s = sent.get(p)?.[onPort.get(p).indexOf(conn)] || [];
    if (s.length !== msgs.length || msgs.some((m, i) => m.head !== s[i].head)) { out.unmatched += msgs.length; continue; }
    msgs.forEach((m, i) => {
      if (m.k < bench.arrivals.length) out.toPage.push(clock.toEpoch(bench.arrivals[m.k]) - s[i].t);
      if (m.k < bench.shownAt.length) out.toScreen.push(clock.toEpoch(bench.shownAt[m.k]) - s[i].t);
      out.matched += 1;
    });
  }
  return out;
}

// LIVE_DEBUG=1: the debug binary (a quick look, not a measurement).
// LIVE_BINARY=PATH: that binary as it is (another build, to compare).
const profile = process.env.LIVE_DEBUG ? 'debug' : 'release';
if (!process.env.LIVE_BINARY) {
  execFileSync('cargo', ['build', '--locked', '-q', ...(profile === 'release' ? ['--release'] : []), '-p', 'mailsim-cli'], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, MAILSIM_WEB_DIST: dist },
  });
}
const ports = {
  submission: await freePort(), imap: await freePort(), smtp: await freePort(), pop3: await freePort(), web: await freePort(),
  smtps: await freePort(), imaps: await freePort(), pop3s: await freePort(),
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailsim-bench-'));
const log = path.join(tmp, 'serve.jsonl');
const args = ['serve', '--quiet', '--memory', '--tls-dir', tmp, '--log', log, '--max-commands-per-second', '0', '--max-connections-per-address', String(CLIENTS * 2 + 10), '--max-connections', String(CLIENTS * 2 + 10),
  ...Object.entries(ports).flatMap(([k, p]) => [`--${k === 'web' ? 'web' : k}-port`, String(p)])];
for (let i = 1; i <= CLIENTS; i += 1) args.push('--user', `s${i}@class.example:pw-${i}-x`);
const serve = spawn(...pinned(process.env.LIVE_BINARY || path.join(ROOT, 'target', profile, 'mailsim'), args), { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => serve.kill('SIGINT'));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));
let out = '';
serve.stdout.on('data', (d) => { out += d; });
// A port taken meanwhile by another program (freePort's race): say so rather than wait.
serve.on('exit', (code) => { if (!/live view/.test(out)) { console.error(`mailsim serve exited (${code}) before serving`); process.exit(1); } });
while (!/live view[^\n]*(http:\/\/\S+)/.test(out)) await new Promise((r) => setTimeout(r, 50));
const live = out.match(/live view[^\n]*(http:\/\/\S+)/)[1];

// Pinned: Chromium inherits this process's CPU, then this process moves to the others'.
if (PIN) execFileSync('taskset', ['-a', '-p', '-c', PIN.page, String(process.pid)], { stdio: 'ignore' });
const browser = await launch();
if (PIN) execFileSync('taskset', ['-a', '-p', '-c', PIN.rest, String(process.pid)], { stdio: 'ignore' });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
// Before the page's own scripts: note when each message arrives on the stream, and at each
// frame how many messages the page shows (its position, "step N of M").
await page.addInitScript(() => {
  // arrivals[k], shownAt[k]: when the k-th message arrived on the stream, and the start of the
  // first animation frame after the one that drew it (the page draws in its own frame
  // callback, after this one: the frame that drew it has been painted by then).
  const b = window.bench = { arrivals: [], shownAt: [], latencies: [], gaps: [], long: 0, longest: 0, longList: [], shown: 0, maxNodes: 0 };
  // Each message as it arrives (its time and text), and each frame's time and the number of
  // messages the page shows: read by settle() once the run is over. Reading the records during
  // the run (an indexOf per message) took more of the page's CPU than the page's own listener
  // (docs/benchmarks.md, branch live13).
  b.raw = [];
  b.seen = [];
  const Source = window.EventSource;
  window.EventSource = class extends Source {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => { b.raw.push(performance.now(), e.data); });
    }
  };
  b.settle = () => {
    // A message holds one or more records.
    for (let j = 0; j < b.raw.length; j += 2) {
      const [t, data] = [b.raw[j], b.raw[j + 1]];
      for (let i = data.indexOf('"event":"message_sent"'); i >= 0; i = data.indexOf('"event":"message_sent"', i + 1)) b.arrivals.push(t);
    }
    b.messages = (b.messages || 0) + b.raw.length / 2;
    b.raw = [];
    for (let j = 0; j < b.seen.length; j += 2) {
      const [t, n] = [b.seen[j], b.seen[j + 1]];
      for (; b.shown < n && b.shown < b.arrivals.length && b.arrivals[b.shown] <= t; b.shown += 1) {
        b.latencies.push(t - b.arrivals[b.shown]);
        b.shownAt.push(t);
      }
    }
    b.seen = [];
  };
  // The DOM's changes (counted from when the run starts): elements added and removed,
  // attributes and texts set.
  // By where they happen: each change counts once as `added`, `removed`, `attributes`
  // or `texts`, and once under its part of the page.
  b.dom = { added: 0, removed: 0, attributes: 0, texts: 0, where: {} };
  const count = (n) => (n.nodeType === 1 ? 1 + n.getElementsByTagName('*').length : 0);
  const PARTS = [['diagram', '.diagram-body'], ['header', '.diagram-head'], ['track', '.track'], ['students', '#live-students'], ['world', '#world'], ['details', '#details'], ['transcript', '#live-transcript'], ['bar', '.bar']];
  const part = (n) => {
    const el = n.nodeType === 1 ? n : n.parentElement;
    for (const [name, sel] of PARTS) if (el?.closest(sel)) return name;
    return 'other';
  };
  new MutationObserver((records) => {
    for (const r of records) {
      let k = 0;
      if (r.type === 'attributes') { b.dom.attributes += 1; k = 1; }
      else if (r.type === 'characterData') { b.dom.texts += 1; k = 1; }
      else {
        for (const n of r.addedNodes) { const c = count(n); b.dom.added += c; k += c; }
        for (const n of r.removedNodes) { const c = count(n); b.dom.removed += c; k += c; }
      }
      const w = part(r.target);
      b.dom.where[w] = (b.dom.where[w] || 0) + k;
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  let last = performance.now();
  b.frameStarts = [];
  const frame = (t) => {
    b.gaps.push(t - last);
    b.frameStarts.push(t);
    last = t;
    const m = /of (\d+)$/.exec(document.querySelector('#position')?.textContent || '');
    b.seen.push(t, m ? Number(m[1]) : 0);
    if (b.gaps.length % 30 === 0) b.maxNodes = Math.max(b.maxNodes, document.getElementsByTagName('*').length);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) { b.long += 1; b.longest = Math.max(b.longest, e.duration); b.longList.push([e.startTime, e.duration]); }
  }).observe({ entryTypes: ['longtask'] });
});
// LIVE_PAGE=DIR: the page's files from DIR instead of those built into the binary (to try a
// page build without building the binary again; the binary's CSP header is not sent then).
if (process.env.LIVE_PAGE) {
  const types = { html: 'text/html', js: 'text/javascript', wasm: 'application/wasm', css: 'text/css', svg: 'image/svg+xml', png: 'image/png' };
  await page.route((url) => !/^\/(events|login)\b/.test(url.pathname), (route) => {
    const p = new URL(route.request().url()).pathname.replace(/^\/+/, '') || 'index.html';
    const file = path.join(process.env.LIVE_PAGE, path.normalize(p));
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: types[p.split('.').pop()] || 'application/octet-stream', body: fs.readFileSync(file) });
  });
}
await page.goto(live);
await page.waitForSelector('#live-status.on');
// Only the frames from here on count (not the page's load).
await page.evaluate(() => { const b = window.bench; b.gaps = []; b.frameStarts = []; b.long = 0; b.longest = 0; b.longList = []; b.dom = { added: 0, removed: 0, attributes: 0, texts: 0, where: {} }; });
const load0 = os.loadavg();
// Where the page's time goes during the run (Chrome's own counters: script, style, layout),
// and with LIVE_PROFILE=1 the functions with the most self time (CDP sampling profiler).
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const m0 = await metrics();
// LIVE_TRACE=1: Chrome's trace of the run; each frame's main-thread CPU time (thread time:
// what the page itself spent, not the time it waited for a core) by kind (see frameCpu).
const traced = [];
if (process.env.LIVE_TRACE) {
  cdp.on('Tracing.dataCollected', (e) => traced.push(...e.value));
  // LIVE_TRACE=full: also the frames' pipeline, V8's samples (which function) and its GC, to
  // attribute each long frame (LIVE_TRACE_OUT=FILE keeps the raw trace; see live-frames.mjs).
  const full = process.env.LIVE_TRACE === 'full'
    ? ',disabled-by-default-devtools.timeline.frame,v8.execute,blink.user_timing,disabled-by-default-v8.cpu_profiler,disabled-by-default-v8.gc,blink.gc,cc,viz,gpu,benchmark'
    : '';
  await cdp.send('Tracing.start', { categories: `devtools.timeline,disabled-by-default-devtools.timeline,toplevel${full}`, transferMode: 'ReportEvents' });
}
if (process.env.LIVE_PROFILE) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
}

// Each command the clients send: (the client's port, when it was sent, its first bytes), to
// match with the arrows the server logged (connection_opened gives each connection's port).
const sendsFile = path.join(tmp, 'sends.json');
const py = `
import smtplib, imaplib, threading, time, json, resource
from email.message import EmailMessage
from concurrent.futures import ThreadPoolExecutor
H, SUB, IMAP, N = '127.0.0.1', ${ports.submission}, ${ports.imap}, ${CLIENTS}
sends = []
def note(sock, data):
    head = data[:8] if isinstance(data, str) else data[:8].decode('latin1')
    # The socket's id tells two connections apart that had the same port one after the other.
    sends.append((sock.getsockname()[1], id(sock), time.time() * 1000, head))
class SMTP(smtplib.SMTP):
    def send(self, s):
        if getattr(self, 'sock', None): note(self.sock, s)
        super().send(s)
class IMAP4(imaplib.IMAP4):
    def send(self, data):
        note(self.sock, data)
        super().send(data)
barrier = threading.Barrier(N)
def student(i):
    a, p = f's{i}@class.example', f'pw-{i}-x'
    barrier.wait()
    try:
        m = EmailMessage(); m['From'] = a; m['To'] = a; m['Subject'] = f'Hello {i}'; m.set_content('hi\\n')
        s = SMTP(H, SUB, timeout=60); s.login(a, p); s.send_message(m); s.quit()
        c = IMAP4(H, IMAP, timeout=60); c.login(a, p); c.select('INBOX'); c.fetch('1', '(FLAGS)'); c.logout()
        return None
    except Exception as e:
        return f'{i}: {e!r}'
with ThreadPoolExecutor(N) as ex:
    failed = [f for f in ex.map(student, range(1, N + 1)) if f]
json.dump(sends, open(${JSON.stringify(sendsFile)}, 'w'))
r = resource.getrusage(resource.RUSAGE_SELF)
print(round((r.ru_utime + r.ru_stime) * 1000))
print(len(failed))
for f in failed[:5]: print(f)
`;
const cpu0 = cpuNow();
const t0 = Date.now();
const [clientsCpu, ...failures] = execFileSync(...pinned('python3', ['-c', py], true)).toString().trim().split('\n');
const clients = Date.now() - t0;
// Wait for the log writer, then count what the server logged.
await new Promise((r) => setTimeout(r, 500));
const messages = fs.readFileSync(log, 'latin1').split('\n').filter((l) => l.includes('"event":"message_sent"')).length;
const events = fs.readFileSync(log, 'latin1').split('\n').filter(Boolean).length - 1;
await page.waitForFunction((n) => document.querySelector('#position').textContent.endsWith(` of ${n}`), messages, { timeout: 120000, polling: 100 });
const caughtUp = Date.now() - t0 - clients;
const cpu1 = cpuNow();
const m1 = await metrics();
const domChanges = await page.evaluate(() => JSON.parse(JSON.stringify(window.bench.dom)));
const busy = Object.fromEntries(['TaskDuration', 'ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration'].map((k) => [k.replace('Duration', '_ms'), Math.round(1000 * (m1[k] - m0[k]))]));
busy.style_recalcs = m1.RecalcStyleCount - m0.RecalcStyleCount;
busy.layouts = m1.LayoutCount - m0.LayoutCount;
if (process.env.LIVE_PROFILE) {
  const { profile } = await cdp.send('Profiler.stop');
  // LIVE_PROFILE_OUT=FILE: the whole profile too (for Chrome's DevTools, or to find a function's callers).
  if (process.env.LIVE_PROFILE_OUT) fs.writeFileSync(process.env.LIVE_PROFILE_OUT, JSON.stringify(profile));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
  const self = new Map();
  for (const node of profile.nodes) {
    const name = node.callFrame.functionName || `(${node.callFrame.url.split('/').pop() || 'anonymous'})`;
    if (name !== '(idle)') self.set(name, (self.get(name) || 0) + (dt.get(node.id) || 0));
  }
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 30))) {
    console.error(`${(us / 1000).toFixed(1).padStart(8)} ms  ${name.slice(0, 120)}`);
  }
}
let frameCpu = null;
// The trace ends here (frame_cpu: the run until the page caught up), or with LIVE_TRACE_OUT
// after the clicks below, so that the raw trace holds their frames too (a performance mark,
// `bench-interact`, says where they begin: live-frames.mjs names the frames after it).
const endTrace = async () => {
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  await done;
  frameCpu = (await import('./live-trace.mjs')).frameCpu(traced);
  if (process.env.LIVE_TRACE_OUT) fs.writeFileSync(process.env.LIVE_TRACE_OUT, JSON.stringify({ traceEvents: traced }));
};
if (process.env.LIVE_TRACE && !process.env.LIVE_TRACE_OUT) await endTrace();
// The page's clock against this machine's (the clients' time.time() and Date.now() are the
// same clock): performance.timeOrigin + now() - Date.now(), and half the round trip.
const clock = await (async () => {
  let best = null;
  for (let i = 0; i < 5; i += 1) {
    const a = Date.now();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const z = Date.now();
    if (!best || z - a < best.rtt) best = { rtt: z - a, offset: p - (a + z) / 2 };
  }
  return { offset: Math.round(best.offset * 10) / 10, uncertainty: best.rtt / 2 };
})();
const origin = await page.evaluate(() => performance.timeOrigin);
clock.toEpoch = (t) => origin + t - clock.offset;
// Interaction while it is full: pause, step back, back to live.
// The page's time when the clicks begin: the frames after it are the clicks' (counted apart).
await page.evaluate(() => { window.bench.interactAt = performance.now(); performance.mark('bench-interact'); });
const i0 = Date.now();
await page.click('#live-toggle');
await page.click('#prev');
await page.click('#live-toggle');
const interact = Date.now() - i0;
await page.waitForTimeout(200);
if (process.env.LIVE_TRACE && process.env.LIVE_TRACE_OUT) await endTrace();
const b = await page.evaluate(() => { window.bench.settle(); return { ...window.bench, settle: undefined, nodes: document.getElementsByTagName('*').length }; });
const gaps = b.gaps.slice(1);
// The gaps that end after the clicks began.
const clicking = b.gaps.map((g, i) => [g, b.frameStarts[i]]).slice(1).filter(([, t]) => t > b.interactAt).map(([g]) => g);
const pct = (xs, p) => { const s = [...xs].sort((x, y) => x - y); return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(s.length * p))]) : null; };
const spread = (xs) => ({ p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: pct(xs, 1), measured: xs.length });
const commands = commandLatency(log, sendsFile, b, clock);
// Who had the cores from the clients' start until the page caught up (CPU ms; `others`: the
// machine's busy time that was none of ours).
const cpuUse = (() => {
  const d = (k) => Math.round(cpu1[k] - cpu0[k]);
  const ours = { renderer: d('renderer'), chromium_other: d('chromium'), serve: d('serve'), clients: Number(clientsCpu), bench: d('bench') };
  const busy = d('busy');
  return { window_ms: clients + caughtUp, cores: os.cpus().length, machine_busy: busy, ...ours, others: busy - Object.values(ours).reduce((x, y) => x + y, 0) };
})();
const result = {
  clients: CLIENTS, client_failures: Number(failures[0]), failure_examples: failures.slice(1), messages, events, clients_ms: clients, page_caught_up_ms: caughtUp, pause_back_live_ms: interact,
  longest_frame_ms: Math.round(Math.max(...gaps)), frames_over_50ms: gaps.filter((g) => g > 50).length, frames_over_100ms: gaps.filter((g) => g > 100).length,
  // Of those, the frames of the pause, back, live clicks after the page caught up.
  clicks_frames_over_50ms: clicking.filter((g) => g > 50).length, clicks_frames_over_100ms: clicking.filter((g) => g > 100).length,
  frames: gaps.length, frame_gap_ms: { p50: pct(gaps, 0.5), p95: pct(gaps, 0.95), p99: pct(gaps, 0.99), max: pct(gaps, 1) },
  long_tasks: b.long, longest_task_ms: Math.round(b.longest),
  // The stream's messages (each one event dispatched on the page's main thread).
  stream_messages: b.messages,
  // Each long task: ms after the clients' start (negative: before), its length, and whether it came with the clicks.
  long_task_list: b.longList.map(([t, d]) => [Math.round(clock.toEpoch(t) - t0), Math.round(d), t > b.interactAt ? 'clicks' : 'run']),
  // From the message's arrival on the page's stream to the frame after the one that drew it.
  latency_ms: spread(b.latencies),
  // From the client's command (sent) to its arrival on the page, and to that frame.
  command_to_page_ms: spread(commands.toPage), command_to_screen_ms: spread(commands.toScreen),
  commands_matched: commands.matched, commands_unmatched: commands.unmatched, clock_offset_ms: clock.offset, clock_uncertainty_ms: clock.uncertainty,
  pinned: PIN ? `page on CPU ${PIN.page}; serve, clients (nice 10) and the bench on CPU ${PIN.rest}` : NICE ? 'no; serve and the clients under nice 10' : 'no',
  cpu_ms: cpuUse,
  page_busy: busy,
  ...(frameCpu ? { frame_cpu: frameCpu } : {}),
  dom_changes: domChanges,
  dom_nodes: b.nodes, dom_nodes_max: Math.max(b.maxNodes, b.nodes),
  load_average: { before: load0.map((l) => l.toFixed(2)).join(' '), after: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
  date: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 1));
// LIVE_DUMP=FILE: the page's arrivals, the frames that showed them and the frame gaps (ms on
// the page's clock), to see when in the run the latency grows.
if (process.env.LIVE_DUMP) fs.writeFileSync(process.env.LIVE_DUMP, JSON.stringify({ arrivals: b.arrivals, shownAt: b.shownAt, gaps: b.gaps, frameStarts: b.frameStarts }));
fs.mkdirSync(path.join(HERE, 'out'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench', 'live-results.json'), JSON.stringify(result, null, 1) + '\n');
await page.screenshot({ path: path.join(HERE, 'out', 'live-bench.png') });
// The World panel's line per student, scrolled into view in the side column.
await page.evaluate(() => document.querySelector('#live-students')?.scrollIntoView());
await page.waitForTimeout(300);
const students = await page.$$eval('#live-students li', (ls) => ls.length);
console.error(`${students} student lines`);
await page.screenshot({ path: path.join(HERE, 'out', 'live-bench-students.png') });
await browser.close();
serve.kill('SIGINT');

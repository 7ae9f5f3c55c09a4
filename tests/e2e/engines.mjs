// The page in the other two browser engines: Gecko (Debian's Firefox ESR, driven by
// puppeteer-core over WebDriver BiDi, which stock Firefox speaks) and WebKit, Safari's engine
// (WebKitGTK's MiniBrowser, driven by Debian's WebKitWebDriver over W3C WebDriver, under Xvfb).
// Neither downloads a browser. Both are wrapped in the same small interface, so one test runs
// on each:
//
//   const b = await firefox();  // or webkit()
//   await b.goto(url); await b.until(() => document.title, 'title');
//   await b.eval((sel) => document.querySelector(sel).textContent, '#position');
//   await b.press('ArrowRight'); await b.click('#next'); await b.type('#line', 'HELO x\n');
//   const png = await b.screenshot(file);  // PNG bytes (decodePng below reads them)
//   b.errors(): the page's console errors and uncaught exceptions so far; await b.close();
import fs from 'node:fs';
import { freePort } from './serve-lib.mjs';
import zlib from 'node:zlib';
import { spawn, execFileSync } from 'node:child_process';

export const FIREFOX = process.env.FIREFOX || ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => fs.existsSync(p));
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || ['/usr/bin/WebKitWebDriver'].find((p) => fs.existsSync(p));
/** WebKitGTK's MiniBrowser (package libwebkit2gtk-4.1-0), what WebKitWebDriver automates. */
export const MINIBROWSER = process.env.MINIBROWSER || (() => {
  try {
    const arch = execFileSync('dpkg-architecture', ['-qDEB_HOST_MULTIARCH']).toString().trim();
    return [`/usr/lib/${arch}/webkit2gtk-4.1/MiniBrowser`, `/usr/lib/${arch}/webkitgtk-6.0/MiniBrowser`].find((p) => fs.existsSync(p));
  } catch { return undefined; }
})();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` in the page (with `args`) until it returns something truthy, and returns that. */
async function until(b, fn, what, { timeout = 15000, args = [] } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await b.eval(fn, ...args);
      if (last) return last;
    } catch (e) { last = e.message; }
    if (Date.now() > deadline) throw new Error(`${b.name}: timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(100);
  }
}

/** Firefox ESR, headless, driven by puppeteer-core (WebDriver BiDi). */
export async function firefox({ width = 1440, height = 900 } = {}) {
  if (!FIREFOX) throw new Error('Firefox not found: run scripts/install.sh --test (it installs Debian\'s firefox-esr)');
  const { default: puppeteer } = await import('puppeteer-core');
  // Firefox ESR's first start in a new profile takes 13 s on the 2-core machine at rest, and
  // went over puppeteer's 30 s default once in a fresh-clone run (session 18): 120 s.
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, timeout: 120_000 });
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
  const b = {
    name: 'Firefox',
    version: await browser.version(),
    goto: (url) => page.goto(url),
    eval: (fn, ...args) => page.evaluate(fn, ...args),
    until: (fn, what, opts) => until(b, fn, what, opts),
    press: (key) => page.keyboard.press(key),
    click: (sel) => page.click(sel),
    type: async (sel, text) => {
      await page.focus(sel);
      for (const part of text.split(/(\n)/)) {
        if (part === '\n') await page.keyboard.press('Enter');
        else if (part) await page.keyboard.type(part);
      }
    },
    screenshot: async (file) => {
      const png = Buffer.from(await page.screenshot());
      if (file) fs.writeFileSync(file, png);
      return png;
    },
    errors: () => [...errors],
    close: () => browser.close(),
  };
  return b;
}

const KEYS = { ArrowRight: '\uE014', ArrowLeft: '\uE012', Enter: '\uE007', Home: '\uE011', Escape: '\uE00C' };

/**
 * WebKitGTK's MiniBrowser through WebKitWebDriver, on a virtual X display of its own (Xvfb).
 * Classic WebDriver reports no console messages: the page's uncaught errors and console.error
 * calls are collected by a hook installed after each navigation (what runs before it, the
 * boot, shows its own failures on the page, and the tests check what the page shows).
 */
export async function webkit({ width = 1440, height = 900 } = {}) {
  if (!WEBKIT_DRIVER || !MINIBROWSER) throw new Error('WebKitWebDriver or MiniBrowser not found: run scripts/install.sh --test (it installs Debian\'s webkit2gtk-driver and xvfb)');
  const port = await freePort();
  const driver = spawn('xvfb-run', ['-a', '-s', `-screen 0 ${width + 200}x${height + 200}x24`, WEBKIT_DRIVER, `--port=${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  driver.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, p, body) => {
    const r = await fetch(base + p, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (j.value?.error) throw new Error(`WebDriver ${method} ${p}: ${j.value.error}: ${j.value.message}`);
    return j.value;
  };
  let session;
  for (const deadline = Date.now() + 20000; !session;) {
    try {
      session = await call('POST', '/session', { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } } });
    } catch (e) {
      if (Date.now() > deadline) { process.kill(-driver.pid); throw new Error(`WebKitWebDriver did not start: ${e.message}\n${log}`); }
      await sleep(200);
    }
  }
  const s = `/session/${session.sessionId}`;
  await call('POST', `${s}/window/rect`, { width, height });
  const run = (fn, args) => call('POST', `${s}/execute/sync`, { script: `return (${fn}).apply(null, arguments)`, args });
  const hook = () => {
    if (window.__mailsimErrors) return;
    window.__mailsimErrors = [];
    window.addEventListener('error', (e) => window.__mailsimErrors.push(String(e.message)));
    window.addEventListener('unhandledrejection', (e) => window.__mailsimErrors.push(String(e.reason)));
    const error = console.error.bind(console);
    console.error = (...a) => { window.__mailsimErrors.push(a.join(' ')); error(...a); };
  };
  const element = async (sel) => Object.values(await call('POST', `${s}/element`, { using: 'css selector', value: sel }))[0];
  const errors = [];
  const b = {
    name: 'WebKit',
    version: `WebKitGTK ${session.capabilities.browserVersion}`,
    goto: async (url) => { await call('POST', `${s}/url`, { url }); await run(hook, []); },
    eval: async (fn, ...args) => {
      const [value, errs] = await call('POST', `${s}/execute/sync`, {
        script: `const e = window.__mailsimErrors || []; return [(${fn}).apply(null, arguments), e.splice(0)];`, args,
      });
      errors.push(...errs);
      return value;
    },
    until: (fn, what, opts) => until(b, fn, what, opts),
    press: async (key) => {
      const value = KEYS[key] ?? key;
      await call('POST', `${s}/actions`, { actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value }, { type: 'keyUp', value }] }] });
    },
    click: async (sel) => call('POST', `${s}/element/${await element(sel)}/click`, {}),
    type: async (sel, text) => call('POST', `${s}/element/${await element(sel)}/value`, { text: text.replace(/\n/g, KEYS.Enter) }),
    screenshot: async (file) => {
      const png = Buffer.from(await call('GET', `${s}/screenshot`), 'base64');
      if (file) fs.writeFileSync(file, png);
      return png;
    },
    errors: () => [...errors],
    close: async () => {
      await call('DELETE', s).catch(() => {});
      try { process.kill(-driver.pid); } catch { /* already gone */ }
    },
  };
  return b;
}

/** Reads a PNG (8-bit RGB or RGBA, not interlaced, as browsers write them) into RGBA pixels. */
export function decodePng(buf) {
  let pos = 8;
  let width, height, type;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); type = data[9];
      if (data[8] !== 8 || data[12] !== 0 || (type !== 2 && type !== 6)) throw new Error(`PNG not read: depth ${data[8]}, colour type ${type}, interlace ${data[12]}`);
    } else if (kind === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      line[i] = (line[i] + pred) & 255;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) px[(y * width + x) * 4 + k] = line[x * bpp + k];
      px[(y * width + x) * 4 + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, px };
}

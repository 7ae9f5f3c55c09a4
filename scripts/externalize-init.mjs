// Trunk post-build hook: moves the inline <script type="module"> that Trunk writes into
// index.html to a file of its own, so the site runs under a strict Content-Security-Policy
// (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-inline'). The start of the wasm is wrapped
// so that a browser that cannot compile it (the module uses WebAssembly SIMD: Chrome and Edge
// 91, Firefox 89, Safari 16.4 or newer) or cannot fetch it says so on the page, instead of
// staying blank.
//
// It also fetches what draws the scenario the URL opens (`#/scenario/ID/...`, or the default
// one) while the wasm downloads and compiles: its precomputed log, or, if the learner added to
// it, its file (for the engine). It leaves that in `window.mailsimPreload` and then starts the
// page (`start_page`), which takes it and draws at once (src/main.rs, src/data.rs). The URLs
// carry versions, hashes of the texts (FNV-1a, as crates/sim/build.rs computes them), as the
// page's own fetches do. A returning learner whose log is kept from an earlier load (made by
// this build, from this version of the scenario, with exactly the stored actions: src/kept.rs,
// read by src/engine.js, which the boot script imports) needs neither: the page draws the kept
// log, and the engine comes after the first draw. Where the first draw needs the engine module
// (the learner's actions and no kept log, the activities, `?scenario=` and `?activity=`), it
// is started at once, beside the page's wasm, instead of after it (src/engine.js's
// `engine_module`, which the page's own call later finds under way).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { copyLogs } from './copy-logs.mjs';

const dir = process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist';
const index = path.join(dir, 'index.html');
// The scenario the page opens when the URL names none (src/state.rs, DEFAULT_SCENARIO).
const DEFAULT_SCENARIO = 'alice-to-bob';

/** FNV-1a (64 bits) of the bytes, in hex. */
function version(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

copyLogs(dir);

// The engine module (crates/engine-wasm, a Trunk "worker": its files named after the bin):
// versioned names, left for the page in `window.mailsimEngine` (src/engine.js imports it).
// `build`: a hash of every wasm and JS file of the build, the page's and the engine's (a log
// kept by src/kept.rs is drawn only by the build that made it).
function versionEngine() {
  const js = path.join(dir, 'mailsim-engine.js');
  const wasm = path.join(dir, 'mailsim-engine_bg.wasm');
  if (!fs.existsSync(js) || !fs.existsSync(wasm)) return [];
  const hash = crypto.createHash('sha256').update(fs.readFileSync(js)).update(fs.readFileSync(wasm)).digest('hex').slice(0, 16);
  const names = { js: `mailsim-engine-${hash}.js`, wasm: `mailsim-engine-${hash}_bg.wasm` };
  fs.renameSync(js, path.join(dir, names.js));
  fs.renameSync(wasm, path.join(dir, names.wasm));
  const code = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const f = path.join(d, e.name);
    if (e.isDirectory()) return code(f);
    return /\.(js|wasm)$/.test(e.name) && !/^boot-/.test(e.name) ? [f] : [];
  });
  const all = crypto.createHash('sha256');
  for (const f of code(dir).sort()) all.update(path.relative(dir, f)).update(fs.readFileSync(f));
  const build = all.digest('hex').slice(0, 16);
  return [`window.mailsimEngine = ${JSON.stringify({ js: `./${names.js}`, wasm: `./${names.wasm}`, build })};`];
}
const engine = versionEngine();
// The page's wasm-bindgen snippet src/engine.js (the glue imports it: the boot script's import
// is the same module).
const snippet = (name) => {
  const snippets = path.join(dir, 'snippets');
  const found = fs.existsSync(snippets)
    ? fs.readdirSync(snippets).map((d) => path.join(snippets, d, 'src', name)).filter((f) => fs.existsSync(f)) : [];
  if (found.length !== 1) throw new Error(`externalize-init: expected one snippets/*/src/${name}, found ${found.length}`);
  return JSON.stringify(`./${path.relative(dir, found[0]).split(path.sep).join('/')}`);
};
const logDir = path.join(dir, 'logs');
const logs = Object.fromEntries(fs.readdirSync(logDir).filter((f) => f.endsWith('.jsonl')).sort()
  .map((f) => [f.slice(0, -6), version(fs.readFileSync(path.join(logDir, f)))]));
const scenarioDir = path.join(dir, 'scenarios');
const versions = Object.fromEntries(fs.existsSync(scenarioDir)
  ? fs.readdirSync(scenarioDir).filter((f) => f.endsWith('.toml')).sort()
    .map((f) => [f.slice(0, -5), version(fs.readFileSync(path.join(scenarioDir, f)))])
  : []);
const preload = Object.keys(versions).length === 0 || engine.length === 0 ? [] : [
  `import { engine_module, kept_read } from ${snippet('engine.js')};`,
  `const versions = ${JSON.stringify(versions)};`,
  "let named = '';",
  "try { named = decodeURIComponent((/^#\\/scenario\\/([^/?]+)/.exec(location.hash) || [])[1] || ''); } catch {}",
  `const id = Object.hasOwn(versions, named) ? named : ${JSON.stringify(DEFAULT_SCENARIO)};`,
  `const logs = ${JSON.stringify(logs)};`,
  // The scenario's precomputed log, unless the learner added to it: then the log kept from an
  // earlier load (src/kept.rs), or else the page runs it.
  'let added = false;',
  "try { added = ['mailsim.actions.', 'mailsim.set-aside.'].some((k) => localStorage.getItem(k + id) !== null); } catch {}",
  'const drawn = added && !!kept_read(id, versions[id]);',
  'const activities = /^#\\/activit/.test(location.hash);',
  'const log = Object.hasOwn(logs, id) && !added;',
  'const wanted = activities || drawn ? null',
  '  : fetch(log ? `./logs/${id}.jsonl?v=${logs[id]}` : `./scenarios/${id}.toml?v=${versions[id]}`)',
  '    .then((r) => (r.ok ? r.text() : null)).catch(() => null);',
  // What cannot be drawn without the engine module starts it with the page.
  'const early = activities || (added && !drawn) || /[?&](activity|scenario)=/.test(location.search);',
];
let html = fs.readFileSync(index, 'utf8');
// Trunk's start, `const wasm = await init({...});`, becomes: the wasm starts compiling at once,
// the page starts (`start_page`, src/main.rs) when the scenario file has arrived too.
function start(body) {
  if (preload.length === 0) return body;
  const i = body.findIndex((l) => /^const wasm = await init\((.*)\);$/.test(l.trim()));
  if (i < 0) throw new Error('externalize-init: Trunk\'s loader changed; expected `const wasm = await init(...)`');
  const args = body[i].trim().match(/^const wasm = await init\((.*)\);$/)[1];
  return [
    ...body.slice(0, i),
    'window.mailsimDeferStart = true;',
    `const page = init(${args});`,
    'if (early) engine_module();',
    'const [wasm, text] = await Promise.all([page, wanted]);',
    'if (text !== null) window.mailsimPreload = { id, text, log };',
    'bindings.start_page();',
    ...body.slice(i + 1),
  ];
}

const re = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(re);
if (m) {
  const lines = m[1].trim().split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l) && l.trim() !== '');
  const code = [
    ...imports,
    ...engine,
    ...preload,
    'try {',
    ...start(body).map((l) => `  ${l}`),
    '} catch (e) {',
    "  const p = document.createElement('p');",
    "  p.id = 'boot-error';",
    "  p.setAttribute('role', 'alert');",
    "  p.textContent = 'Mailsim could not start in this browser: ' + e + '. It runs on WebAssembly with SIMD ' +",
    "    '(Chrome or Edge 91, Firefox 89, Safari 16.4 or newer), with JavaScript on. Reloading may help if the network failed.';",
    '  document.body.prepend(p);',
    '  throw e;',
    '}',
  ].join('\n') + '\n';
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const name = `boot-${hash}.js`;
  fs.writeFileSync(path.join(dir, name), code);
  html = html.replace(re, `<script type="module" src="./${name}"></script>`);
  fs.writeFileSync(index, html);
}

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
//
// The page is built twice (Cargo.toml, index.html): the player (`mailsim-web`, the playground
// only) and the full page (`mailsim-full`, a Trunk "worker" link: the activities and the live
// view too). The boot script picks one by the URL (`#/activities`, `#/activity/…`, `#/live`,
// `?activity=`, `?present=1`: the full page) and imports its glue and wasm itself, so Trunk's
// preloads of the player's files are taken out of index.html (on the full page's addresses
// they would be fetched for nothing). On the player, it leaves `window.mailsimFull`, which the
// player calls when it is navigated to one of those addresses (src/page.rs, `hand_over`): it
// starts the full page at the same URL. The full page is fetched and compiled when the player
// is idle after its first draw and the engine module (low priority), so the switch is quick.
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

// A Trunk "worker" (its files named after the bin, `NAME.js` and `NAME_bg.wasm`): versioned
// names, `{ js, wasm }` as the page's URLs, or null if the build has no such module.
function versionModule(bin) {
  const js = path.join(dir, `${bin}.js`);
  const wasm = path.join(dir, `${bin}_bg.wasm`);
  if (!fs.existsSync(js) || !fs.existsSync(wasm)) return null;
  const hash = crypto.createHash('sha256').update(fs.readFileSync(js)).update(fs.readFileSync(wasm)).digest('hex').slice(0, 16);
  const names = { js: `${bin}-${hash}.js`, wasm: `${bin}-${hash}_bg.wasm` };
  fs.renameSync(js, path.join(dir, names.js));
  fs.renameSync(wasm, path.join(dir, names.wasm));
  return { js: `./${names.js}`, wasm: `./${names.wasm}` };
}
// The full page (the activities and the live view too).
const fullModule = versionModule('mailsim-full');

// The engine module (crates/engine-wasm, a Trunk "worker"): versioned names, left for the page
// in `window.mailsimEngine` (src/engine.js imports it). `build`: a hash of every wasm and JS
// file of the build, the pages' and the engine's (a log kept by src/kept.rs is drawn only by
// the build that made it).
function versionEngine() {
  const names = versionModule('mailsim-engine');
  if (names === null) return [];
  const code = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const f = path.join(d, e.name);
    if (e.isDirectory()) return code(f);
    return /\.(js|wasm)$/.test(e.name) && !/^boot-/.test(e.name) ? [f] : [];
  });
  const all = crypto.createHash('sha256');
  for (const f of code(dir).sort()) all.update(path.relative(dir, f)).update(fs.readFileSync(f));
  const build = all.digest('hex').slice(0, 16);
  return [`window.mailsimEngine = ${JSON.stringify({ ...names, build })};`];
}
const engine = versionEngine();
// The page's wasm-bindgen snippet src/engine.js (the glue imports it: the boot script's import
// is the same module).
const snippet = (name) => {
  const snippets = path.join(dir, 'snippets');
  const found = fs.existsSync(snippets)
    ? fs.readdirSync(snippets).map((d) => path.join(snippets, d, 'src', name)).filter((f) => fs.existsSync(f)) : [];
  // The two builds of the page each have their copy (the same file) under their crate's name:
  // the boot script imports the player's (one module with the player's glue: one engine module).
  const texts = new Set(found.map((f) => fs.readFileSync(f, 'utf8')));
  if (found.length < 1 || texts.size !== 1) throw new Error(`externalize-init: expected one snippets/*/src/${name}, found ${found.length}`);
  const rel = (f) => `./${path.relative(dir, f).split(path.sep).join('/')}`;
  const glue = playerJs ? fs.readFileSync(path.join(dir, playerJs), 'utf8') : '';
  return JSON.stringify(rel(found.find((f) => glue.includes(rel(f).slice(2))) ?? found.sort()[0]));
};
let html = fs.readFileSync(index, 'utf8');
// The player's glue and wasm, as Trunk's loader names them.
const loader = html.match(/<script type="module">([\s\S]*?)<\/script>/)?.[1] ?? '';
const playerJs = loader.match(/^import init, \* as bindings from '\.\/([^']+\.js)';$/m)?.[1];
const playerWasm = loader.match(/^const wasm = await init\(\{ module_or_path: '\.\/([^']+\.wasm)' \}\);$/m)?.[1];
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
  // The full page's addresses (src/activity/mod.rs `wants_activities`, src/live.rs `wanted`).
  ...(fullModule === null ? ['const full = false;'] : [
    "const full = /^#\\/*(activities\\/*$|activity\\/+[^/]|live($|[/?]))/.test(location.hash)",
    "  || (/^#?\\/*$/.test(location.hash) && /[?&](activity=|present=1(&|$))/.test(location.search));",
  ]),
  'const log = Object.hasOwn(logs, id) && !added;',
  'const wanted = activities || drawn ? null',
  '  : fetch(log ? `./logs/${id}.jsonl?v=${logs[id]}` : `./scenarios/${id}.toml?v=${versions[id]}`)',
  '    .then((r) => (r.ok ? r.text() : null)).catch(() => null);',
  // What cannot be drawn without the engine module starts it with the page.
  'const early = activities || (added && !drawn) || /[?&](activity|scenario)=/.test(location.search);',
];
// Trunk's start, `const wasm = await init({...});`, becomes: the wasm starts compiling at once,
// the page starts (`start_page`, src/main.rs) when the scenario file has arrived too.
// With two builds of the page, the glue is imported when the boot script has chosen (not by
// Trunk's `import init, * as bindings`), and the player's preloads leave index.html.
function start(body) {
  if (preload.length === 0) return body;
  const i = body.findIndex((l) => /^const wasm = await init\((.*)\);$/.test(l.trim()));
  if (i < 0) throw new Error('externalize-init: Trunk\'s loader changed; expected `const wasm = await init(...)`');
  const args = body[i].trim().match(/^const wasm = await init\((.*)\);$/)[1];
  if (fullModule === null) {
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
  return [
    ...body.slice(0, i),
    'window.mailsimDeferStart = true;',
    // The wasm and its glue at once (both were preloaded by index.html before), and the
    // engine module beside them when the first draw needs it (lost in split10: `early` was
    // computed and not used with two builds).
    'const started = load(full ? whole : player);',
    'if (early) engine_module();',
    'const [bindings, wasm, text] = await Promise.all([...started, wanted]);',
    'if (text !== null) window.mailsimPreload = { id, text, log };',
    'bindings.start_page();',
    ...body.slice(i + 1),
    // The player: the full page fetched and compiled when idle after the first draw and the
    // engine module (low priority), started at the same URL when the player hands over
    // (src/page.rs).
    'if (!full) {',
    '  const idle = (f) => (window.requestIdleCallback || setTimeout)(f);',
    '  let rest = null;',
    '  const fetchRest = () => (rest ??= Promise.all([import(whole.js),',
    "    fetch(whole.wasm, { priority: 'low' }).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`HTTP ${r.status}`))))",
    '      .then((b) => WebAssembly.compile(b))]).catch((e) => { rest = null; throw e; }));',
    // Called by the player once the engine module has the first scenario (src/data.rs).
    "  window.mailsimPrefetchFull = () => idle(() => fetchRest().catch(() => {}));",
    '  window.mailsimFull = async () => {',
    '    try {',
    "      performance.mark('mailsim-handover');",
    '      const [b, module] = await fetchRest();',
    '      await b.default({ module_or_path: module });',
    '      b.start_page();',
    '      window.wasmBindings = b;',
    "      performance.measure('mailsim-handover', 'mailsim-handover');",
    '    } catch (e) { failed(e); }',
    '  };',
    '}',
  ];
}

const re = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(re);
if (m) {
  const lines = m[1].trim().split('\n');
  // The player's glue is imported by `load` (below) when there are two builds.
  const imports = lines.filter((l) => /^import\s/.test(l) && !(fullModule && preload.length && /^import init, \* as bindings/.test(l)));
  const loaders = fullModule === null || preload.length === 0 ? [] : [
    `const player = ${JSON.stringify({ js: `./${playerJs}`, wasm: `./${playerWasm}` })};`,
    `const whole = ${JSON.stringify(fullModule)};`,
    '/** A build of the page: its glue and wasm fetched at once; the glue, then its wasm started. */',
    'const load = (m) => { const w = fetch(m.wasm); const b = import(m.js); return [b, b.then((g) => g.default({ module_or_path: w }))]; };',
  ];
  if (loaders.length) {
    if (!playerJs || !playerWasm) throw new Error('externalize-init: Trunk\'s loader changed; expected its import of the page\'s glue and wasm');
    // Trunk's preloads of the player's glue and wasm: the boot script fetches them when it
    // has chosen the player.
    for (const f of [playerJs, playerWasm]) {
      const link = new RegExp(`<link rel="(module)?preload" href="\\./${f.replace(/[.]/g, '\\.')}"[^>]*>`);
      if (!link.test(html)) throw new Error(`externalize-init: expected Trunk's preload of ${f}`);
      html = html.replace(link, '');
    }
  }
  const body = lines.filter((l) => !/^import\s/.test(l) && l.trim() !== '');
  const code = [
    ...imports,
    ...engine,
    ...preload,
    ...loaders,
    'function failed(e) {',
    "  const p = document.createElement('p');",
    "  p.id = 'boot-error';",
    "  p.setAttribute('role', 'alert');",
    "  p.textContent = 'Mailsim could not start in this browser: ' + e + '. It runs on WebAssembly with SIMD ' +",
    "    '(Chrome or Edge 91, Firefox 89, Safari 16.4 or newer), with JavaScript on. Reloading may help if the network failed.';",
    '  document.body.prepend(p);',
    '  throw e;',
    '}',
    'try {',
    ...start(body).map((l) => `  ${l}`),
    '} catch (e) {',
    '  failed(e);',
    '}',
  ].join('\n') + '\n';
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const name = `boot-${hash}.js`;
  fs.writeFileSync(path.join(dir, name), code);
  html = html.replace(re, `<script type="module" src="./${name}"></script>`);
  fs.writeFileSync(index, html);
}

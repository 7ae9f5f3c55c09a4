// Trunk post-build hook: moves the inline <script type="module"> that Trunk writes into
// index.html to a file of its own, so the site runs under a strict Content-Security-Policy
// (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-inline'). The start of the wasm is wrapped
// so that a browser that cannot compile it (the module uses WebAssembly SIMD: Chrome and Edge
// 91, Firefox 89, Safari 16.4 or newer) or cannot fetch it says so on the page, instead of
// staying blank.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const dir = process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist';
const index = path.join(dir, 'index.html');
let html = fs.readFileSync(index, 'utf8');
const re = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(re);
if (m) {
  const lines = m[1].trim().split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l) && l.trim() !== '');
  const code = [
    ...imports,
    'try {',
    ...body.map((l) => `  ${l}`),
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

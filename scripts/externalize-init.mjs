// Trunk post-build hook: moves the inline <script type="module"> that Trunk writes into
// index.html to a file of its own, so the site runs under a strict Content-Security-Policy
// (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-inline').
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const dir = process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist';
const index = path.join(dir, 'index.html');
let html = fs.readFileSync(index, 'utf8');
const re = /<script type="module">([\s\S]*?)<\/script>/;
const m = html.match(re);
if (m) {
  const code = m[1].trim() + '\n';
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const name = `boot-${hash}.js`;
  fs.writeFileSync(path.join(dir, name), code);
  html = html.replace(re, `<script type="module" src="./${name}"></script>`);
  fs.writeFileSync(index, html);
}

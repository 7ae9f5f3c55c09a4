// Trunk post-build hook: the page's style sheet without its comments and extra white space
// (www/style.css stays as written: commented, one rule a line). 1.4 KB less gzipped, 17 % of
// the CSS (docs/benchmarks.md, "Branch size9"). Only what cannot change a rule's meaning is
// dropped: comments, runs of white space, the white space around `{ } ; , >`, after `: ` and
// the last `;` of a block; strings ("Segoe UI", `content: "▸"`) are kept as they are.
// tests/e2e/size9.test.mjs checks in Chromium that both sheets parse to the same rules.
// Trunk's own `minify` would also rewrite index.html's inline loader, which
// scripts/externalize-init.mjs moves to a file for the Content-Security-Policy.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** `css` without comments and white space that does not count. */
export function minifyCss(css) {
  const strings = [];
  let out = '';
  for (let i = 0; i < css.length;) {
    if (css.startsWith('/*', i)) {
      const end = css.indexOf('*/', i + 2);
      i = end < 0 ? css.length : end + 2;
      out += ' ';
    } else if (css[i] === '"' || css[i] === "'") {
      let j = i + 1;
      while (j < css.length && css[j] !== css[i]) j += css[j] === '\\' ? 2 : 1;
      strings.push(css.slice(i, j + 1));
      out += '\0';
      i = j + 1;
    } else {
      out += css[i];
      i += 1;
    }
  }
  out = out.replace(/\s+/g, ' ').replace(/ ?([{};,>]) ?/g, '$1').replace(/: /g, ':').replaceAll(';}', '}').trim();
  let k = 0;
  return out.replace(/\0/g, () => strings[k++]);
}

/** Minifies each .css file at the top of `dir` and updates its integrity hash in index.html. */
export function minifyDist(dir) {
  const index = path.join(dir, 'index.html');
  let html = fs.readFileSync(index, 'utf8');
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.css'))) {
    const file = path.join(dir, f);
    const css = minifyCss(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, css);
    const sri = `sha384-${crypto.createHash('sha384').update(css).digest('base64')}`;
    // Trunk's <link rel="stylesheet" href="./style-HASH.css" integrity="sha384-..."/>
    const link = new RegExp(`(<link[^>]*href="[^"]*${f.replace(/[.]/g, '\\.')}"[^>]*integrity=")sha384-[^"]*(")`);
    const preload = new RegExp(`(<link[^>]*integrity=")sha384-[^"]*("[^>]*href="[^"]*${f.replace(/[.]/g, '\\.')}")`);
    html = html.replace(link, `$1${sri}$2`).replace(preload, `$1${sri}$2`);
  }
  fs.writeFileSync(index, html);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  minifyDist(process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist');
}

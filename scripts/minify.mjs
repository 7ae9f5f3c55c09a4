// Trunk post-build hook: the release build's style sheet and wasm-bindgen's JavaScript, smaller.
//
// The style sheet without its comments and extra white space (www/style.css stays as written:
// commented, one rule a line). 1.4 KB less gzipped, 17 % of the CSS (docs/benchmarks.md,
// "Branch size9"). Only what cannot change a rule's meaning is
// dropped: comments, runs of white space, the white space around `{ } ; , >`, after `: ` and
// the last `;` of a block; strings ("Segoe UI", `content: "▸"`) are kept as they are.
// tests/e2e/size9.test.mjs checks in Chromium that both sheets parse to the same rules.
// Trunk's own `minify` would also rewrite index.html's inline loader, which
// scripts/externalize-init.mjs moves to a file for the Content-Security-Policy.
//
// wasm-bindgen's glue of the three modules (mailsim-web-HASH.js, mailsim-full.js,
// mailsim-engine.js) through
// terser (npm, package.json): white space, comments and local names; the names the wasm
// imports and the module's exports are kept (property names and exports are never renamed).
// The page's glue 9.7 -> 7.5 KB gzipped.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

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

const sri = (text) => `sha384-${crypto.createHash('sha384').update(text).digest('base64')}`;

/** `html` with the integrity hash of the link to `file` set to `hash` (either attribute order). */
function relink(html, file, hash) {
  const f = file.replace(/[.]/g, '\\.');
  return html
    .replace(new RegExp(`(<link[^>]*href="[^"]*${f}"[^>]*integrity=")sha384-[^"]*(")`), `$1${hash}$2`)
    .replace(new RegExp(`(<link[^>]*integrity=")sha384-[^"]*("[^>]*href="[^"]*${f}")`), `$1${hash}$2`);
}

/** Minifies the .css files and wasm-bindgen's JS at the top of `dir`, and updates their
 * integrity hashes in index.html. */
export async function minifyDist(dir) {
  const index = path.join(dir, 'index.html');
  let html = fs.readFileSync(index, 'utf8');
  for (const f of fs.readdirSync(dir)) {
    const file = path.join(dir, f);
    let text;
    if (f.endsWith('.css')) {
      text = minifyCss(fs.readFileSync(file, 'utf8'));
    } else if (/^mailsim-(web|full|engine)([-_.].*)?\.js$/.test(f)) {
      const out = await minify(fs.readFileSync(file, 'utf8'), { module: true, compress: true, mangle: true });
      text = out.code;
    } else {
      continue;
    }
    fs.writeFileSync(file, text);
    html = relink(html, f, sri(text));
  }
  // The page's own snippet (src/engine.js, one copy per build under snippets/): commented for
  // its readers, so through terser as well (0.6 KB less gzipped in the player, session 14).
  const snippets = path.join(dir, 'snippets');
  if (fs.existsSync(snippets)) {
    for (const d of fs.readdirSync(snippets)) {
      const src = path.join(snippets, d, 'src');
      for (const f of fs.existsSync(src) ? fs.readdirSync(src).filter((f) => f.endsWith('.js')) : []) {
        const file = path.join(src, f);
        const out = await minify(fs.readFileSync(file, 'utf8'), { module: true, compress: true, mangle: true });
        fs.writeFileSync(file, out.code);
        html = relink(html, `snippets/${d}/src/${f}`, sri(out.code));
      }
    }
  }
  fs.writeFileSync(index, html);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await minifyDist(process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist');
}

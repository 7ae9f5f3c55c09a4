// Trunk post-build hook: copies the built-in scenarios' precomputed logs (the golden logs,
// crates/sim/tests/golden/ID.jsonl, which the golden test holds equal to what the engines
// write) beside the page as logs/ID.jsonl. The page draws a built-in scenario from its log
// without running the world (src/data.rs); a log over LOG_LIMIT (the class of 200, 4.9 MB) is
// left out and computed in the page. The limit is crates/sim/build.rs's LOG_LIMIT, which
// writes each log's version (a hash of its text) into the scenario index.
//
// Each copy's header line gets the scenario's description (from scenarios/descriptions.tsv,
// which a test in crates/sim holds equal to the scenarios' files): the page's wasm carries no
// descriptions, and the details panel draws the one of the log it draws (src/data.rs). build.rs
// writes the same text (`with_description`) to compute the log's version.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LOG_LIMIT = 256 * 1024;
const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const golden = path.join(top, 'crates/sim/tests/golden');
const tsv = path.join(top, 'scenarios/descriptions.tsv');

/** The scenarios' descriptions by id (scenarios/descriptions.tsv: `ID<TAB>text` lines). */
function descriptions() {
  if (!fs.existsSync(tsv)) return new Map();
  return new Map(fs.readFileSync(tsv, 'utf8').split('\n').filter((l) => l.includes('\t'))
    .map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));
}

/** The log's text with `description` added last to its header line (a JSON object). */
function withDescription(text, description) {
  const nl = text.indexOf('\n');
  if (description === undefined || nl < 0 || !text.slice(0, nl).endsWith('}')) return text;
  return `${text.slice(0, nl - 1)},"description":${JSON.stringify(description)}}${text.slice(nl)}`;
}

/** Copies the logs into `dir`/logs (scripts/externalize-init.mjs calls it first). */
export function copyLogs(dir) {
  const out = path.join(dir, 'logs');
  fs.mkdirSync(out, { recursive: true });
  const about = descriptions();
  for (const f of fs.readdirSync(golden).filter((f) => f.endsWith('.jsonl')).sort()) {
    if (fs.statSync(path.join(golden, f)).size > LOG_LIMIT) continue;
    const text = fs.readFileSync(path.join(golden, f), 'utf8');
    fs.writeFileSync(path.join(out, f), withDescription(text, about.get(f.slice(0, -'.jsonl'.length))));
  }
}

// Trunk post-build hook: copies the built-in scenarios' precomputed logs (the golden logs,
// crates/sim/tests/golden/ID.jsonl, which the golden test holds equal to what the engines
// write) beside the page as logs/ID.jsonl. The page draws a built-in scenario from its log
// without running the world (src/data.rs); a log over LOG_LIMIT (the class of 200, 4.9 MB) is
// left out and computed in the page. The limit is crates/sim/build.rs's LOG_LIMIT, which
// writes each log's version (a hash of its text) into the scenario index.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LOG_LIMIT = 256 * 1024;
const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const golden = path.join(top, 'crates/sim/tests/golden');

/** Copies the logs into `dir`/logs (scripts/externalize-init.mjs calls it first). */
export function copyLogs(dir) {
  const out = path.join(dir, 'logs');
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(golden).filter((f) => f.endsWith('.jsonl')).sort()) {
    if (fs.statSync(path.join(golden, f)).size <= LOG_LIMIT) fs.copyFileSync(path.join(golden, f), path.join(out, f));
  }
}

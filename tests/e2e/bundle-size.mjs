// Measures the release build in dist/: gzipped size (level 9) of what a browser downloads.
// `node tests/e2e/bundle-size.mjs` prints it; bundle.test.mjs holds the budgets.
// - the bundle: the wasm, the JS (wasm-bindgen's glue, the boot script) and the CSS;
// - the first download: the bundle and the one data file the page fetches to draw at its
//   default address (logs/alice-to-bob.jsonl, the scenario's precomputed log; since branch
//   split, scenarios/alice-to-bob.toml follows after the first draw: src/data.rs,
//   scripts/externalize-init.mjs);
// - the whole: the bundle and every data file (scenarios/, activities/, logs/), each gzipped
//   alone (as a server sends them).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
// 500 KB until scenario files and in-class activities came into the page (measured at that
// merge: 606 KB, of which the activity core ~58 KB and its views ~40 KB). The way down to
// issue 15's 300 KB, measured item by item, is in docs/benchmarks.md.
// 620 KB until the session of 2026-11-30 (second): 707.6 KB at its last merge. What came in:
// the live classroom view (~21 KB), the diagram at scale (~23 KB: layout, snapshots, track,
// group lanes), and the engines' growth (~58 KB: IMAP CONDSTORE/QRESYNC, SORT/THREAD, QUOTA,
// BINARY, LIST-EXTENDED, ID, rev1 forms; POP3 SASL and STLS; explicit limits and checked
// arithmetic; incremental DATA). A ratchet against unnoticed growth, not the goal.
// 720 KB until the second diet (branch diet2): 707.0 KB after merging main at 432ddc2 (32.6 KB
// off: serde's derived readers of the activity progress, std's float parsing and printing, ten
// sort copies); 717 KB left ~10 KB of headroom.
// 717 KB until the fourth session of 2026-11-30: WebAssembly SIMD took 5.9 KB off (705.3 →
// 699.4 KB), then the session's features added 25.9 KB (725.3 KB at its last merge, measured
// on each branch's build): the live view's line per student and its stream batching ~15 KB,
// the step-latency work (row chunks, lazy world checkpoints, the deferred URL) ~3 KB, the
// terminal's SCRAM helper and raw DATA ~2 KB, the QA fixes to activities (hidden future, bad
// links) ~2 KB and to protocol content ~4 KB. 735 KB leaves ~10 KB of headroom.
// 735 KB until the data went out of the wasm (branch bundle, fifth session): the 28 scenario
// files and the activity files are fetched when the page needs them, the wasm keeps their
// index (wasm 725.3 → 707.7 KB gzipped); with main merged after (two activities, the activity
// polish, layout by name: +4.8 KB) the bundle is 714.3 KB and the first download 715.0 KB.
// 722 and 723 KB leave ~1 % of headroom.
// 723 KB for the first download until branch split (sixth session): the page draws a built-in
// scenario from its precomputed log (logs/alice-to-bob.jsonl, 4.5 KB gzipped, instead of the
// 0.8 KB scenario file, which now follows after the first draw) and queues what the learner
// does until the engine has the scenario (+2.9 KB wasm, +0.5 KB boot script): 723.6 KB. That is
// the first step of the split (docs/benchmarks.md, "The way to 300 KB"): the first draw no longer
// needs the engines, which can then leave the first download. With main merged after (88f6acb:
// seven activities, imap-ports, too-many-recipients, the host's session index: +5.8 KB wasm)
// the bundle is 724.8 KB and the first download 729.4 KB: 727 and 731 KB until the engines
// leave the first download (docs/benchmarks.md). With the rest of the sixth session merged (the
// transcript as a window, +1.2 KB; the phone's scroll to a step's arrow, down and sideways) the
// bundle is 726.9 KB and the first download 731.4 KB: 728 and 732 KB. The next budgets come with
// the second module (about 323 KB first download, measured in S0).
// 728 and 732 KB until the engines left the page (branch split7, seventh session: S2b): the
// engines are a second wasm module (crates/engine-wasm) fetched after the first draw. With
// main merged at 1c4d1df the page's bundle is 374.8 KB (wasm 354.9, JS 9.5 + boot 1.9 +
// snippet 0.4, CSS 8.0) and the first download 379.4 KB; the engine module 479.9 KB; the
// whole 1,084.2 KB (92 data files 229.5 KB). S0's 323 KB was low: its stubs let the optimizer
// drop the activity views too (docs/benchmarks.md, "The second module"). With main merged
// again at 8aba99e (live7: the faster log reader, +2.4 KB) the page's bundle is 377.0 KB, the
// first download 381.6 KB, the engine module 481.8 KB, the whole 1,088.5 KB: 379 and 384 KB;
// the engine module 484 KB; the whole 1,100 KB (it grows with every scenario and activity).
// 379, 384, 484 and 1,100 KB until branch size8 (eighth session): the release build's std is
// built with the page on a pinned nightly, its panics abort at once (scripts/release-wasm.sh):
// the page's bundle 375.1 → 346.7 KB, the first download 379.7 → 351.3 KB, the engine module
// 479.7 → 444.8 KB, the whole 1,084.4 → 1,021.1 KB (docs/benchmarks.md, "Branch size8"). With
// main merged at b63711e (qa8, live8, fuzz3): 347.7, 352.3, 447.9 and 1,025.9 KB. A build on
// stable Rust (plain `trunk build --release`) is over these budgets. 349 and 354 KB until
// branch page8 (eighth session): an activity's own scenario file fetched beside it, the notice
// for a link to a missing scenario, IMAP's "LOGOUT from any state": +2.1 KB, the bundle 349.8 KB
// and the first download 354.3 KB at c1a38fa.
// 351, 356, 449 and 1,030 KB until branch size9 (ninth session): the scenarios' descriptions out
// of both modules' indexes (the panel's from the precomputed log's header, the search's from
// scenarios/descriptions.tsv fetched on first use), the state diagram linking the servers'
// machines only, the style sheet and wasm-bindgen's JS minified at build time
// (scripts/minify.mjs): the page's bundle 349.6 -> 339.9 KB, the first download 354.2 -> 344.7
// KB, the engine module 448.1 -> 441.4 KB, the whole 1,027.9 -> 1,024.5 KB (docs/benchmarks.md,
// "Branch size9"). Then, merged in main (ninth session): SIMD back in both release modules
// (branch ratio9: release-wasm.sh's RUSTFLAGS had replaced +simd128 since size8), −3.4 KB on the
// page; the log kept for a returning learner (branch boot9, src/kept.rs), +1.5 KB; live9's rows
// and qa9's fixes: the page's bundle 338.6 KB, the first download 343.4 KB, the engine
// module 439.5 KB, the whole 1,021.6 KB at cb77039. About 0.5 KB of headroom each.
// 339, 344, 440 and 1,022.5 KB until branch split10 (tenth session): the page is built twice,
// the player (the playground only) and the full page (the activities and the live view too),
// loaded instead on their addresses and prefetched by the player when idle after the engine
// (src/page.rs, scripts/externalize-init.mjs). The player's bundle 338.5 -> 243.1 KB, the first
// download 343.3 -> 247.9 KB; the engine module 439.6 -> 438.7 KB (its glue minified again:
// scripts/minify.mjs had stopped matching its unhashed name); the full page 328.9 KB; the whole
// 1,021.6 -> 1,254.1 KB (the full page is a third module). About 0.5 KB of headroom each.
// At the merge with ratio10 (the log reader without serde_json::Value: +1.2 KB in each module),
// qa10 (the IMAP greeting paths in the state diagram, the activity check's verbs: page +1.3,
// engine +1.7 KB) and live10 (+0.25 KB): the player 246.0 KB, the first download 250.8 KB, the
// engine module 441.4 KB, the full page 331.7 KB, the whole 1,263.0 KB.
// With engine10's log writer and EXAMINE's PERMANENTFLAGS (): the player 245.1 KB, the first
// download 249.9 KB, the engine module 441.1 KB, the full page 331.3 KB, the whole 1,261.4 KB.
// qa13 (session 13): the diagrams' text follows the browser's text size (text zoom 200 %) and a
// phone's header and controls take one row each, so that the diagram is on its first screen:
// player +0.7 KB, full page +0.8 KB (live13's owner records took 0.2 KB off the full page). The
// player 246.1 KB, the first download 251.0 KB, the full page 332.6 KB, the whole 1,263.8 KB.
// Session 14: qa14's text-size probe (src/engine.js) and the snippet through terser (−0.65 KB),
// ratio14's SCRAM keys (engine −31 B): the player 246.1 KB, the first download 250.9 KB, the
// engine module 441.3 KB, the full page 332.6 KB, the whole 1,263.9 KB. No budget moved.
// Session 16: step16 (the side panels a frame after the step, the diagram following by pages:
// step p50 at 10,000 messages 20.4–23.8 → 15.9–19.1 ms, 8 of 120 steps scroll instead of 85;
// docs/benchmarks.md "Branch step16") +0.5 KB on the player and +0.3 KB on the full page; qa16's
// fixes +0.15 KB on the full page. The player 246.9 KB, the first download 251.7 KB, the full
// page 333.2 KB: the three budgets +0.5 KB (the target for the player is 300 KB).
// Session 18: step17 (the diagram's rows in an SVG per chunk, each a paint layer: paint per step
// at 10,000 messages 3.75–4.9 → 2.3–3.3 ms, docs/benchmarks.md "Branch step17") +122 B on the
// player and +165 B on the full page; live17 (the live draw's per-frame budget, issue 16) +16 B
// and +225 B. The player 252,996 B, the full page 341,681 B: the player's and the full page's
// budgets +0.25 KB, the whole +0.5 KB.
// Session 20: lanes narrower than 150 (down to 128) when the whole diagram then fits its pane
// (six lanes at 1,440 px: the phases' names were cut at the pane's edge, src/diagram.rs
// `widths`) +83 B on the player: the player 253,143 B; the first download 258,097 B, its
// budget +0.25 KB (the target for the first download is 300 KB).
// Session 22: at 390 px the rows that scroll sideways (header, controls, view bar, tabs) fade
// out where they are cut, so a phone's user sees there is more that way (www/style.css, +55 B):
// the player 253,223 B, its budget +0.25 KB.
export const BUDGET = 247.5 * 1024;
// What the page needs to draw its default scenario and be interactive.
export const FIRST_BUDGET = 252.25 * 1024;
/** The engine module (its wasm and JS), fetched after the first draw. */
// 442.5 KB since session 16 (441.5 before): the port-blocked scenario (session 15) gave the
// world a firewall (a user agent's `blocked-ports`: an unanswered SYN, a timeout, its own
// narration) and submission on 2525, +0.9 KB gzipped of engine code (441.3 → 442.2 KB). The
// engine module comes after the first draw: time to interactive does not move.
// 443 KB since qa16 (session 16), correctness fixes only: a typed prediction read as the lecture
// writes the line (a tag, `*` n, `C:`, `HTTP/1.1` skipped), the null MX and 550 5.1.2 explained
// right (+0.5 KB): 442.8 KB.
// 443.5 KB since session 18, correctness fixes only: qa18act (a typed Cc with a comment or a
// group, predictions with a full stop or from a 250- continuation line: +168 B) and qa18class
// (a command line ended by a bare LF refused at once in every engine, the page's as well as
// `mailsim serve`'s: +~125 B): 453,923 B.
// 443.75 KB since session 22, correctness fixes only: wire text in ASCII where the grammar is
// 7-bit (the simulated HTTP server's refusals, a bounce's diagnostic: "section" for "§") and the
// HTTP refusal's status line with its own reason phrase, the why in its body (+36 B): 454,178 B.
export const ENGINE_BUDGET = 443.75 * 1024;
/** The full page (its wasm and JS): the activities' and the live view's addresses. */
// 334.25 KB since session 19 (333.75 before): live19 (issue 16: the students' list bounded at
// 1,000 students — the connected ones, 25 at most, and a count — and the menus' title: +242 B)
// and "1 item" on an activity's pages (+~60 B): 342,052 B.
// 334.5 KB since session 22: the position, the clock and the track's marker drawn with the side
// panels, a frame after the step's row (issue 15: at 10,000 messages a step's draw 2.6–2.9 →
// 0.9–1.0 ms, step p95 20.8–21.4 → 18.6–19.3 ms; docs/benchmarks.md, session 22), +36 B: 342,281 B.
export const FULL_BUDGET = 334.5 * 1024;
/** The three modules and every data file (it grows with every scenario and activity). */
// 1,262.5 KB since qa12 (session 12): legible state diagrams drawn top to bottom and the
// ?scenario=/?log= boot paths put the whole 0.4 KB over 1,262 KB (docs/benchmarks.md "qa12").
// 1,264.5 KB since qa13 (session 13): text zoom and the phone's first screen, +1.4 KB.
// 1,275 KB since session 16: the 33rd scenario and 31st activity (port-blocked, session 15):
// its precomputed log 6.0 KB, its scenario file 1.0 KB, its activity 1.8 KB, and the engine's
// +0.9 KB (1,263.9 → 1,274.2 KB). 1,277.5 KB with step16 and qa16 (+0.8 KB of modules above,
// +0.5 engine; qa16's answer patterns and the re-explained logs +0.4 KB of data): 1,276.9 KB.
// 1,278.5 KB since session 18: the engine's correctness fixes above and key18 (+42 B on the full
// page): 1,308,711 B.
// 1,279 KB since session 19: the full page's +309 B above and the predictions read in quotes or
// with the side glued on (`"EHLO"`, `C:EHLO`: +~200 B of engine): 1,309,248 B.
// 1,279.25 KB since session 22: the engine's correctness fixes (+36 B) and the position drawn
// with the panels (+47 B on the player, +36 on the full page): 1,309,756 B.
export const WHOLE_BUDGET = 1279.25 * 1024;
/** The data file the page fetches at its default address. */
export const START_DATA = ['logs/alice-to-bob.jsonl'];
const DATA_DIRS = ['scenarios', 'activities', 'logs'];

/** The engine module's files (crates/engine-wasm), fetched after the first draw. */
export const isEngine = (f) => /^mailsim-engine[-_.]/.test(f);
/** The full page's files (`mailsim-full`: the activities and the live view too), loaded instead
 * of the player on their addresses, and fetched by the player when idle after the engine. */
export const isFull = (f) => /^mailsim-full[-_.]/.test(f);
/** The page's own files at the player's addresses: not the engine module, not the full page. */
export const isPlayer = (f) => !isEngine(f) && !isFull(f);

/** Code files in dist/ and in its snippets/ (wasm-bindgen's, such as src/engine.js). */
function codeFiles(dist) {
  const top = fs.readdirSync(dist).filter((f) => /\.(wasm|js|css)$/.test(f));
  const snippets = path.join(dist, 'snippets');
  const nested = fs.existsSync(snippets)
    ? fs.readdirSync(snippets, { recursive: true }).map(String).filter((f) => f.endsWith('.js')).map((f) => `snippets/${f}`)
    : [];
  return [...top, ...nested];
}

/** The page's bundle (wasm, JS, CSS; not the engine module): rows and their gzipped total. */
export function measure(dist = DIST, which = isPlayer) {
  const rows = codeFiles(dist).filter(which).map((f) => {
    const data = fs.readFileSync(path.join(dist, f));
    return { file: f, raw: data.length, gzip: zlib.gzipSync(data, { level: 9 }).length };
  });
  return { rows, total: rows.reduce((s, r) => s + r.gzip, 0) };
}

const gzipped = (file) => {
  const data = fs.readFileSync(file);
  return { raw: data.length, gzip: zlib.gzipSync(data, { level: 9 }).length };
};

/** The data files in dist/ (scenarios/, activities/): relative name, raw and gzipped bytes. */
export function data(dist = DIST) {
  return DATA_DIRS.flatMap((d) => (fs.existsSync(path.join(dist, d)) ? fs.readdirSync(path.join(dist, d)).sort() : [])
    .map((f) => ({ file: `${d}/${f}`, ...gzipped(path.join(dist, d, f)) })))
    .filter((r) => DATA_DIRS.some((d) => r.file.startsWith(`${d}/`)));
}

/** The first download (the page's bundle + START_DATA), the full page (its glue and wasm), and
 * the whole (the three modules + every data file), gzipped. */
export function downloads(dist = DIST) {
  const { total } = measure(dist);
  const engine = measure(dist, isEngine).total;
  const full = measure(dist, isFull).total;
  const files = data(dist);
  const start = files.filter((r) => START_DATA.includes(r.file)).reduce((s, r) => s + r.gzip, 0);
  const all = files.reduce((s, r) => s + r.gzip, 0);
  return { bundle: total, engine, full, startData: start, first: total + start, data: all, whole: total + engine + full + all, files: files.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows, total } = measure(DIST, () => true);
  for (const r of rows) console.log(`${r.file.padEnd(44)} ${String(r.raw).padStart(8)} B  ${String(r.gzip).padStart(8)} B gzipped`);
  const kb = (b) => (b / 1024).toFixed(1);
  const d = downloads();
  console.log(`page bundle (wasm + JS + CSS): ${kb(d.bundle)} KB gzipped (budget ${BUDGET / 1024} KB)`);
  console.log(`engine module (after the first draw): ${kb(d.engine)} KB gzipped`);
  console.log(`full page (the activities and the live view too; the player fetches it when idle): ${kb(d.full)} KB gzipped`);
  console.log(`first download (bundle + ${START_DATA.join(', ')}): ${kb(d.first)} KB gzipped (budget ${FIRST_BUDGET / 1024} KB)`);
  console.log(`whole (the three modules + ${d.files} data files, each gzipped): ${kb(d.whole)} KB gzipped (data ${kb(d.data)} KB)`);
}

// Sums a V8 .cpuprofile (Chromium's Profiler through CDP, or `node --cpu-prof`) by function:
// self time, in ms and % of the sampled time, the top N (default 40). With a wasm module whose
// names are kept (wasm-bindgen's output before wasm-opt, or wasm-opt -g), its functions are
// named. `--by prefix` sums by the name's first path segments instead (`mailsim_proto::imap`...).
//
//   node bench/profile-summary.mjs FILE.cpuprofile [N] [--by prefix] [--from MS --to MS]
import fs from 'node:fs';

const args = process.argv.slice(2);
const file = args[0];
const flag = (k) => { const i = args.indexOf(k); return i < 0 ? null : args[i + 1]; };
const top = Number(args[1] && !args[1].startsWith('--') ? args[1] : 40);
const by = flag('--by');
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
// Sample i took timeDeltas[i+1] (the time to the next sample).
let t = p.startTime;
const from = flag('--from') != null ? p.startTime + Number(flag('--from')) * 1000 : -Infinity;
const to = flag('--to') != null ? p.startTime + Number(flag('--to')) * 1000 : Infinity;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] || 0;
  const dt = (p.timeDeltas[i + 1] || 0) / 1000;
  if (t < from || t > to) continue;
  const n = byId.get(p.samples[i]);
  let name = n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anonymous'})`;
  if (by === 'prefix') name = name.replace(/^<|^\$/, '').split('::').slice(0, 2).join('::');
  self.set(name, (self.get(name) || 0) + dt);
  total += dt;
}
// --incl A,B: the inclusive time of the frames whose names contain A, B... (a sample counts
// once for each pattern found anywhere on its stack).
const incl = flag('--incl');
if (incl) {
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const pats = incl.split(',');
  const sums = new Map(pats.map((x) => [x, 0]));
  let tt = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    tt += p.timeDeltas[i] || 0;
    const dt = (p.timeDeltas[i + 1] || 0) / 1000;
    if (tt < from || tt > to) continue;
    const names = [];
    for (let id = p.samples[i]; id != null; id = parent.get(id)) names.push(byId.get(id).callFrame.functionName);
    for (const x of pats) if (names.some((nm) => nm.includes(x))) sums.set(x, sums.get(x) + dt);
  }
  for (const [x, ms] of sums) console.log(`inclusive ${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)} %  ${x}`);
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`sampled ${total.toFixed(1)} ms`);
for (const [name, ms] of rows) console.log(`${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)} %  ${name.slice(0, 150)}`);

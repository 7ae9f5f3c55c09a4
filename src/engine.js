// The engine module (crates/engine-wasm), fetched after the page's first draw and imported
// on the main thread: src/engine.rs calls its exports synchronously once it is here. Its
// files' URLs are left by the boot script in `window.mailsimEngine` (with their versions);
// without them (a build without the hook), Trunk's names beside the page.
let pending = null;

export function engine_module() {
  if (pending === null) {
    const urls = window.mailsimEngine || { js: './mailsim-engine.js', wasm: './mailsim-engine_bg.wasm' };
    const js = new URL(urls.js, document.baseURI).href;
    const wasm = new URL(urls.wasm, document.baseURI).href;
    pending = import(js).then(async (m) => {
      await m.default({ module_or_path: wasm });
      return m;
    });
    pending.catch(() => { pending = null; });
  }
  return pending;
}

// The logs kept so that a returning learner's scenario is drawn before the engine module is
// here (src/kept.rs says why, what and how much). The boot script imports kept_read too.
const P = 'mailsim.kept.';
const head = (v, b = window.mailsimEngine?.build) => b && `mailsim-kept/1 ${v} ${b}`;
const toml = (id) => localStorage.getItem(`mailsim.actions.${id}`);

export function kept_read(id, v) {
  try {
    const s = localStorage;
    const r = s.getItem(P + id) || '';
    const a = r.indexOf('\n');
    const b = r.indexOf('\n', a + 1);
    if (b < 0 || r.slice(0, a) !== head(v) || JSON.parse(r.slice(a + 1, b)) !== toml(id)
      || s.getItem(`mailsim.set-aside.${id}`) !== null || (s.getItem('mailsim.replaying') || '').split('\t')[1] === id) return;
    return r.slice(b + 1);
  } catch {}
}

export function kept_write(id, v, actions, log) {
  try {
    localStorage.removeItem(P + id);
    const t = toml(id);
    const r = t && actions && head(v) && `${head(v)}\n${JSON.stringify(t)}\n${actions}\n${log}`;
    if (r && r.length < 1e6) {
      kept_forget_all();
      localStorage.setItem(P + id, r);
    }
  } catch {}
}

export function kept_forget_all() {
  try {
    for (let i = localStorage.length; i-- > 0;) if (localStorage.key(i)?.startsWith(P)) localStorage.removeItem(localStorage.key(i));
  } catch {}
}

export function kept_differs(id) {
  console.warn(`mailsim: the log kept for "${id}" differs from the engine's run; redrawn.`);
}

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

// The log kept for a returning learner (src/kept.rs); the boot script imports kept_read too.
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
    const s = localStorage;
    const h = head(v);
    const r = toml(id) && actions && h && `${h}\n${JSON.stringify(toml(id))}\n${actions}\n`;
    const old = s.getItem(P + id);
    if (r && old?.startsWith(r) && old !== r + log) console.warn(`mailsim: kept log of ${id} differs from the engine's run; redrawn`);
    for (let i = s.length; i-- > 0;) if (s.key(i)?.startsWith(P)) s.removeItem(s.key(i));
    if (r && r.length + log.length < 1e6) s.setItem(P + id, r + log);
  } catch {}
}

// The page's text size changed alone (no window edge moved: Firefox's text-only zoom, the
// default font size changed while the page is open): an element 1 rem wide (#em-probe,
// www/style.css) changes width, and that is sent on as a `resize`, which the diagram (it reads
// the root's font size where it measures its pane) and the tabs (panels::use_narrow) follow.
// Here, when this module is first imported (by the boot script, or by a build's glue), not in
// Rust: through web-sys it cost the player 0.5 KB gzipped. Once per page: each build of the
// page has its copy of this file.
if (!window.mailsimTextProbe && typeof ResizeObserver === 'function') {
  const probe = document.createElement('i');
  probe.id = 'em-probe';
  probe.setAttribute('aria-hidden', 'true');
  document.documentElement.append(probe);
  let first = true;
  window.mailsimTextProbe = new ResizeObserver(() => {
    if (!first) window.dispatchEvent(new Event('resize'));
    first = false;
  });
  window.mailsimTextProbe.observe(probe);
}

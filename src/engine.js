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

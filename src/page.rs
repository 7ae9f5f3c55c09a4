// The page's modules and start, shared by both bins (src/main.rs, the player; src/full.rs,
// everything): included, so that each bin's crate root is this file's items.

mod activity;
mod app;
mod data;
mod diagram;
mod engine;
mod growing;
mod guard;
mod inspector;
mod kept;
mod layout;
mod learner;
mod live;
mod panels;
mod state;
mod states;
mod transcript;

fn main() {
    guard::install();
    // The boot script starts the page itself once the first scenario file has arrived too
    // (scripts/externalize-init.mjs); without it, the page starts now and fetches the file.
    let deferred = web_sys::window()
        .and_then(|w| web_sys::js_sys::Reflect::get(&w, &"mailsimDeferStart".into()).ok())
        .is_some_and(|v| v.is_truthy());
    if !deferred {
        start_page();
    }
}

/// Draws the page (once), with the scenario file the boot script fetched, if any.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_page() {
    thread_local!(static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    data::take_preload();
    let page = yew::Renderer::<data::Gate>::new().render();
    PAGE.with(|p| *p.borrow_mut() = Some(page));
    // A change of the text size alone (no resize) is sent on as a `resize` by src/engine.js.
}

thread_local!(static PAGE: std::cell::RefCell<Option<yew::AppHandle<data::Gate>>> = const { std::cell::RefCell::new(None) });

/// The player, navigated to an address it does not draw (the activities, the live view:
/// `activity::Root`, `app::App`): takes itself off the page and has the boot script start the
/// full build (`window.mailsimFull`, scripts/externalize-init.mjs) at the same URL. What the
/// page keeps in the URL and in local storage (the learner's actions, the kept log, the step)
/// is all the full build starts from; nothing else carries over.
#[cfg(not(feature = "full"))]
pub(crate) fn hand_over() {
    thread_local!(static GONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if GONE.with(|g| g.replace(true)) {
        return;
    }
    // Outside the render that asked for it: Yew's scheduler is not running.
    wasm_bindgen_futures::spawn_local(async {
        if let Some(page) = PAGE.with(|p| p.borrow_mut().take()) {
            page.destroy();
        }
        // A build without the boot script (its hook did not run): say so rather than stay blank.
        if !call_boot("mailsimFull") {
            if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
                body.set_text_content(Some("This address needs the full page (mailsim-full), which this build does not load."));
            }
        }
    });
}

/// Calls the boot script's function `name` (scripts/externalize-init.mjs); false if it has none.
#[cfg(not(feature = "full"))]
fn call_boot(name: &str) -> bool {
    use wasm_bindgen::JsCast;
    let f = web_sys::window()
        .and_then(|w| web_sys::js_sys::Reflect::get(&w, &name.into()).ok())
        .and_then(|f| f.dyn_into::<web_sys::js_sys::Function>().ok());
    f.is_some_and(|f| f.call0(&wasm_bindgen::JsValue::NULL).is_ok())
}

/// The player, once the engine module has come after its first draw: the boot script fetches
/// and compiles the full page when the browser is idle, at low priority, so that a hand-over
/// later is quick.
pub(crate) fn prefetch_full() {
    #[cfg(not(feature = "full"))]
    call_boot("mailsimPrefetchFull");
}

/// The player's place-holder for a part it hands over.
#[cfg(not(feature = "full"))]
#[yew::function_component(HandOver)]
pub(crate) fn hand_over_view() -> yew::Html {
    yew::use_effect_with((), |_| hand_over());
    yew::html! { <p class="loading" role="status">{"Loading…"}</p> }
}

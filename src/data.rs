//! The built-in scenario and activity files, fetched when the page needs them.
//!
//! They are not compiled into the wasm (the feature `fetch-data` of `mailsim-sim`): Trunk
//! copies `scenarios/` and `activities/` into `dist/` (index.html), and the page fetches
//! `scenarios/ID.toml` when it opens that scenario, and every activity file (and every
//! scenario, which any activity may name) when it opens the activities. The wasm keeps their
//! index (`scenario::index`, `activity::builtin_index`), so the picker lists and searches
//! every scenario without its file.
//!
//! A built-in scenario the learner has not added to is drawn from its precomputed log
//! (`logs/ID.jsonl`, the golden log, when the index names one: [`log_of`]), without running
//! the world; its file goes to the engine after the first draw ([`then_engine`]), before
//! the learner's first action replays it (the player queues what comes earlier).
//!
//! The index has no descriptions (16 KB of text, 6 KB gzipped, out of the wasm): a built-in
//! scenario's is in the header of its precomputed log (scripts/copy-logs.mjs), which the
//! details panel draws with the log ([`description`]); the picker's search fetches all of
//! them when the learner first goes to the search field ([`load_descriptions`]).
//!
//! The boot script fetches the log (or the file) the URL opens while the wasm downloads
//! ([`take_preload`]); [`Gate`] fetches what else the URL asks for before the page draws (and again when the URL turns
//! to the activities); [`then_open`] fetches a scenario chosen later before opening it.

use crate::engine;
use crate::state::{parse_fragment, DEFAULT_SCENARIO};
use gloo_events::EventListener;
use mailsim_sim::{scenario, EventLog};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

thread_local! {
    /// Whether every built-in activity and scenario file has been fetched.
    static ALL: Cell<bool> = const { Cell::new(false) };
    /// The number of the last [`then_open`] request.
    static LATEST: Cell<u32> = const { Cell::new(0) };
    /// The precomputed logs fetched, by scenario id.
    static LOGS: RefCell<Vec<(String, Rc<EventLog>)>> = const { RefCell::new(Vec::new()) };
    /// Built-in scenarios' descriptions at hand (from their logs, or all of them), by id.
    static DESCRIPTIONS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// Whether every description is here ([`load_descriptions`]), and who waits for them.
    static ALL_DESCRIBED: Cell<bool> = const { Cell::new(false) };
    static DESCRIBED_WAITING: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
}

/// The description of built-in scenario `id`, if at hand: from its precomputed log's header,
/// or from the file of every description.
pub fn description(id: &str) -> Option<String> {
    DESCRIPTIONS.with(|d| d.borrow().iter().find(|(i, _)| i == id).map(|(_, t)| t.clone()))
}

fn keep_description(id: &str, text: &str) {
    DESCRIPTIONS.with(|d| {
        let mut d = d.borrow_mut();
        if !d.iter().any(|(i, _)| i == id) {
            d.push((id.to_string(), text.to_string()));
        }
    });
}

/// Whether every built-in scenario's description is here (the search finds them by it).
pub fn all_described() -> bool {
    ALL_DESCRIBED.with(Cell::get)
}

/// Fetches every built-in scenario's description (`scenarios/descriptions.tsv`) unless it is
/// here or on its way, and runs `done` once it is here (not if it already was).
pub fn load_descriptions(done: impl FnOnce() + 'static) {
    if all_described() {
        return;
    }
    let first = DESCRIBED_WAITING.with(|w| {
        let mut w = w.borrow_mut();
        w.push(Box::new(done));
        w.len() == 1
    });
    if !first {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match fetch_all(&[scenario::descriptions_url()]).await {
            Ok(texts) => {
                for (id, text) in scenario::read_descriptions(&texts[0]) {
                    keep_description(id, text);
                }
                ALL_DESCRIBED.with(|a| a.set(true));
                for f in DESCRIBED_WAITING.with(|w| std::mem::take(&mut *w.borrow_mut())) {
                    f();
                }
            }
            Err(m) => {
                // The next visit to the search field tries again.
                DESCRIBED_WAITING.with(|w| w.borrow_mut().clear());
                report(&m);
            }
        }
    });
}

/// The precomputed log of built-in scenario `id` (a run without learner actions), if fetched.
pub fn log_of(id: &str) -> Option<Rc<EventLog>> {
    LOGS.with(|l| l.borrow().iter().find(|(i, _)| i == id).map(|(_, log)| log.clone()))
}

fn provide_log(id: &str, text: &str) -> Result<(), String> {
    let log = EventLog::from_jsonl(text).map_err(|e| format!("could not read logs/{id}.jsonl: {e}"))?;
    // The scenario's description, which scripts/copy-logs.mjs put into the header line.
    let header = text.lines().next().and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    if let Some(d) = header.as_ref().and_then(|h| h["description"].as_str()) {
        keep_description(id, d);
    }
    LOGS.with(|l| {
        let mut l = l.borrow_mut();
        if !l.iter().any(|(i, _)| i == id) {
            l.push((id.to_string(), Rc::new(log)));
        }
    });
    Ok(())
}

/// Whether built-in scenario `id` can be drawn now: the engine has it, or its precomputed log
/// is here and the learner has not added to it, or the log of what they added is kept from an
/// earlier load (`crate::kept`).
fn drawable(id: &str) -> bool {
    engine::scenario_ready(id)
        || (log_of(id).is_some() && !crate::state::has_learner_actions(id))
        || crate::kept::get(id).is_some()
}

/// What the page at the current URL needs before it can draw.
#[derive(Clone, PartialEq)]
enum Need {
    /// A built-in scenario (or, for an id that is none, the default one the player opens).
    Scenario(String),
    /// The activities: every activity file and every scenario.
    All,
}

fn wanted() -> Need {
    // The player build fetches nothing for the activities: it hands them over (src/page.rs).
    if cfg!(feature = "full") && crate::activity::wants_activities() {
        return Need::All;
    }
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    Need::Scenario(parse_fragment(&hash).map(|(id, _)| id).unwrap_or_else(|| DEFAULT_SCENARIO.into()))
}

/// The built-in scenario the player opens for `id`: itself, or the default one.
fn builtin_for(id: &str) -> &str {
    if scenario::entry(id).is_some() {
        id
    } else {
        DEFAULT_SCENARIO
    }
}

fn at_hand(need: &Need) -> bool {
    match need {
        Need::Scenario(id) => drawable(builtin_for(id)),
        Need::All => ALL.with(Cell::get),
    }
}

/// Fetches every URL at once; their texts, in order, or what went wrong with the first that
/// failed.
async fn fetch_all(urls: &[String]) -> Result<Vec<String>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let pending: Vec<_> = urls.iter().map(|u| window.fetch_with_str(u)).collect();
    let mut out = Vec::with_capacity(urls.len());
    for (url, p) in urls.iter().zip(pending) {
        let failed = |why: &str| format!("could not load {}: {why}", url.split('?').next().unwrap_or(url));
        let resp = JsFuture::from(p).await.map_err(|_| failed("the network request failed"))?;
        let resp: web_sys::Response = resp.dyn_into().map_err(|_| failed("no response"))?;
        if !resp.ok() {
            return Err(failed(&format!("the server answered HTTP {}", resp.status())));
        }
        let text = JsFuture::from(resp.text().map_err(|_| failed("no body"))?).await.map_err(|_| failed("no body"))?;
        out.push(text.as_string().ok_or_else(|| failed("the body is not text"))?);
    }
    Ok(out)
}

/// Fetches what draws built-in scenario `id` (or the default one, for an id that is none),
/// unless it is at hand: its precomputed log, or (if it has none, or the learner added to it)
/// its file, for the engine.
pub async fn load_scenario(id: &str) -> Result<(), String> {
    let id = builtin_for(id);
    if drawable(id) {
        return Ok(());
    }
    let entry = scenario::entry(id).ok_or("no default scenario")?;
    match entry.log_url().filter(|_| !crate::state::has_learner_actions(id)) {
        Some(url) => provide_log(id, &fetch_all(&[url]).await?.remove(0)),
        // The first draw waits for the engine (the learner's actions, no kept log): the full
        // page is prefetched after it too (src/page.rs).
        None => load_engine(id).await.inspect(|_| crate::prefetch_full()),
    }
}

/// Fetches the engine module and built-in scenario `id`'s file for it (at once), unless the
/// engine has it.
async fn load_engine(id: &str) -> Result<(), String> {
    if engine::scenario_ready(id) {
        return Ok(());
    }
    let entry = scenario::entry(id).ok_or_else(|| format!("\"{id}\" is not a built-in scenario"))?;
    if engine::scenario_held(id) {
        // The boot script fetched the file: it goes to the module when that comes.
        engine::load().await?;
        if engine::scenario_ready(id) {
            return Ok(());
        }
    }
    let (module, text) = futures_join(engine::load(), fetch_all(&[entry.url()])).await;
    module?;
    let text = text?.remove(0);
    if engine::scenario_ready(id) {
        return Ok(());
    }
    engine::provide_scenario(id, &text)
}

/// Both futures, run together.
async fn futures_join<A, B>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
) -> (A, B) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(x) = a.as_mut().poll(cx) {
                ra = Some(x);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(x) = b.as_mut().poll(cx) {
                rb = Some(x);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.take().expect("polled to the end"), rb.take().expect("polled to the end"))
}

/// Runs `ready` once the engine has built-in scenario `id`: now, or after fetching its file
/// (what went wrong is reported on the page).
pub fn then_engine(id: String, ready: impl FnOnce() + 'static) {
    if engine::scenario_ready(&id) {
        return ready();
    }
    wasm_bindgen_futures::spawn_local(async move {
        match load_engine(&id).await {
            Ok(()) => {
                ready();
                crate::prefetch_full();
            }
            Err(m) => report(&m),
        }
    });
}

/// Fetches every built-in activity file and every built-in scenario not at hand yet.
async fn load_all() -> Result<(), String> {
    let acts = engine::activity_index();
    let scenarios: Vec<_> = scenario::index().filter(|e| !engine::scenario_ready(e.id)).collect();
    let urls: Vec<String> = acts.iter().map(|a| a.url()).chain(scenarios.iter().map(|e| e.url())).collect();
    let (module, texts) = futures_join(engine::load(), fetch_all(&urls)).await;
    module?;
    let texts = texts?;
    let scenarios: Vec<_> =
        scenarios.into_iter().zip(&texts[acts.len()..]).filter(|(e, _)| !engine::scenario_ready(e.id)).collect();
    let act_texts = &texts[..acts.len()];
    for (e, text) in scenarios {
        engine::provide_scenario(e.id, text)?;
    }
    for (a, text) in acts.iter().zip(act_texts) {
        engine::provide_activity(a.name, text);
    }
    ALL.with(|a| a.set(true));
    Ok(())
}

/// Loads what the URL needs, until what it needs is at hand (it may change meanwhile).
async fn load_wanted() -> Result<(), String> {
    loop {
        match wanted() {
            need if at_hand(&need) => return Ok(()),
            Need::Scenario(id) => load_scenario(&id).await?,
            Need::All => load_all().await?,
        }
    }
}

/// Takes the scenario file the boot script fetched while the wasm downloaded
/// (`window.mailsimPreload`, scripts/externalize-init.mjs), so that the page draws at once.
pub fn take_preload() {
    use web_sys::js_sys::Reflect;
    let Some(window) = web_sys::window() else { return };
    let key = wasm_bindgen::JsValue::from_str("mailsimPreload");
    let Ok(v) = Reflect::get(&window, &key) else { return };
    let get = |k: &str| Reflect::get(&v, &k.into()).ok().and_then(|x| x.as_string());
    let log = Reflect::get(&v, &"log".into()).ok().and_then(|x| x.as_bool()).unwrap_or(false);
    if let (Some(id), Some(text)) = (get("id"), get("text")) {
        let _ = if log { provide_log(&id, &text) } else { engine::provide_scenario(&id, &text) };
    }
    let _ = Reflect::delete_property(&window, &key);
}

/// Shows what could not be loaded, as text, at the top of the page.
fn report(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = doc.body() else { return };
    let p = match doc.get_element_by_id("load-error") {
        Some(p) => p,
        None => {
            let Ok(p) = doc.create_element("p") else { return };
            p.set_id("load-error");
            let _ = p.set_attribute("role", "alert");
            let _ = body.prepend_with_node_1(&p);
            p
        }
    };
    p.set_text_content(Some(&format!("Mailsim {message}. Reloading the page may help.")));
}

/// Runs `open` once built-in scenario `id` (or the default one, for an id that is none) is
/// at hand: now, or after fetching it, unless another scenario was asked for meanwhile (the
/// last one asked for opens, whichever file arrives first). Not the URL decides that: while a
/// file is on its way the page may still write the scenario on screen into the URL.
pub fn then_open(id: String, open: impl FnOnce() + 'static) {
    let ticket = LATEST.with(|l| l.get().wrapping_add(1));
    LATEST.with(|l| l.set(ticket));
    if at_hand(&Need::Scenario(id.clone())) {
        return open();
    }
    wasm_bindgen_futures::spawn_local(async move {
        match load_scenario(&id).await {
            Ok(()) if LATEST.with(Cell::get) == ticket => open(),
            Ok(()) => {}
            Err(m) => report(&m),
        }
    });
}

/// Whether a `hashchange` left the live view (`#/live`, src/live.rs).
fn left_live(e: &web_sys::Event) -> bool {
    let old = web_sys::js_sys::Reflect::get(e, &"oldURL".into()).ok().and_then(|u| u.as_string()).unwrap_or_default();
    let hash = old.split_once('#').map_or("", |(_, h)| h);
    hash == "/live" || hash.starts_with("/live/") || hash.starts_with("/live?")
}

/// The page, once what its URL needs is at hand.
#[function_component(Gate)]
pub fn gate() -> Html {
    let ready = use_state(|| at_hand(&wanted()));
    {
        let ready = ready.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            // The activities need every file; a scenario chosen in the player is fetched
            // before it opens (`then_open`).
            // Leaving the live view, the player may need its scenario's files first (the page may
            // have started at `#/live`, or been handed over there by the player: src/page.rs).
            let listener = EventListener::new(&window, "hashchange", move |e| {
                let need = wanted();
                if !at_hand(&need) && (need == Need::All || left_live(e)) {
                    ready.set(false);
                }
            });
            move || drop(listener)
        });
    }
    {
        let ready = ready.clone();
        use_effect_with(*ready, move |r| {
            if !*r {
                wasm_bindgen_futures::spawn_local(async move {
                    match load_wanted().await {
                        Ok(()) => ready.set(true),
                        Err(m) => report(&m),
                    }
                });
            }
        });
    }
    if *ready {
        html! { <crate::activity::Root /> }
    } else {
        html! { <p class="loading" role="status">{"Loading…"}</p> }
    }
}

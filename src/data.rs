//! The built-in scenario and activity files, fetched when the page needs them.
//!
//! They are not compiled into the wasm (the feature `fetch-data` of `mailsim-sim`): Trunk
//! copies `scenarios/` and `activities/` into `dist/` (index.html), and the page fetches
//! `scenarios/ID.toml` when it opens that scenario, and every activity file (and every
//! scenario, which any activity may name) when it opens the activities. The wasm keeps their
//! index (`scenario::index`, `activity::builtin_index`), so the picker lists and searches
//! every scenario without its file.
//!
//! The boot script fetches the scenario the URL opens while the wasm downloads
//! ([`take_preload`]); [`Gate`] fetches what else the URL asks for before the page draws (and again when the URL turns
//! to the activities); [`then_open`] fetches a scenario chosen later before opening it.

use crate::engine;
use crate::state::{parse_fragment, DEFAULT_SCENARIO};
use gloo_events::EventListener;
use mailsim_sim::scenario;
use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

thread_local! {
    /// Whether every built-in activity and scenario file has been fetched.
    static ALL: Cell<bool> = const { Cell::new(false) };
    /// The number of the last [`then_open`] request.
    static LATEST: Cell<u32> = const { Cell::new(0) };
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
    if crate::activity::wants_activities() {
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
        Need::Scenario(id) => engine::scenario_ready(builtin_for(id)),
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

/// Fetches built-in scenario `id` (or the default one, for an id that is none), unless it is
/// at hand.
pub async fn load_scenario(id: &str) -> Result<(), String> {
    let id = builtin_for(id);
    if engine::scenario_ready(id) {
        return Ok(());
    }
    let entry = scenario::entry(id).ok_or("no default scenario")?;
    let text = fetch_all(&[entry.url()]).await?.remove(0);
    engine::provide_scenario(id, &text)
}

/// Fetches every built-in activity file and every built-in scenario not at hand yet.
async fn load_all() -> Result<(), String> {
    let acts = engine::activity_index();
    let scenarios: Vec<_> = scenario::index().filter(|e| !engine::scenario_ready(e.id)).collect();
    let urls: Vec<String> = acts.iter().map(|a| a.url()).chain(scenarios.iter().map(|e| e.url())).collect();
    let texts = fetch_all(&urls).await?;
    let (act_texts, scenario_texts) = texts.split_at(acts.len());
    for (e, text) in scenarios.iter().zip(scenario_texts) {
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
    if let (Some(id), Some(text)) = (get("id"), get("text")) {
        let _ = engine::provide_scenario(&id, &text);
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
            let listener = EventListener::new(&window, "hashchange", move |_| {
                if wanted() == Need::All && !at_hand(&Need::All) {
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
